//! What each Arrow type becomes under the column policy, decided from the
//! schema at open (so a type error comes before any data is read), and the
//! conversion of one column of a batch.

use crate::error::{Error, Result};
use crate::options::{Decimals, Dictionaries, Number, Ragged, TensorOptions};
use arrow::array::{Array, ArrayRef, AsArray, FixedSizeListArray, GenericListArray, Int64Array, OffsetSizeTrait, UInt64Array};
use arrow::datatypes::{DataType, Decimal128Type, Decimal256Type, Decimal32Type, Decimal64Type, Field, FieldRef};
use std::collections::HashMap;
use std::sync::Arc;

/// Field metadata key that keeps the original type of a converted column
/// (the unit of a timestamp, the scale of a decimal).
pub const LOGICAL_TYPE_KEY: &str = "sluice.logical_type";

#[derive(Debug, Clone)]
pub enum Conversion {
    /// Already a tensor type.
    Keep,
    /// Decimals to float64, string and binary views to their plain layout.
    Cast(DataType),
    /// Decimals to their unscaled integer, exactly.
    ScaledInt64,
    /// Dates, times, timestamps and durations: the same integers, as int64.
    TemporalInt64,
    /// A ragged list to a fixed-size list of `length` values.
    Pad { length: i32, value: Number },
    /// A dictionary decoded to its values, which then convert as their own type does.
    Decode(DataType, Box<Conversion>),
}

fn is_number(t: &DataType) -> bool {
    t.is_integer() || t.is_floating() || *t == DataType::Boolean
}

fn unsupported(field: &Field, why: &str) -> Error {
    Error::new(crate::error::ErrorKind::Unsupported, format!("column '{}' has type {}, {why}", field.name(), field.data_type()))
}

/// The conversion for `field` and the output field (never nullable: nulls are
/// filled or refused).
pub fn conversion_for(field: &FieldRef, options: &TensorOptions) -> Result<(Conversion, Field)> {
    use DataType::*;
    let t = field.data_type();
    let keep_original = |f: Field| {
        let mut metadata: HashMap<String, String> = field.metadata().clone();
        metadata.insert(LOGICAL_TYPE_KEY.to_string(), t.to_string());
        f.with_metadata(metadata)
    };
    let out = |data_type: DataType| Field::new(field.name(), data_type, false).with_metadata(field.metadata().clone());
    let chosen = match t {
        _ if is_number(t) => (Conversion::Keep, out(t.clone())),
        Decimal32(..) | Decimal64(..) | Decimal128(..) | Decimal256(..) => match options.decimal {
            Decimals::Float64 => (Conversion::Cast(Float64), keep_original(out(Float64))),
            Decimals::ScaledInt64 => (Conversion::ScaledInt64, keep_original(out(Int64))),
        },
        Date32 | Date64 | Time32(_) | Time64(_) | Timestamp(..) | Duration(_) => (Conversion::TemporalInt64, keep_original(out(Int64))),
        Utf8 | LargeUtf8 | Binary | LargeBinary => (Conversion::Keep, out(t.clone())),
        Utf8View => (Conversion::Cast(Utf8), out(Utf8)),
        BinaryView => (Conversion::Cast(Binary), out(Binary)),
        Dictionary(_, value_type) => match options.dictionary {
            Dictionaries::Codes => (Conversion::Keep, out(t.clone())),
            Dictionaries::Values => {
                let values = Arc::new(field.as_ref().clone().with_data_type(value_type.as_ref().clone()));
                let (then, output) = conversion_for(&values, options)?;
                (Conversion::Decode(value_type.as_ref().clone(), Box::new(then)), output)
            }
        },
        FixedSizeList(item, size) => {
            if !is_number(item.data_type()) {
                return Err(unsupported(field, "and only fixed-size lists of numbers or bools become tensors"));
            }
            if *size == 0 {
                return Err(unsupported(field, "whose rows hold no values, so it has no tensor form"));
            }
            (Conversion::Keep, out(non_null_items(t)))
        }
        List(item) | LargeList(item) => {
            if !is_number(item.data_type()) {
                return Err(unsupported(field, "and only lists of numbers or bools become tensors"));
            }
            match options.ragged {
                Ragged::Error => {
                    return Err(unsupported(
                        field,
                        "a ragged list, and a tensor needs one length for every row: set ragged=pad with \
                         pad_length=<n>, or ragged=values_offsets to get its values and offsets",
                    ))
                }
                Ragged::ValuesOffsets => (Conversion::Keep, out(non_null_items(t))),
                Ragged::Pad => {
                    let length = options.pad_length.expect("validated: pad needs pad_length") as i32;
                    super::nulls::scalar_of(item.data_type(), options.pad_value, field.name(), "pad_value")?;
                    let item = Arc::new(Field::new("item", item.data_type().clone(), false));
                    (Conversion::Pad { length, value: options.pad_value }, out(FixedSizeList(item, length)))
                }
            }
        }
        _ => return Err(unsupported(field, "which has no tensor form in sluice's column policy (read it without tensors=true)")),
    };
    Ok(chosen)
}

/// The list type with non-nullable items (nulls are filled or refused).
fn non_null_items(t: &DataType) -> DataType {
    let item = |f: &FieldRef| Arc::new(Field::new(f.name(), f.data_type().clone(), false));
    match t {
        DataType::FixedSizeList(f, n) => DataType::FixedSizeList(item(f), *n),
        DataType::List(f) => DataType::List(item(f)),
        DataType::LargeList(f) => DataType::LargeList(item(f)),
        other => other.clone(),
    }
}

/// One column of a batch converted; nulls are kept (they are handled next).
pub fn convert(array: &ArrayRef, conversion: &Conversion, name: &str) -> Result<ArrayRef> {
    let fail = |e: arrow::error::ArrowError| Error::invalid_data(format!("column '{name}': {e}"));
    match conversion {
        Conversion::Keep => Ok(array.clone()),
        Conversion::Cast(to) => arrow::compute::cast(array, to).map_err(fail),
        Conversion::TemporalInt64 => {
            // Same integers, reinterpreted: 64-bit types share int64's layout,
            // 32-bit ones are widened.
            let width32 = matches!(array.data_type(), DataType::Date32 | DataType::Time32(_));
            let as_int = if width32 { DataType::Int32 } else { DataType::Int64 };
            let data = array.to_data().into_builder().data_type(as_int).build().map_err(fail)?;
            let ints = arrow::array::make_array(data);
            arrow::compute::cast(&ints, &DataType::Int64).map_err(fail)
        }
        Conversion::ScaledInt64 => scaled_int64(array, name),
        Conversion::Decode(value_type, then) => {
            let decoded = arrow::compute::cast(array, value_type).map_err(fail)?;
            convert(&decoded, then, name)
        }
        Conversion::Pad { length, value } => match array.data_type() {
            DataType::List(_) => pad(array.as_list::<i32>(), *length, *value, name),
            DataType::LargeList(_) => pad(array.as_list::<i64>(), *length, *value, name),
            other => Err(Error::internal(format!("column '{name}': pad chosen for {other}"))),
        },
    }
}

fn scaled_int64(array: &ArrayRef, name: &str) -> Result<ArrayRef> {
    let too_big = || {
        Error::invalid_data(format!(
            "column '{name}' ({}) holds a value whose unscaled integer does not fit in int64; use decimal=float64",
            array.data_type()
        ))
    };
    let nulls = array.nulls().cloned();
    let values: Vec<i64> =
        match array.data_type() {
            DataType::Decimal32(..) => array.as_primitive::<Decimal32Type>().values().iter().map(|&v| i64::from(v)).collect(),
            DataType::Decimal64(..) => array.as_primitive::<Decimal64Type>().values().to_vec(),
            DataType::Decimal128(..) => {
                let raw = array.as_primitive::<Decimal128Type>();
                // Slots under a null may hold anything: only valid ones must fit.
                (0..raw.len())
                    .map(|i| if raw.is_null(i) { Ok(0) } else { i64::try_from(raw.value(i)).map_err(|_| too_big()) })
                    .collect::<Result<_>>()?
            }
            DataType::Decimal256(..) => {
                let raw = array.as_primitive::<Decimal256Type>();
                (0..raw.len())
                    .map(|i| {
                        if raw.is_null(i) {
                            Ok(0)
                        } else {
                            raw.value(i).to_i128().and_then(|v| i64::try_from(v).ok()).ok_or_else(too_big)
                        }
                    })
                    .collect::<Result<_>>()?
            }
            other => return Err(Error::internal(format!("column '{name}': scaled_int64 chosen for {other}"))),
        };
    Ok(Arc::new(Int64Array::new(values.into(), nulls)))
}

/// A ragged list as a fixed-size list of `length` values: short rows padded
/// with `value`, longer rows an error. A null row becomes a row of padding;
/// null values stay null (filled next).
fn pad<O: OffsetSizeTrait>(list: &GenericListArray<O>, length: i32, value: Number, name: &str) -> Result<ArrayRef> {
    let fail = |e: arrow::error::ArrowError| Error::invalid_data(format!("column '{name}': {e}"));
    let values = list.values();
    let item_type = values.data_type().clone();
    let pad_value = super::nulls::scalar_of(&item_type, value, name, "pad_value")?;
    // The pad value sits right after the values; every padded slot takes it.
    let extended = arrow::compute::concat(&[values.as_ref(), pad_value.as_ref()]).map_err(fail)?;
    let pad_index = values.len() as u64;
    let width = length as usize;
    let mut indices = Vec::with_capacity(list.len() * width);
    for (row, window) in list.offsets().windows(2).enumerate() {
        let (start, end) = (window[0].as_usize(), window[1].as_usize());
        if list.is_null(row) {
            indices.extend(std::iter::repeat_n(pad_index, width));
            continue;
        }
        if end - start > width {
            return Err(Error::invalid_data(format!("column '{name}': a row has {} values, more than pad_length={length}", end - start)));
        }
        indices.extend((start..end).map(|i| i as u64));
        indices.extend(std::iter::repeat_n(pad_index, width - (end - start)));
    }
    let taken = arrow::compute::take(&extended, &UInt64Array::from(indices), None).map_err(fail)?;
    let item = Arc::new(Field::new("item", item_type, true));
    Ok(Arc::new(FixedSizeListArray::try_new(item, length, taken, None).map_err(fail)?))
}

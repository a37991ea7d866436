//! Nulls under the column policy: which rows are null (a list row counts as
//! null when it or any of its values is), and filling them with one value.

use crate::error::{Error, Result};
use crate::options::Number;
use arrow::array::{
    make_array, Array, ArrayRef, AsArray, BooleanArray, FixedSizeListArray, Float64Array, GenericListArray, Int64Array, OffsetSizeTrait,
    Scalar, StringArray, UInt64Array,
};
use arrow::buffer::{BooleanBuffer, NullBuffer, OffsetBuffer};
use arrow::datatypes::DataType;
use std::sync::Arc;

/// The validity of each row, counting nulls inside list rows; `None` when no
/// row is null.
pub fn null_rows(array: &ArrayRef) -> Option<NullBuffer> {
    // A dictionary's rows are also null where their code points at a null value.
    let rows = match array.data_type() {
        DataType::Dictionary(..) => array.logical_nulls(),
        _ => array.nulls().cloned(),
    };
    let rows = rows.filter(|n| n.null_count() > 0);
    let inner = match array.data_type() {
        DataType::FixedSizeList(_, size) => {
            let list = array.as_fixed_size_list();
            let size = *size as usize;
            child_nulls(list.values(), (0..list.len()).map(|i| (i * size, (i + 1) * size)), list.len())
        }
        DataType::List(_) => list_child_nulls(array.as_list::<i32>()),
        DataType::LargeList(_) => list_child_nulls(array.as_list::<i64>()),
        _ => None,
    };
    match (rows, inner) {
        (None, None) => None,
        (Some(r), None) => Some(r),
        (None, Some(i)) => Some(i),
        (Some(r), Some(i)) => Some(NullBuffer::new(r.inner() & i.inner())),
    }
}

fn list_child_nulls<O: OffsetSizeTrait>(list: &GenericListArray<O>) -> Option<NullBuffer> {
    let spans = list.offsets().windows(2).map(|w| (w[0].as_usize(), w[1].as_usize()));
    child_nulls(list.values(), spans, list.len())
}

/// Rows whose span of child values holds a null.
fn child_nulls(values: &ArrayRef, spans: impl Iterator<Item = (usize, usize)>, rows: usize) -> Option<NullBuffer> {
    let nulls = values.nulls().filter(|n| n.null_count() > 0)?;
    let valid: BooleanBuffer = spans.map(|(start, end)| (start..end).all(|i| nulls.is_valid(i))).collect();
    debug_assert_eq!(valid.len(), rows);
    Some(NullBuffer::new(valid)).filter(|n| n.null_count() > 0)
}

/// `value` as a one-element array of `data_type` ("" for strings and binary),
/// or an error naming the column and the option when it does not fit exactly.
pub fn scalar_of(data_type: &DataType, value: Number, name: &str, option: &str) -> Result<ArrayRef> {
    let fail = |why: String| Error::invalid_argument(format!("option '{option}': {value} {why} for column '{name}' ({data_type})"));
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary => {
            let empty: ArrayRef = Arc::new(StringArray::from(vec![""]));
            arrow::compute::cast(&empty, data_type).map_err(|e| fail(e.to_string()))
        }
        DataType::Boolean => Ok(Arc::new(BooleanArray::from(vec![value.float != 0.0]))),
        integer if integer.is_integer() => {
            // Integers never pass through a float: 2^53 + 1 stays 2^53 + 1.
            let exact = value.exact_integer().ok_or_else(|| fail("is not an integer".to_string()))?;
            let wide: ArrayRef = match i64::try_from(exact) {
                Ok(v) => Arc::new(Int64Array::from(vec![v])),
                Err(_) => Arc::new(UInt64Array::from(vec![u64::try_from(exact).map_err(|_| fail("does not fit".to_string()))?])),
            };
            let options = arrow::compute::CastOptions { safe: false, ..Default::default() };
            arrow::compute::cast_with_options(&wide, data_type, &options).map_err(|_| fail("does not fit".to_string()))
        }
        _ => {
            let value = value.float;
            let number: ArrayRef = Arc::new(Float64Array::from(vec![value]));
            let cast = arrow::compute::cast(&number, data_type).map_err(|e| fail(e.to_string()))?;
            let back = arrow::compute::cast(&cast, &DataType::Float64).map_err(|e| fail(e.to_string()))?;
            let exact = cast.is_valid(0) && back.as_primitive::<arrow::datatypes::Float64Type>().value(0) == value;
            if !exact && !data_type.is_floating() {
                return Err(fail("cannot be held exactly".to_string()));
            }
            Ok(cast)
        }
    }
}

/// Replaces every null (of rows and of list values) with `value`; a null list
/// row becomes a row of `value`s (fixed-size) or an empty row (ragged).
pub fn fill(array: &ArrayRef, value: Number, name: &str) -> Result<ArrayRef> {
    let fail = |e: arrow::error::ArrowError| Error::invalid_data(format!("column '{name}': {e}"));
    match array.data_type() {
        DataType::FixedSizeList(item, size) => {
            let list = array.as_fixed_size_list();
            let size = *size as usize;
            let values = list.values().slice(0, list.len() * size);
            // A null row's values count as null, whatever the slots hold.
            let values = match list.nulls() {
                Some(rows) => with_nulls(&values, (0..values.len()).map(|i| rows.is_valid(i / size)).collect())?,
                None => values,
            };
            let filled = fill_flat(&values, value, name)?;
            let item = Arc::new(item.as_ref().clone().with_nullable(false));
            Ok(Arc::new(FixedSizeListArray::try_new(item, size as i32, filled, None).map_err(fail)?))
        }
        DataType::List(_) => fill_list(array.as_list::<i32>(), value, name),
        DataType::LargeList(_) => fill_list(array.as_list::<i64>(), value, name),
        DataType::Dictionary(..) => {
            // The codes are filled; the dictionary itself is untouched.
            let dictionary = array.as_any_dictionary();
            let keys = make_array(dictionary.keys().to_data());
            let keys = match array.logical_nulls() {
                Some(valid) => with_nulls(&keys, valid.into_inner())?,
                None => keys,
            };
            let keys = fill_flat(&keys, value, name)?.to_data();
            let data = array.to_data().into_builder().offset(0).len(keys.len()).nulls(None).buffers(keys.buffers().to_vec());
            data.build().map(make_array).map_err(|e| {
                Error::invalid_argument(format!(
                    "option 'null_fill': {value} is not a code of column '{name}''s dictionary of {} values ({e})",
                    dictionary.values().len()
                ))
            })
        }
        _ => fill_flat(array, value, name),
    }
}

/// Fills the nulls of a flat (non-list) array.
fn fill_flat(array: &ArrayRef, value: Number, name: &str) -> Result<ArrayRef> {
    if array.null_count() == 0 {
        return Ok(array.clone());
    }
    let fill = scalar_of(array.data_type(), value, name, "null_fill")?;
    let valid = arrow::compute::is_not_null(array).map_err(|e| Error::internal(e.to_string()))?;
    let filled = arrow::compute::kernels::zip::zip(&valid, array, &Scalar::new(fill))
        .map_err(|e| Error::invalid_data(format!("column '{name}': {e}")))?;
    // zip keeps a validity bitmap of all-valid rows: drop it.
    Ok(make_array(filled.to_data().into_builder().nulls(None).build().map_err(|e| Error::internal(e.to_string()))?))
}

/// `array` with its nulls replaced by `valid` combined with its own.
fn with_nulls(array: &ArrayRef, valid: BooleanBuffer) -> Result<ArrayRef> {
    let combined = NullBuffer::union(array.nulls(), Some(&NullBuffer::new(valid)));
    let data = array.to_data().into_builder().nulls(combined).build().map_err(|e| Error::internal(e.to_string()))?;
    Ok(make_array(data))
}

/// A list batch whose values hold nulls outside its rows (a slice of a larger
/// decoded batch) compacted to its own values, so that it can be typed with
/// non-nullable items; other arrays are returned as they are.
pub fn without_hidden_nulls(array: ArrayRef, name: &str) -> Result<ArrayRef> {
    match array.data_type() {
        DataType::List(_) if array.as_list::<i32>().values().null_count() > 0 => fill_list(array.as_list::<i32>(), Number::ZERO, name),
        DataType::LargeList(_) if array.as_list::<i64>().values().null_count() > 0 => fill_list(array.as_list::<i64>(), Number::ZERO, name),
        _ => Ok(array),
    }
}

/// A ragged list without nulls: null rows become empty, null values `value`.
fn fill_list<O: OffsetSizeTrait>(list: &GenericListArray<O>, value: Number, name: &str) -> Result<ArrayRef> {
    let fail = |e: arrow::error::ArrowError| Error::invalid_data(format!("column '{name}': {e}"));
    let mut indices: Vec<u64> = Vec::new();
    let mut lengths: Vec<usize> = Vec::with_capacity(list.len());
    for (row, w) in list.offsets().windows(2).enumerate() {
        if list.is_null(row) {
            lengths.push(0);
        } else {
            let (start, end) = (w[0].as_usize(), w[1].as_usize());
            indices.extend((start..end).map(|i| i as u64));
            lengths.push(end - start);
        }
    }
    let values = arrow::compute::take(list.values(), &UInt64Array::from(indices), None).map_err(fail)?;
    let values = fill_flat(&values, value, name)?;
    let (DataType::List(item) | DataType::LargeList(item)) = list.data_type() else { unreachable!("a list") };
    let item = Arc::new(item.as_ref().clone().with_nullable(false));
    let offsets = OffsetBuffer::<O>::from_lengths(lengths);
    Ok(Arc::new(GenericListArray::<O>::try_new(item, offsets, values, None).map_err(fail)?))
}

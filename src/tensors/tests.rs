use super::*;
use crate::options::{Decimals, Dictionaries, Ragged, TensorOptions};
use arrow::array::*;
use arrow::datatypes::*;

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn run(b: &RecordBatch, o: &TensorOptions) -> Result<RecordBatch> {
    let policy = Policy::new(&b.schema(), o)?;
    let out = policy.apply(b)?;
    assert_eq!(out.schema(), policy.schema(), "the output schema is the one announced at open");
    Ok(out)
}

fn on() -> TensorOptions {
    TensorOptions { enabled: true, ..Default::default() }
}

#[test]
fn numbers_strings_and_dictionary_codes_pass_unchanged() {
    let dict: DictionaryArray<Int8Type> = vec!["a", "b", "a"].into_iter().collect();
    let b = batch(vec![
        ("i", Arc::new(Int16Array::from(vec![1, 2, 3])) as ArrayRef),
        ("f", Arc::new(Float32Array::from(vec![0.5, 1.5, 2.5]))),
        ("b", Arc::new(BooleanArray::from(vec![true, false, true]))),
        ("s", Arc::new(StringArray::from(vec!["x", "y", "z"]))),
        ("d", Arc::new(dict)),
    ]);
    let out = run(&b, &TensorOptions { dictionary: Dictionaries::Codes, ..on() }).unwrap();
    for i in 0..5 {
        assert_eq!(out.column(i).to_data(), b.column(i).to_data());
        assert!(!out.schema().field(i).is_nullable());
    }
}

#[test]
fn decimals_temporals_and_views_change_type() {
    let dec = Decimal128Array::from(vec![12345, -5]).with_precision_and_scale(10, 2).unwrap();
    let ts = TimestampMicrosecondArray::from(vec![1_000_000, 2]).with_timezone("UTC");
    let b = batch(vec![
        ("dec", Arc::new(dec) as ArrayRef),
        ("day", Arc::new(Date32Array::from(vec![19000, -1]))),
        ("ts", Arc::new(ts)),
        ("view", Arc::new(StringViewArray::from(vec!["a", "bb"]))),
    ]);
    let out = run(&b, &on()).unwrap();
    assert_eq!(out.column(0).as_primitive::<Float64Type>().values(), &[123.45, -0.05]);
    assert_eq!(out.column(1).as_primitive::<Int64Type>().values(), &[19000, -1]);
    assert_eq!(out.column(2).as_primitive::<Int64Type>().values(), &[1_000_000, 2]);
    assert_eq!(out.column(3).as_string::<i32>().value(1), "bb");
    let schema = out.schema();
    let logical = &schema.field(2).metadata()[super::types::LOGICAL_TYPE_KEY];
    assert!(logical.starts_with("Timestamp(") && logical.contains("UTC"), "{logical}");
    let scaled = run(&b, &TensorOptions { decimal: Decimals::ScaledInt64, ..on() }).unwrap();
    assert_eq!(scaled.column(0).as_primitive::<Int64Type>().values(), &[12345, -5]);
}

#[test]
fn nulls_are_an_error_unless_filled_or_masked() {
    let b = batch(vec![("x", Arc::new(Int32Array::from(vec![Some(1), None, Some(3)])) as ArrayRef)]);
    let err = run(&b, &on()).unwrap_err();
    assert!(err.message.contains("column 'x'") && err.message.contains("1 null"), "{}", err.message);
    let filled = run(&b, &TensorOptions { null_fill: Some((-7.0).into()), ..on() }).unwrap();
    assert_eq!(filled.column(0).as_primitive::<Int32Type>().values(), &[1, -7, 3]);
    assert_eq!(filled.column(0).null_count(), 0);
    let masked = run(&b, &TensorOptions { null_mask: vec!["x".into()], ..on() }).unwrap();
    assert_eq!(masked.schema().field(1).name(), "x_is_null");
    assert_eq!(masked.column(0).as_primitive::<Int32Type>().values(), &[1, 0, 3]);
    assert_eq!(masked.column(1).as_boolean(), &BooleanArray::from(vec![false, true, false]));
    let bad = run(&b, &TensorOptions { null_fill: Some(0.5.into()), ..on() }).unwrap_err();
    assert!(bad.message.contains("null_fill") && bad.message.contains("'x'"), "{}", bad.message);
}

#[test]
fn ragged_lists_need_an_option() {
    let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![Some(vec![Some(1), Some(2)]), None, Some(vec![Some(3)])]);
    let b = batch(vec![("l", Arc::new(list) as ArrayRef)]);
    let err = run(&b, &on()).unwrap_err();
    assert!(err.message.contains("column 'l'") && err.message.contains("ragged=pad"), "{}", err.message);
    let pad = TensorOptions { ragged: Ragged::Pad, pad_length: Some(3), pad_value: (-1.0).into(), null_fill: Some(9.0.into()), ..on() };
    assert!(run(&b, &TensorOptions { null_fill: None, ..pad.clone() }).unwrap_err().message.contains("column 'l'"));
    let padded = run(&b, &pad).unwrap();
    let fsl = padded.column(0).as_fixed_size_list();
    assert_eq!(fsl.values().as_primitive::<Int64Type>().values(), &[1, 2, -1, -1, -1, -1, 3, -1, -1]);
    let short = run(&b, &TensorOptions { pad_length: Some(1), ..pad.clone() }).unwrap_err();
    assert!(short.message.contains("more than pad_length=1"), "{}", short.message);
    let vo = run(&b, &TensorOptions { ragged: Ragged::ValuesOffsets, null_mask: vec!["l".into()], ..on() }).unwrap();
    let l = vo.column(0).as_list::<i32>();
    assert_eq!(l.offsets().as_ref(), &[0, 2, 2, 3]);
    assert_eq!(l.values().as_primitive::<Int64Type>().values(), &[1, 2, 3]);
    assert_eq!(vo.column(1).as_boolean(), &BooleanArray::from(vec![false, true, false]));
}

#[test]
fn fixed_size_lists_with_null_values_are_filled() {
    let values = Float32Array::from(vec![Some(1.0), None, Some(3.0), Some(4.0)]);
    let item = Arc::new(Field::new("item", DataType::Float32, true));
    let fsl = FixedSizeListArray::try_new(item, 2, Arc::new(values), None).unwrap();
    let b = batch(vec![("v", Arc::new(fsl) as ArrayRef)]);
    assert!(run(&b, &on()).unwrap_err().message.contains("column 'v'"));
    let out = run(&b, &TensorOptions { null_mask: vec!["v".into()], null_fill: Some(5.0.into()), ..on() }).unwrap();
    assert_eq!(out.column(0).as_fixed_size_list().values().as_primitive::<Float32Type>().values(), &[1.0, 5.0, 3.0, 4.0]);
    assert_eq!(out.column(1).as_boolean(), &BooleanArray::from(vec![true, false]));
}

#[test]
fn unsupported_types_name_the_column() {
    let s = StructArray::from(vec![(Arc::new(Field::new("a", DataType::Int32, false)), Arc::new(Int32Array::from(vec![1])) as ArrayRef)]);
    let b = batch(vec![("st", Arc::new(s) as ArrayRef)]);
    let err = Policy::new(&b.schema(), &on()).unwrap_err();
    assert!(err.message.contains("column 'st'"), "{}", err.message);
    let err = Policy::new(&b.schema(), &TensorOptions { null_mask: vec!["nope".into()], ..on() }).unwrap_err();
    assert!(err.message.contains("'nope'"), "{}", err.message);
}

#[test]
fn dictionary_codes_and_bools_are_filled() {
    let dict: DictionaryArray<Int32Type> = vec![Some("a"), None, Some("b")].into_iter().collect();
    let b = batch(vec![("d", Arc::new(dict) as ArrayRef), ("flag", Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])))]);
    let codes_only = TensorOptions { dictionary: Dictionaries::Codes, ..on() };
    let out = run(&b, &TensorOptions { null_fill: Some(1.0.into()), ..codes_only.clone() }).unwrap();
    let codes = out.column(0).as_dictionary::<Int32Type>();
    assert_eq!(codes.keys().values(), &[0, 1, 1]);
    assert_eq!(codes.null_count(), 0);
    assert_eq!(out.column(1).as_boolean(), &BooleanArray::from(vec![true, true, false]));
    let err = run(&b, &TensorOptions { null_fill: Some((-1.0).into()), ..codes_only }).unwrap_err();
    assert!(err.message.contains("not a code of column 'd'"), "{}", err.message);
}

#[test]
fn review_findings_stay_fixed() {
    // A list batch sliced out of a larger one, with a null value before its rows.
    let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
        Some(vec![None, Some(1)]),
        Some(vec![Some(2)]),
        Some(vec![Some(3), Some(4)]),
    ]);
    let b = batch(vec![("l", Arc::new(list) as ArrayRef)]).slice(1, 2);
    let out = run(&b, &TensorOptions { ragged: Ragged::ValuesOffsets, ..on() }).unwrap();
    let l = out.column(0).as_list::<i32>();
    assert_eq!(l.values().as_primitive::<Int64Type>().values(), &[2, 3, 4]);
    assert_eq!(l.offsets().as_ref(), &[0, 1, 3]);
    // A dictionary code that points at a null value is a null.
    let values = StringArray::from(vec![Some("a"), None]);
    let dict = DictionaryArray::<Int32Type>::try_new(Int32Array::from(vec![0, 1, 0]), Arc::new(values)).unwrap();
    let b = batch(vec![("d", Arc::new(dict) as ArrayRef)]);
    let codes = TensorOptions { dictionary: Dictionaries::Codes, ..on() };
    assert!(run(&b, &codes).unwrap_err().message.contains("column 'd'"));
    let masked = run(&b, &TensorOptions { null_mask: vec!["d".into()], ..codes }).unwrap();
    assert_eq!(masked.column(0).as_dictionary::<Int32Type>().keys().values(), &[0, 0, 0]);
    assert_eq!(masked.column(1).as_boolean(), &BooleanArray::from(vec![false, true, false]));
    assert_eq!(masked.column(0).logical_null_count(), 0);
}

#[test]
fn dictionaries_decode_to_their_values_by_default() {
    let dict: DictionaryArray<Int8Type> = vec![Some("b"), None, Some("a")].into_iter().collect();
    let ints = DictionaryArray::<Int16Type>::try_new(Int16Array::from(vec![1, 0, 1]), Arc::new(Int64Array::from(vec![10, 20]))).unwrap();
    let b = batch(vec![("s", Arc::new(dict) as ArrayRef), ("i", Arc::new(ints))]);
    let out = run(&b, &TensorOptions { null_fill: Some(0.0.into()), ..on() }).unwrap();
    assert_eq!(out.column(0).as_string::<i32>(), &StringArray::from(vec!["b", "", "a"]));
    assert_eq!(out.column(1).as_primitive::<Int64Type>().values(), &[20, 10, 20]);
}

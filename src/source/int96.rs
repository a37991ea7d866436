//! INT96 timestamps (Impala, Hive, Spark, pyarrow's deprecated writer): the unit
//! they are decoded to, the `coerce_int96_timestamp_unit` source option.
//!
//! An INT96 holds a Julian day and the nanoseconds in it, a range of millions of
//! years. Decoded to nanoseconds (the default, as pyarrow does) a value outside
//! 1677-09-21 … 2262-04-11 wraps around, as in pyarrow; `us`, `ms` or `s` keep it.
//! Whatever an embedded Arrow schema says about such a column, the option decides.

use crate::error::{Error, Result};
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, TimeUnit};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::basic::Type as PhysicalType;
use std::sync::Arc;

/// `meta` with every INT96 column decoded to `unit`; unchanged when it has none.
pub fn with_unit(meta: ArrowReaderMetadata, unit: TimeUnit, file: &str) -> Result<ArrowReaderMetadata> {
    let leaves: Vec<bool> = meta.parquet_schema().columns().iter().map(|c| c.physical_type() == PhysicalType::INT96).collect();
    if !leaves.contains(&true) {
        return Ok(meta);
    }
    let mut next = 0;
    let fields: Vec<FieldRef> = meta.schema().fields().iter().map(|f| retype(f, &leaves, &mut next, unit)).collect();
    let schema = Schema::new(fields).with_metadata(meta.schema().metadata().clone());
    if schema == *meta.schema().as_ref() {
        return Ok(meta);
    }
    let options = ArrowReaderOptions::new().with_schema(Arc::new(schema));
    ArrowReaderMetadata::try_new(meta.metadata().clone(), options).map_err(|e| {
        Error::invalid_data(format!("'{file}': cannot decode its INT96 timestamps with option 'coerce_int96_timestamp_unit': {e}"))
    })
}

/// The field with its INT96 leaves in `unit`. Arrow leaves follow the Parquet
/// leaf columns one for one, in order; `next` counts the leaves passed.
fn retype(field: &FieldRef, int96: &[bool], next: &mut usize, unit: TimeUnit) -> FieldRef {
    let data_type = match field.data_type() {
        DataType::Struct(children) => DataType::Struct(children.iter().map(|c| retype(c, int96, next, unit)).collect::<Fields>()),
        DataType::List(child) => DataType::List(retype(child, int96, next, unit)),
        DataType::LargeList(child) => DataType::LargeList(retype(child, int96, next, unit)),
        DataType::ListView(child) => DataType::ListView(retype(child, int96, next, unit)),
        DataType::LargeListView(child) => DataType::LargeListView(retype(child, int96, next, unit)),
        DataType::FixedSizeList(child, n) => DataType::FixedSizeList(retype(child, int96, next, unit), *n),
        DataType::Map(entries, sorted) => DataType::Map(retype(entries, int96, next, unit), *sorted),
        leaf => {
            let is_int96 = int96.get(*next).copied().unwrap_or(false);
            *next += 1;
            match leaf {
                DataType::Timestamp(_, tz) if is_int96 => DataType::Timestamp(unit, tz.clone()),
                other => other.clone(),
            }
        }
    };
    if &data_type == field.data_type() {
        return field.clone();
    }
    Arc::new(Field::new(field.name(), data_type, field.is_nullable()).with_metadata(field.metadata().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::SchemaRef;
    use bytes::Bytes;

    /// A file with an INT96 column `t` (inside a struct too), written through the low-level schema.
    fn int96_file() -> Bytes {
        use parquet::data_type::{Int96, Int96Type};
        use parquet::file::properties::WriterProperties;
        use parquet::file::writer::SerializedFileWriter;
        use parquet::schema::parser::parse_message_type;
        let schema = Arc::new(parse_message_type("message m { required int96 t; optional group s { optional int96 u; } }").unwrap());
        let mut out = Vec::new();
        let mut writer = SerializedFileWriter::new(&mut out, schema, Arc::new(WriterProperties::builder().build())).unwrap();
        let mut group = writer.next_row_group().unwrap();
        // Julian day 0 (4713 BC): far outside the nanosecond range.
        let mut far = Int96::new();
        far.set_data(0, 0, 0);
        let mut epoch = Int96::new();
        epoch.set_data(0, 0, 2_440_588);
        let mut column = group.next_column().unwrap().unwrap();
        column.typed::<Int96Type>().write_batch(&[epoch, far], None, None).unwrap();
        column.close().unwrap();
        let mut column = group.next_column().unwrap().unwrap();
        column.typed::<Int96Type>().write_batch(&[far], Some(&[2, 0]), None).unwrap();
        column.close().unwrap();
        group.close().unwrap();
        writer.close().unwrap();
        Bytes::from(out)
    }

    fn read(unit: TimeUnit) -> (SchemaRef, Vec<i64>) {
        use arrow::array::{Array, AsArray};
        use arrow::datatypes::TimestampSecondType;
        let data = int96_file();
        let meta = ArrowReaderMetadata::load(&data, Default::default()).unwrap();
        let meta = with_unit(meta, unit, "t.parquet").unwrap();
        let schema = meta.schema().clone();
        let mut reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::new_with_metadata(data, meta).build().unwrap();
        let batch = reader.next().unwrap().unwrap();
        let seconds = arrow::compute::cast(batch.column(0), &DataType::Timestamp(TimeUnit::Second, None)).unwrap();
        let values = seconds.as_primitive::<TimestampSecondType>().values().to_vec();
        assert_eq!(seconds.len(), 2);
        (schema, values)
    }

    #[test]
    fn int96_columns_take_the_unit_nested_ones_too() {
        for unit in [TimeUnit::Second, TimeUnit::Millisecond, TimeUnit::Microsecond, TimeUnit::Nanosecond] {
            let (schema, _) = read(unit);
            assert_eq!(schema.field(0).data_type(), &DataType::Timestamp(unit, None));
            let DataType::Struct(children) = schema.field(1).data_type() else { panic!("s is a struct") };
            assert_eq!(children[0].data_type(), &DataType::Timestamp(unit, None));
        }
    }

    #[test]
    fn coarser_units_keep_timestamps_outside_the_nanosecond_range() {
        // 2,440,588 days before the epoch, in seconds.
        let far = -2_440_588i64 * 86_400;
        assert_eq!(read(TimeUnit::Microsecond).1, vec![0, far]);
        assert_eq!(read(TimeUnit::Second).1, vec![0, far]);
        assert_ne!(read(TimeUnit::Nanosecond).1[1], far, "nanoseconds wrap, as in pyarrow");
    }
}

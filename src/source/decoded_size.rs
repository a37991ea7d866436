//! What reading a fragment costs in memory, estimated at open from metadata:
//! the decoded Arrow buffers, and the encoded bytes fetched to decode them.
//!
//! Parquet's sizes describe encoded pages: a dictionary-encoded string column
//! of 500-character values takes a few bytes a row on disk but 500 decoded
//! (arrow-rs decodes it to plain Utf8 unless the schema asks for a
//! dictionary). So the decoded size of a column chunk is computed from its
//! value count and type: fixed widths exactly, strings from the size
//! statistics where the writer recorded them, else from the lengths of the
//! min and max values. The reader corrects these estimates with measured
//! batches as it reads (see `crate::read`).

use super::{FileFormat, Fragment, Projection, Source};
use arrow::datatypes::DataType;
use parquet::arrow::arrow_reader::ArrowReaderMetadata;
use parquet::basic::{Encoding, Type as PhysicalType};
use parquet::file::metadata::ColumnChunkMetaData;

/// Memory one fragment's projected columns take to read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FragmentSize {
    /// Decoded bytes per row (Arrow buffers).
    pub row_bytes: f64,
    /// Encoded bytes fetched and held while the fragment (or any part of it) decodes.
    pub fetched: u64,
}

impl Source {
    /// The estimated cost of reading `fragment`'s projected columns.
    pub fn fragment_size(&self, fragment: &Fragment, projection: &Projection) -> FragmentSize {
        let rows = fragment.rows.max(1) as f64;
        match &self.files[fragment.file].format {
            FileFormat::Parquet(meta) => {
                let (decoded, fetched) = parquet_sizes(meta, fragment.index, Some(&projection.indices));
                FragmentSize { row_bytes: decoded as f64 / rows, fetched }
            }
            FileFormat::Delta(delta) => {
                let (decoded, fetched) = parquet_sizes(delta.parquet(), fragment.index, Some(&delta.stored_indices(projection)));
                FragmentSize { row_bytes: decoded as f64 / rows, fetched }
            }
            // Whole-file formats decode from the file's bytes, fetched whole.
            _ => {
                let share = projection.indices.len() as f64 / self.schema.fields().len().max(1) as f64;
                FragmentSize { row_bytes: fragment.bytes as f64 / rows * share, fetched: fragment.bytes }
            }
        }
    }
}

/// (decoded, fetched) bytes of one row group's columns: those of the given
/// root fields, or all.
pub fn parquet_sizes(meta: &ArrowReaderMetadata, row_group: usize, roots: Option<&[usize]>) -> (u64, u64) {
    let descr = meta.parquet_schema();
    let fields = meta.schema().fields();
    let mut wanted = vec![roots.is_none(); fields.len().max(descr.root_schema().get_fields().len())];
    for &root in roots.unwrap_or_default() {
        wanted[root] = true;
    }
    let mut decoded = 0u64;
    let mut fetched = 0u64;
    for (leaf, chunk) in meta.metadata().row_group(row_group).columns().iter().enumerate() {
        let root = descr.get_column_root_idx(leaf);
        if !wanted.get(root).copied().unwrap_or(false) {
            continue;
        }
        let dictionary = fields.get(root).is_some_and(|f| matches!(f.data_type(), DataType::Dictionary(..)));
        decoded += chunk_decoded_bytes(chunk, dictionary);
        fetched += chunk.compressed_size().max(0) as u64;
    }
    (decoded, fetched)
}

fn chunk_decoded_bytes(chunk: &ColumnChunkMetaData, dictionary: bool) -> u64 {
    let values = chunk.num_values().max(0) as u64;
    let encoded = chunk.uncompressed_size().max(0) as u64;
    let width = match chunk.column_type() {
        PhysicalType::BOOLEAN => return values / 8 + 1 + values / 8,
        PhysicalType::INT32 | PhysicalType::FLOAT => 4,
        PhysicalType::INT64 | PhysicalType::DOUBLE | PhysicalType::INT96 => 8,
        PhysicalType::FIXED_LEN_BYTE_ARRAY => chunk.column_descr().type_length().max(0) as u64,
        PhysicalType::BYTE_ARRAY if dictionary => return values * 4 + encoded,
        PhysicalType::BYTE_ARRAY => return values * 4 + byte_array_data(chunk, values).max(encoded),
    };
    // Plus a validity bitmap.
    values * width + values / 8
}

/// The decoded bytes of a BYTE_ARRAY column chunk's values (without offsets),
/// where they differ from the encoded size: exact from the size statistics,
/// else, for a dictionary-encoded chunk, a lower bound from the shorter of
/// the min and max values (a long outlier must not make a reasonable shuffle
/// window look too large; measured batches correct an estimate that is low).
fn byte_array_data(chunk: &ColumnChunkMetaData, values: u64) -> u64 {
    if let Some(bytes) = chunk.unencoded_byte_array_data_bytes() {
        return bytes.max(0) as u64;
    }
    let dictionary = chunk.encodings().any(|e| matches!(e, Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY));
    let Some(stats) = chunk.statistics().filter(|_| dictionary) else { return 0 };
    let length = |v: Option<&[u8]>| v.map_or(0, <[u8]>::len) as u64;
    let non_null = values.saturating_sub(stats.null_count_opt().unwrap_or(0));
    non_null * length(stats.min_bytes_opt()).min(length(stats.max_bytes_opt()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::record_batch::RecordBatch;
    use parquet::arrow::arrow_reader::ArrowReaderOptions;
    use parquet::arrow::ArrowWriter;
    use std::sync::Arc;

    #[test]
    fn dictionary_encoded_strings_are_sized_decoded() {
        let rows = 10_000;
        let values = (0..rows).map(|i| format!("v{}", i % 10).repeat(250));
        let batch = RecordBatch::try_from_iter([
            ("s", Arc::new(StringArray::from_iter_values(values)) as _),
            ("n", Arc::new(Int64Array::from_iter_values(0..rows as i64)) as _),
        ])
        .unwrap();
        let mut file = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut file, batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        let meta = ArrowReaderMetadata::load(&bytes::Bytes::from(file), ArrowReaderOptions::new()).unwrap();

        let (decoded, fetched) = parquet_sizes(&meta, 0, Some(&[0]));
        assert!(fetched < 100_000, "dictionary-encoded on disk: {fetched} bytes");
        assert!(decoded >= rows * 504, "500-character values and their offsets: {decoded} bytes");
        let (ints, _) = parquet_sizes(&meta, 0, Some(&[1]));
        assert!((rows * 8..rows * 9).contains(&ints), "{ints}");
    }
}

//! Sources: where the rows live. A source resolves to files, each file to
//! fragments (independently readable units with a known row count), and checks
//! that every file has the same schema.

mod csv;
mod csv_records;
mod decoded_size;
mod decoder_panic;
mod delta;
mod dictionary_offsets;
mod glob;
mod int96;
mod ipc;
pub(crate) mod location;
mod ndjson;
mod parquet;
mod pinned;
mod retry;
mod slicing;
pub mod sql;
pub(crate) mod store;
pub mod stream;

pub use decoded_size::FragmentSize;
pub use location::FileRef;

use crate::error::{Error, ErrorKind, Result};
use crate::options::{FormatChoice, SourceOptions};
use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use futures::{StreamExt, TryStreamExt};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How a file is decoded, with what was learnt about it at open.
pub enum FileFormat {
    Parquet(::parquet::arrow::arrow_reader::ArrowReaderMetadata),
    Ipc(ipc::IpcKind),
    Csv(csv::CsvLayout),
    Ndjson,
    /// A Parquet data file of a Delta table, with where its table columns come from.
    Delta(Box<delta::DeltaFile>),
}

impl FileFormat {
    /// The format's name in messages.
    fn name(&self) -> &'static str {
        match self {
            FileFormat::Parquet(_) => "Parquet",
            FileFormat::Ipc(_) => "Arrow IPC",
            FileFormat::Csv(_) => "CSV",
            FileFormat::Ndjson => "NDJSON",
            FileFormat::Delta(_) => "Parquet (Delta table)",
        }
    }
}

pub struct DataFile {
    pub file: FileRef,
    pub format: FileFormat,
}

/// An independently readable unit: a Parquet row group, an IPC file's record
/// batch, or a whole CSV / NDJSON / IPC stream file.
#[derive(Debug, Clone, Copy)]
pub struct Fragment {
    pub file: usize,
    /// Row group or record batch number inside the file (0 for whole files).
    pub index: usize,
    pub rows: u64,
    /// Decoded size estimate in bytes, all columns.
    pub bytes: u64,
}

/// What inspecting one file yields: its schema and its parts.
pub struct Inspected {
    pub schema: SchemaRef,
    pub parts: Vec<PartInfo>,
}

pub struct PartInfo {
    pub index: usize,
    pub rows: u64,
    pub bytes: u64,
}

/// The columns a reader asks for, in the order it asks for them.
#[derive(Debug, Clone)]
pub struct Projection {
    pub indices: Vec<usize>,
    pub schema: SchemaRef,
}

impl Projection {
    /// `option` names the read option the columns came from, for error messages.
    pub fn new(schema: &SchemaRef, columns: Option<&[String]>, option: &str) -> Result<Self> {
        let indices = match columns {
            None => (0..schema.fields().len()).collect(),
            Some(names) => {
                let mut indices = Vec::with_capacity(names.len());
                for name in names {
                    let index = schema.index_of(name).map_err(|_| {
                        let known: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                        let (name, known) = (crate::options::echo(name), crate::options::echo(&known.join(", ")));
                        Error::invalid_argument(format!("option '{option}': no column named '{name}' (columns: {known})"))
                    })?;
                    if indices.contains(&index) {
                        return Err(Error::invalid_argument(format!("option '{option}': column '{name}' is listed twice")));
                    }
                    indices.push(index);
                }
                indices
            }
        };
        let projected = schema.project(&indices).map_err(|e| Error::internal(e.to_string()))?;
        Ok(Projection { indices, schema: Arc::new(projected) })
    }

    /// Gives a decoded batch the connector's schema, so every batch of a stream
    /// carries the same schema whichever file it came from. The row count is
    /// carried over explicitly: a file without columns still has rows.
    pub fn rebuild(&self, batch: RecordBatch, file: &str) -> Result<RecordBatch> {
        let rows = arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        RecordBatch::try_new_with_options(self.schema.clone(), batch.columns().to_vec(), &rows)
            .map_err(|e| Error::invalid_data(format!("'{file}' does not fit the schema of the first file: {e}")))
    }
}

pub struct Source {
    pub schema: SchemaRef,
    pub files: Vec<DataFile>,
    pub fragments: Vec<Fragment>,
    /// Fragment reads started so far, by every reader (Connector::fragment_reads).
    pub reads_started: AtomicU64,
}

impl Source {
    pub async fn open(inputs: &[String], options: &SourceOptions) -> Result<Source> {
        if inputs.is_empty() {
            return Err(Error::invalid_argument("no sources given: pass at least one path, directory, glob or URI"));
        }
        let mut stores = location::Stores::default();
        if let Some(table) = delta::find_table(inputs, options, &mut stores).await? {
            return delta::open(table, options).await;
        }
        let mut refs = Vec::new();
        for input in inputs {
            refs.extend(location::expand(input, options, &mut stores).await?);
        }
        let formats = refs.iter().map(|f| format_of(f, options)).collect::<Result<Vec<_>>>()?;

        // The first file fixes the schema that CSV and NDJSON files are decoded with.
        let explicit = "option 'schema'".to_string();
        let (first, first_format) = inspect(&refs[0], formats[0], options, options.schema.clone(), &explicit).await?;
        let declared = Some(options.schema.clone().unwrap_or_else(|| first.schema.clone()));
        let origin = if options.schema.is_some() { explicit } else { format!("'{}'", refs[0].name) };
        let rest: Vec<(Inspected, FileFormat)> = futures::stream::iter(refs.iter().cloned().zip(formats.iter().copied()).skip(1))
            .map(|(file, format)| {
                let (options, declared, origin) = (options.clone(), declared.clone(), origin.clone());
                async move { inspect(&file, format, &options, declared, &origin).await }
            })
            .buffered(16)
            .try_collect()
            .await?;

        let mut files = Vec::with_capacity(refs.len());
        let mut fragments = Vec::new();
        let schema = nullable_where_any_is(&first.schema, rest.iter().map(|(inspected, _)| inspected.schema.as_ref()));
        for (i, (file, (inspected, format))) in refs.into_iter().zip(std::iter::once((first, first_format)).chain(rest)).enumerate() {
            if i > 0 {
                check_same_schema(&files_name(&files, 0), &schema, &file.name, &inspected.schema)?;
            }
            for part in inspected.parts.iter().filter(|p| p.rows > 0) {
                fragments.push(Fragment { file: i, index: part.index, rows: part.rows, bytes: part.bytes });
            }
            files.push(DataFile { file, format });
        }
        Ok(Source { schema, files, fragments, reads_started: AtomicU64::new(0) })
    }

    pub fn num_rows(&self) -> u64 {
        self.fragments.iter().map(|f| f.rows).sum()
    }

    /// Decodes the given ascending row ranges of one fragment, projected.
    pub async fn read(
        &self,
        fragment: &Fragment,
        ranges: &[Range<u64>],
        projection: &Projection,
        batch_rows: usize,
    ) -> Result<Vec<RecordBatch>> {
        self.reads_started.fetch_add(1, Ordering::Relaxed);
        let data = &self.files[fragment.file];
        let (format, name) = (data.format.name(), &data.file.name);
        decoder_panic::guarded(name, format, async {
            match &data.format {
                FileFormat::Parquet(meta) => parquet::read(&data.file, meta, fragment.index, ranges, projection, batch_rows).await,
                FileFormat::Ipc(kind) => ipc::read(&data.file, kind, fragment.index, ranges, projection).await,
                FileFormat::Csv(layout) => csv::read(&data.file, layout, ranges, projection, batch_rows).await,
                FileFormat::Ndjson => ndjson::read(&data.file, ranges, projection, batch_rows).await,
                FileFormat::Delta(file) => delta::read(&data.file, file, fragment.index, ranges, projection, batch_rows).await,
            }
        })
        .await
    }
}

fn files_name(files: &[DataFile], i: usize) -> String {
    files[i].file.name.clone()
}

fn format_of(file: &FileRef, options: &SourceOptions) -> Result<FormatChoice> {
    options.format.or_else(|| FormatChoice::from_extension(&file.name)).ok_or_else(|| {
        Error::invalid_argument(format!(
            "cannot tell the format of '{}' from its name; set the 'format' option (parquet, ipc, csv or ndjson)",
            file.name
        ))
    })
}

/// `origin` says where `declared` comes from (the option or the first file), for messages.
async fn inspect(
    file: &FileRef,
    format: FormatChoice,
    options: &SourceOptions,
    declared: Option<SchemaRef>,
    origin: &str,
) -> Result<(Inspected, FileFormat)> {
    let format_name = match format {
        FormatChoice::Parquet => "Parquet",
        FormatChoice::Ipc => "Arrow IPC",
        FormatChoice::Csv => "CSV",
        FormatChoice::Ndjson => "NDJSON",
        FormatChoice::Delta => "Delta",
    };
    decoder_panic::guarded(&file.name, format_name, inspect_format(file, format, options, declared, origin)).await
}

async fn inspect_format(
    file: &FileRef,
    format: FormatChoice,
    options: &SourceOptions,
    declared: Option<SchemaRef>,
    origin: &str,
) -> Result<(Inspected, FileFormat)> {
    Ok(match format {
        FormatChoice::Parquet => {
            let int96_unit = options.int96_timestamp_unit.unwrap_or(arrow::datatypes::TimeUnit::Nanosecond);
            let (inspected, meta) = parquet::inspect(file, int96_unit).await?;
            (inspected, FileFormat::Parquet(meta))
        }
        FormatChoice::Ipc => {
            let (inspected, kind) = ipc::inspect(file).await?;
            (inspected, FileFormat::Ipc(kind))
        }
        FormatChoice::Csv => {
            let (inspected, layout) = csv::inspect(file, &options.csv, declared.map(|d| (d, origin))).await?;
            (inspected, FileFormat::Csv(layout))
        }
        FormatChoice::Ndjson => {
            let inspected = ndjson::inspect(file, declared, options.csv.infer_rows, options.ndjson_ignore_unknown_keys).await?;
            (inspected, FileFormat::Ndjson)
        }
        // A Delta table is found before its files are listed (delta::find_table).
        FormatChoice::Delta => return Err(Error::internal(format!("'{}' was listed as a file of a Delta table", file.name))),
    })
}

/// The first file's schema, with each column nullable where it is nullable in
/// any file: files may differ in nullability (arrow-rs writes a column without
/// nulls as non-nullable), and a non-nullable column would refuse the rows of a
/// file that holds nulls in it, in the middle of a read.
fn nullable_where_any_is<'a>(first: &SchemaRef, others: impl Iterator<Item = &'a Schema>) -> SchemaRef {
    let mut nullable: Vec<bool> = first.fields().iter().map(|f| f.is_nullable()).collect();
    for other in others {
        for (slot, field) in nullable.iter_mut().zip(other.fields()) {
            *slot |= field.is_nullable();
        }
    }
    if nullable.iter().zip(first.fields()).all(|(&n, f)| n == f.is_nullable()) {
        return first.clone();
    }
    let fields: Vec<arrow::datatypes::FieldRef> =
        first.fields().iter().zip(nullable).map(|(f, n)| Arc::new(f.as_ref().clone().with_nullable(n))).collect();
    Arc::new(Schema::new_with_metadata(fields, first.metadata().clone()))
}

/// Files must agree on column names, order and types (nullability and metadata may differ).
fn check_same_schema(first_name: &str, first: &Schema, name: &str, other: &Schema) -> Result<()> {
    let mismatch =
        |why: String| Err(Error::new(ErrorKind::SchemaMismatch, format!("schema of '{name}' does not match '{first_name}': {why}")));
    for (position, expected) in first.fields().iter().enumerate() {
        let Some(found) = other.fields().get(position) else {
            return mismatch(format!("column '{}' is missing", expected.name()));
        };
        if found.name() != expected.name() {
            return match other.index_of(expected.name()) {
                Ok(_) => mismatch(format!("column '{}' is at another position", expected.name())),
                Err(_) => mismatch(format!("column '{}' is missing (found '{}' in its place)", expected.name(), found.name())),
            };
        }
        if !found.data_type().equals_datatype(expected.data_type()) {
            return mismatch(format!(
                "column '{}' is {} in '{name}' but {} in '{first_name}'",
                expected.name(),
                found.data_type(),
                expected.data_type()
            ));
        }
    }
    if let Some(extra) = other.fields().get(first.fields().len()) {
        return mismatch(format!("it has an extra column '{}'", extra.name()));
    }
    Ok(())
}

/// The whole object, for formats read from their first byte.
pub(crate) async fn fetch_all(file: &FileRef) -> Result<bytes::Bytes> {
    file.get_all().await
}

/// The whole object as a stream of chunks, for a pass that need not hold it all.
pub(crate) async fn fetch_chunks(file: &FileRef) -> Result<futures::stream::BoxStream<'static, Result<bytes::Bytes>>> {
    file.get_stream().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::record_batch::RecordBatchOptions;

    #[test]
    fn a_batch_without_columns_keeps_its_rows() {
        let schema = Arc::new(Schema::empty());
        let projection = Projection::new(&schema, None, "columns").unwrap();
        let batch = RecordBatch::try_new_with_options(schema, vec![], &RecordBatchOptions::new().with_row_count(Some(6))).unwrap();
        assert_eq!(projection.rebuild(batch, "nocols.parquet").unwrap().num_rows(), 6);
    }
}

//! The kernel's part: find the snapshot (latest, by version, or as of a time),
//! refuse what this reader does not apply, and list the snapshot's data files.

use super::locate::TableRoot;
use crate::error::{Error, ErrorKind, Result};
use crate::options::DeltaSnapshot;
use arrow::datatypes::SchemaRef;
use delta_kernel::engine::arrow_conversion::TryFromKernel;
use delta_kernel::history_manager::{latest_version_as_of, HistoryCommitType};
use delta_kernel::scan::state::ScanFile;
use delta_kernel::schema::{ColumnMetadataKey, MetadataValue};
use delta_kernel::snapshot::Snapshot;
use delta_kernel::table_features::ColumnMappingMode;
use delta_kernel::KernelError;
use delta_kernel_default_engine::executor::tokio::TokioMultiThreadExecutor;
use delta_kernel_default_engine::{DefaultEngine, DefaultEngineBuilder};
use std::collections::HashMap;
use std::sync::Arc;

/// One data file of the snapshot, as the log describes it.
pub struct LoggedFile {
    pub path: String,
    pub size: i64,
    pub modified: i64,
    /// Partition column → value as text (absent or None: null).
    pub partition_values: HashMap<String, String>,
}

pub struct Listing {
    /// The table's columns at this snapshot, partition columns included, in the table's order.
    pub schema: SchemaRef,
    /// Per table column, its name in the data files and in partition values: the
    /// column's own name, or its physical name under column mapping mode 'name'.
    pub stored_names: Vec<String>,
    pub partition_columns: Vec<String>,
    /// In the order they were added (then by path): stable across checkpoints.
    pub files: Vec<LoggedFile>,
}

/// The kernel's API is blocking (it runs its own I/O on the runtime it is
/// given), so it runs on a blocking thread of this runtime.
pub async fn list(table: &TableRoot, choice: Option<DeltaSnapshot>) -> Result<Listing> {
    let (store, url, name) = (table.store.get()?, table.url.clone(), table.name.clone());
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let engine = DefaultEngineBuilder::new(store).with_task_executor(Arc::new(TokioMultiThreadExecutor::new(handle))).build();
        list_blocking(&engine, &url, &name, choice)
    })
    .await
    .map_err(|e| Error::internal(format!("reading the log of Delta table '{}' failed: {e}", table.name)))?
}

fn list_blocking(
    engine: &DefaultEngine<TokioMultiThreadExecutor>,
    url: &url::Url,
    name: &str,
    choice: Option<DeltaSnapshot>,
) -> Result<Listing> {
    let failed = |e: KernelError| kernel_error(e, name);
    let snapshot = match &choice {
        None => Snapshot::builder_for(url.as_str()).build(engine).map_err(failed)?,
        Some(DeltaSnapshot::Version(version)) => {
            Snapshot::builder_for(url.as_str()).at_version(*version).build(engine).map_err(|e| version_error(e, name, *version))?
        }
        Some(DeltaSnapshot::Timestamp { millis, text }) => {
            let latest = Snapshot::builder_for(url.as_str()).build(engine).map_err(failed)?;
            let commit = latest_version_as_of(&latest, engine, *millis, HistoryCommitType::Recreatable).map_err(|e| {
                Error::not_found(format!("Delta table '{name}' has no version at or before timestamp '{text}': {}", kernel_text(e)))
            })?;
            match commit.version == latest.version() {
                true => latest,
                false => Snapshot::builder_for(url.as_str()).at_version(commit.version).build(engine).map_err(failed)?,
            }
        }
    };
    let version = snapshot.version();
    let mode = snapshot.table_properties().column_mapping_mode.unwrap_or(ColumnMappingMode::None);
    if mode == ColumnMappingMode::Id {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "Delta table '{name}' (version {version}) uses column mapping by field id (mode 'id'), which sluice does not \
                 apply; mode 'name' is read"
            ),
        ));
    }
    let scan = snapshot.scan_builder().build().map_err(failed)?;
    let logical = scan.logical_schema();
    let physical = scan.physical_schema();
    let schema = arrow::datatypes::Schema::try_from_kernel(logical.as_ref())
        .map_err(|e| Error::new(ErrorKind::Unsupported, format!("Delta table '{name}': its schema has no Arrow equivalent here: {e}")))?;
    let mut stored_names = Vec::with_capacity(schema.fields().len());
    for (field, arrow_field) in logical.fields().zip(schema.fields()) {
        let stored = match (mode, field.get_config_value(&ColumnMetadataKey::ColumnMappingPhysicalName)) {
            (ColumnMappingMode::Name, Some(MetadataValue::String(stored))) => stored.clone(),
            _ => field.name().clone(),
        };
        // Nested fields have stored names of their own, which this reader does not map.
        if mode == ColumnMappingMode::Name && holds_struct(arrow_field.data_type()) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "Delta table '{name}' (version {version}) uses column mapping (mode 'name') and its column '{}' holds \
                     nested fields, which sluice does not map",
                    field.name()
                ),
            ));
        }
        stored_names.push(stored);
    }
    let partition_columns: Vec<String> = logical
        .fields()
        .zip(&stored_names)
        .filter(|(_, stored)| physical.field(stored.as_str()).is_none())
        .map(|(f, _)| f.name().clone())
        .collect();

    let mut found: Vec<ScanFile> = Vec::new();
    for metadata in scan.scan_metadata(engine).map_err(failed)? {
        found = metadata.map_err(failed)?.visit_scan_files(found, |files: &mut Vec<ScanFile>, file| files.push(file)).map_err(failed)?;
    }
    if let Some(file) = found.iter().find(|f| f.dv_info.has_vector()) {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "Delta table '{name}' (version {version}) has deletion vectors (on '{}' and perhaps others), which sluice does not \
                 apply; rewrite the files without them (for example by OPTIMIZE / REORG TABLE ... APPLY (PURGE)) to read it",
                file.path
            ),
        ));
    }
    let mut files: Vec<LoggedFile> = found
        .into_iter()
        .map(|f| LoggedFile { path: f.path, size: f.size, modified: f.modification_time, partition_values: f.partition_values })
        .collect();
    files.sort_by(|a, b| (a.modified, &a.path).cmp(&(b.modified, &b.path)));
    Ok(Listing { schema: without_mapping_metadata(schema), stored_names, partition_columns, files })
}

/// The table's columns without the column mapping annotations (ids, physical
/// names) that the kernel carries over: they describe the files, not the rows.
fn without_mapping_metadata(schema: arrow::datatypes::Schema) -> SchemaRef {
    let fields: Vec<arrow::datatypes::Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let metadata = f.metadata().iter().filter(|(k, _)| !k.starts_with("delta.columnMapping.")).map(|(k, v)| (k.clone(), v.clone()));
            f.as_ref().clone().with_metadata(metadata.collect())
        })
        .collect();
    Arc::new(arrow::datatypes::Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// Whether a column's type holds struct fields, whose stored names column mapping also changes.
fn holds_struct(data_type: &arrow::datatypes::DataType) -> bool {
    use arrow::datatypes::DataType;
    match data_type {
        DataType::Struct(_) => true,
        // A map's entries are a struct of key and value; what counts is whether those hold structs.
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(fields) => fields.iter().any(|f| holds_struct(f.data_type())),
            _ => false,
        },
        DataType::List(f) | DataType::LargeList(f) | DataType::ListView(f) | DataType::FixedSizeList(f, _) => holds_struct(f.data_type()),
        _ => false,
    }
}

fn version_error(e: KernelError, name: &str, version: u64) -> Error {
    let text = kernel_text(e);
    if text.contains("version") || text.contains("Version") {
        return Error::not_found(format!("Delta table '{name}' has no version {version}: {text}"));
    }
    Error::invalid_data(format!("Delta table '{name}' at version {version}: {text}"))
}

fn kernel_error(e: KernelError, name: &str) -> Error {
    let kind = match unwrapped(&e) {
        KernelError::FileNotFound(_) | KernelError::MissingVersion(_) => ErrorKind::NotFound,
        KernelError::Unsupported(_) | KernelError::InvalidProtocol(_) => ErrorKind::Unsupported,
        KernelError::ObjectStore(e) => return Error::from_object_store(e, name),
        _ => ErrorKind::InvalidData,
    };
    Error::new(kind, format!("Delta table '{name}': {}", kernel_text(e)))
}

/// The kernel's message without the backtrace some of its errors carry.
fn kernel_text(e: KernelError) -> String {
    unwrapped(&e).to_string()
}

fn unwrapped(e: &KernelError) -> &KernelError {
    match e {
        KernelError::Backtraced { source, .. } => unwrapped(source),
        other => other,
    }
}

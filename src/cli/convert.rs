//! `sluice convert SRC... DST`: writes the rows a read emits (with `-r`:
//! columns, limit, shuffle ...) to one Parquet file; with `--to-dataset NAME
//! --to-version V`, every row of SRC as a new version of a dataset under the
//! root DST (docs/datasets.md; created if missing). The file is written
//! under a temporary name next to DST and renamed when complete, so a failed
//! conversion never leaves a partial DST; an existing DST is kept unless
//! `--overwrite` is given.

use super::output::Printed;
use super::progress::{batch_bytes, Progress};
use super::source::SourceArgs;
use super::Context;
use crate::error::{Error, ErrorKind, Result};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::json;
use std::fs::File;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// Files, directories, globs or URIs (as from_sources takes them); none with --sql
    #[arg(required_unless_present = "sql", conflicts_with = "sql", value_name = "SRC")]
    sources: Vec<String>,
    /// The Parquet file to write (a local path)
    #[arg(value_name = "DST")]
    destination: PathBuf,
    /// Parquet compression
    #[arg(long, value_enum, default_value_t = Codec::Zstd)]
    compression: Codec,
    /// Rows per row group (sharding and shuffling split files by row group)
    #[arg(long, default_value_t = 131_072, value_name = "ROWS")]
    row_group_size: usize,
    /// Replace DST if it exists
    #[arg(long)]
    overwrite: bool,
    /// Write a version of this dataset instead, DST being the dataset root (created if missing)
    #[arg(long, value_name = "NAME", requires = "to_version")]
    to_dataset: Option<String>,
    /// The version to create (never overwritten)
    #[arg(long, value_name = "VERSION", requires = "to_dataset")]
    to_version: Option<String>,
    /// With --to-dataset: a version setting, KEY=VALUE (shuffle, seed, partition_by, label_cols, exclude_cols, comment, properties); repeatable
    #[arg(short = 's', long = "setting", value_name = "KEY=VALUE", requires = "to_dataset")]
    settings: Vec<String>,
    #[command(flatten)]
    source: SourceArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Codec {
    None,
    Snappy,
    Zstd,
    Lz4,
}

pub fn run(args: &Args, context: &Context) -> Result<Printed> {
    if let (Some(name), Some(version)) = (&args.to_dataset, &args.to_version) {
        return to_version(args, name, version, context);
    }
    let (destination, sources) = (args.destination.as_path(), &args.sources);
    if destination.to_string_lossy().contains("://") {
        return Err(Error::new(ErrorKind::Unsupported, format!("convert: DST '{}' must be a local path", destination.display())));
    }
    if destination.exists() && !args.overwrite {
        return Err(Error::invalid_argument(format!("convert: '{}' exists; give --overwrite to replace it", destination.display())));
    }
    let connector = args.source.open(sources)?;
    let options = args.source.read_options(&[])?;
    let total = connector.count_rows(&options)?;
    let mut stream = connector.read(&options)?;
    let partial = partial_path(destination);
    let written = write(&mut stream, &partial, args, Progress::new(context, total, "convert"));
    let rows = match written {
        Ok(rows) => rows,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    std::fs::rename(&partial, destination).map_err(|e| io_error(destination, "could not be written", &e))?;
    let bytes = std::fs::metadata(destination).map(|m| m.len()).unwrap_or(0);
    let text = format!("wrote {rows} rows to {} ({bytes} bytes)", destination.display());
    Ok(Printed { text, json: json!({"rows": rows, "bytes": bytes, "path": destination.to_string_lossy()}), json_text: None })
}

fn write(stream: &mut crate::BatchStream, path: &Path, args: &Args, mut progress: Progress) -> Result<u64> {
    let file = File::create(path).map_err(|e| io_error(path, "could not be created", &e))?;
    let compression = match args.compression {
        Codec::None => Compression::UNCOMPRESSED,
        Codec::Snappy => Compression::SNAPPY,
        Codec::Zstd => Compression::ZSTD(ZstdLevel::default()),
        Codec::Lz4 => Compression::LZ4_RAW,
    };
    if args.row_group_size == 0 {
        return Err(Error::invalid_argument("convert: --row-group-size must be at least 1"));
    }
    let properties =
        WriterProperties::builder().set_compression(compression).set_max_row_group_row_count(Some(args.row_group_size)).build();
    let failed = |e: parquet::errors::ParquetError| Error::new(ErrorKind::Io, format!("'{}' could not be written: {e}", path.display()));
    let mut writer = ArrowWriter::try_new(file, stream.schema(), Some(properties)).map_err(failed)?;
    let mut rows = 0u64;
    while let Some(batch) = stream.next_batch()? {
        progress.add(&batch, batch_bytes(&batch));
        rows += batch.num_rows() as u64;
        writer.write(&batch).map_err(failed)?;
    }
    writer.close().map_err(failed)?;
    progress.finish();
    Ok(rows)
}

/// A hidden name next to `destination`, unique to this process.
fn partial_path(destination: &Path) -> PathBuf {
    let name = destination.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    destination.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

fn io_error(path: &Path, what: &str, error: &std::io::Error) -> Error {
    let kind = match error.kind() {
        std::io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
        std::io::ErrorKind::NotFound => ErrorKind::NotFound,
        _ => ErrorKind::Io,
    };
    Error::new(kind, format!("'{}' {what}: {error}", path.display()))
}

/// Every row of SRC as version `version` of dataset `name` under the root DST.
fn to_version(args: &Args, name: &str, version: &str, context: &Context) -> Result<Printed> {
    if !args.source.read_options.is_empty() {
        return Err(Error::invalid_argument(
            "convert --to-dataset: a version holds every row of SRC, so read options (-r) do not apply; \
             use -s shuffle=true, -s exclude_cols=... instead",
        ));
    }
    let mut settings = crate::VersionSettings::default();
    for pair in &args.settings {
        let (key, value) = super::source::key_value(pair, "-s")?;
        settings.set(key, value)?;
    }
    let root = args.destination.to_string_lossy().into_owned();
    let connector = args.source.open(&args.sources)?;
    let dataset = crate::Dataset::create(&root, name, true, &args.source.source_options()?)?;
    let mut progress = Progress::new(context, connector.num_rows()?, "convert");
    let manifest = dataset.create_version(version, &connector, &settings, &mut |done, _| progress.set_rows(done))?;
    progress.finish();
    let text = format!(
        "wrote version '{version}' of '{name}' under '{root}': {} rows, {} files, {} bytes",
        manifest.num_rows,
        manifest.files.len(),
        manifest.num_bytes
    );
    let json =
        json!({"dataset": name, "version": version, "rows": manifest.num_rows, "files": manifest.files.len(), "bytes": manifest.num_bytes});
    Ok(Printed { text, json, json_text: None })
}

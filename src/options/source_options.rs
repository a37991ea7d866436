//! Where the rows live and how to decode them (see docs/options.md).

use super::parse;
use crate::error::{Error, Result};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    Parquet,
    /// Arrow IPC: the file format or the stream format, told apart by magic bytes.
    Ipc,
    Csv,
    Ndjson,
    /// A Delta Lake table: set only by the option (a file extension never implies it).
    Delta,
}

impl FormatChoice {
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "parquet" | "pq" => Some(Self::Parquet),
            "ipc" | "arrow" | "feather" | "arrows" => Some(Self::Ipc),
            "csv" | "tsv" => Some(Self::Csv),
            "ndjson" | "json" | "jsonl" => Some(Self::Ndjson),
            _ => None,
        }
    }

    /// The format a file name's extension implies, if any.
    pub fn from_extension(name: &str) -> Option<Self> {
        Self::parse(name.rsplit_once('.')?.1)
    }
}

#[derive(Debug, Clone)]
pub struct CsvOptions {
    pub(crate) header: bool,
    /// None: from the extension (tab for .tsv, comma otherwise).
    pub(crate) delimiter: Option<u8>,
    pub(crate) quote: u8,
    pub(crate) infer_rows: usize,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { header: true, delimiter: None, quote: b'"', infer_rows: 1000 }
    }
}

/// Object store settings; unset values come from the standard environment variables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct StoreOptions {
    pub(crate) endpoint: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) anonymous: bool,
    pub(crate) allow_http: Option<bool>,
    pub(crate) access_key_id: Option<String>,
    pub(crate) secret_access_key: Option<String>,
    pub(crate) session_token: Option<String>,
    /// None: the defaults in source/store.rs.
    pub(crate) request_timeout: Option<std::time::Duration>,
    pub(crate) connect_timeout: Option<std::time::Duration>,
    pub(crate) max_retries: Option<usize>,
    pub(crate) retry_timeout: Option<std::time::Duration>,
}

#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    pub(crate) format: Option<FormatChoice>,
    pub(crate) csv: CsvOptions,
    pub(crate) schema: Option<Arc<Schema>>,
    /// NDJSON keys that are not in the schema: skipped instead of an error.
    pub(crate) ndjson_ignore_unknown_keys: bool,
    /// The unit Parquet INT96 timestamps are decoded to (None: nanoseconds).
    pub(crate) int96_timestamp_unit: Option<arrow::datatypes::TimeUnit>,
    pub(crate) store: StoreOptions,
    /// Which snapshot of a Delta table to read (None: the latest).
    pub(crate) delta_snapshot: Option<DeltaSnapshot>,
    /// Stream sources only: when and where their snapshot is written.
    pub(crate) snapshot: super::SnapshotOptions,
}

/// A Delta table version, or the latest version committed at or before a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeltaSnapshot {
    Version(u64),
    /// Milliseconds since the epoch, with the text the user gave, for messages.
    Timestamp {
        millis: i64,
        text: String,
    },
}

pub(crate) const KNOWN: &[&str] = &[
    "format",
    "csv_header",
    "csv_delimiter",
    "csv_quote",
    "csv_infer_rows",
    "schema",
    "endpoint",
    "region",
    "anonymous",
    "allow_http",
    "access_key_id",
    "secret_access_key",
    "session_token",
    "ndjson_unknown_keys",
    "coerce_int96_timestamp_unit",
    "request_timeout",
    "connect_timeout",
    "max_retries",
    "retry_timeout",
    "version",
    "timestamp",
];

impl SourceOptions {
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let text = || Some(value.to_string());
        match key {
            "format" => {
                let delta = value.trim().eq_ignore_ascii_case("delta").then_some(FormatChoice::Delta);
                self.format = Some(
                    delta
                        .or_else(|| FormatChoice::parse(value))
                        .ok_or_else(|| parse::bad(key, value, "expected parquet, ipc (arrow, feather), csv, ndjson (json) or delta"))?,
                )
            }
            "version" => {
                self.refuse_both_snapshot_keys(key)?;
                self.delta_snapshot = Some(DeltaSnapshot::Version(parse::unsigned(key, value)?))
            }
            "timestamp" => {
                self.refuse_both_snapshot_keys(key)?;
                let millis = super::delta_time::parse_millis(value).ok_or_else(|| {
                    parse::bad(key, value, "expected a date and time such as 2024-05-01T12:00:00Z (RFC 3339; no zone means UTC) or a date")
                })?;
                self.delta_snapshot = Some(DeltaSnapshot::Timestamp { millis, text: value.to_string() });
            }
            "csv_header" => self.csv.header = parse::boolean(key, value)?,
            "csv_delimiter" => self.csv.delimiter = Some(parse::ascii_char(key, value)?),
            "csv_quote" => self.csv.quote = parse::ascii_char(key, value)?,
            "csv_infer_rows" => self.csv.infer_rows = parse::positive(key, value)? as usize,
            "schema" => self.schema = Some(Arc::new(parse_schema(value)?)),
            "ndjson_unknown_keys" => {
                self.ndjson_ignore_unknown_keys = match value.trim().to_ascii_lowercase().as_str() {
                    "error" => false,
                    "ignore" => true,
                    _ => return Err(parse::bad(key, value, "expected error or ignore")),
                }
            }
            "coerce_int96_timestamp_unit" => {
                use arrow::datatypes::TimeUnit;
                self.int96_timestamp_unit = Some(match value.trim().to_ascii_lowercase().as_str() {
                    "ns" => TimeUnit::Nanosecond,
                    "us" => TimeUnit::Microsecond,
                    "ms" => TimeUnit::Millisecond,
                    "s" => TimeUnit::Second,
                    _ => return Err(parse::bad(key, value, "expected ns, us, ms or s")),
                })
            }
            "endpoint" => self.store.endpoint = Some(parse::http_url(key, value)?),
            "region" => self.store.region = text(),
            "anonymous" => self.store.anonymous = parse::boolean(key, value)?,
            "allow_http" => self.store.allow_http = Some(parse::boolean(key, value)?),
            "access_key_id" => self.store.access_key_id = text(),
            "secret_access_key" => self.store.secret_access_key = text(),
            "session_token" => self.store.session_token = text(),
            "request_timeout" => self.store.request_timeout = Some(parse::seconds(key, value)?),
            "connect_timeout" => self.store.connect_timeout = Some(parse::seconds(key, value)?),
            "max_retries" => self.store.max_retries = Some(usize::try_from(parse::unsigned(key, value)?).unwrap_or(usize::MAX)),
            "retry_timeout" => self.store.retry_timeout = Some(parse::seconds(key, value)?),
            _ => {
                if !self.snapshot.set(key, value)? {
                    let known: Vec<&str> = KNOWN.iter().chain(super::snapshot_options::KNOWN).copied().collect();
                    return Err(parse::unknown("source", key, &known));
                }
            }
        }
        Ok(())
    }

    /// A snapshot is chosen by version or by time, not both: one would silently override the other.
    fn refuse_both_snapshot_keys(&self, key: &str) -> Result<()> {
        let other = match (&self.delta_snapshot, key) {
            (Some(DeltaSnapshot::Version(_)), "timestamp") => "version",
            (Some(DeltaSnapshot::Timestamp { .. }), "version") => "timestamp",
            _ => return Ok(()),
        };
        Err(Error::invalid_argument(format!("options '{key}' and '{other}' both choose a Delta table snapshot: set one of them")))
    }

    /// Checks that depend on several options at once (their order of setting is free).
    pub fn validate(&self) -> Result<()> {
        if self.csv.delimiter == Some(self.csv.quote) {
            return Err(Error::invalid_argument(format!(
                "options 'csv_delimiter' and 'csv_quote' are both '{}': a CSV file cannot use one character for both",
                self.csv.quote.escape_ascii()
            )));
        }
        if self.delta_snapshot.is_some() && self.format.is_some_and(|f| f != FormatChoice::Delta) {
            return Err(Error::invalid_argument(
                "options 'version' and 'timestamp' choose a snapshot of a Delta table, but option 'format' names another format",
            ));
        }
        Ok(())
    }
}

/// `name:type,name:type` for CSV and NDJSON sources.
fn parse_schema(value: &str) -> Result<Schema> {
    let mut fields = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, type_name) = part.rsplit_once(':').ok_or_else(|| parse::bad("schema", value, &format!("'{part}' is not name:type")))?;
        let data_type = parse_type(type_name.trim())
            .ok_or_else(|| parse::bad("schema", value, &format!("unknown type '{}' for column '{}'", type_name.trim(), name.trim())))?;
        if fields.iter().any(|f: &Field| f.name() == name.trim()) {
            return Err(parse::bad("schema", value, &format!("column '{}' is declared twice", name.trim())));
        }
        fields.push(Field::new(name.trim(), data_type, true));
    }
    if fields.is_empty() {
        return Err(Error::invalid_argument("option 'schema' is empty: expected name:type,name:type"));
    }
    Ok(Schema::new(fields))
}

fn parse_type(name: &str) -> Option<DataType> {
    Some(match name.to_ascii_lowercase().as_str() {
        "bool" | "boolean" => DataType::Boolean,
        "int8" => DataType::Int8,
        "int16" => DataType::Int16,
        "int32" => DataType::Int32,
        "int64" => DataType::Int64,
        "uint8" => DataType::UInt8,
        "uint16" => DataType::UInt16,
        "uint32" => DataType::UInt32,
        "uint64" => DataType::UInt64,
        "float32" | "float" => DataType::Float32,
        "float64" | "double" => DataType::Float64,
        "utf8" | "string" | "str" => DataType::Utf8,
        "large_utf8" | "large_string" => DataType::LargeUtf8,
        "date32" | "date" => DataType::Date32,
        "timestamp[s]" => DataType::Timestamp(TimeUnit::Second, None),
        "timestamp[ms]" => DataType::Timestamp(TimeUnit::Millisecond, None),
        "timestamp[us]" => DataType::Timestamp(TimeUnit::Microsecond, None),
        "timestamp[ns]" => DataType::Timestamp(TimeUnit::Nanosecond, None),
        _ => return None,
    })
}

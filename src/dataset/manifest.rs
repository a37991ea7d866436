//! The manifest of a dataset version (docs/datasets.md specifies it): what the
//! version holds (schema, files with their rows, sizes and SHA-256 checksums),
//! where it came from (the source, described without secrets), and what the
//! user said about it (comment, properties, label and excluded columns).
//! It is JSON, written once when the version is published, never changed.

use super::name;
use crate::error::{Error, ErrorKind, Result};
use arrow::datatypes::Schema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The format this sluice writes, and the newest it reads.
pub const FORMAT_VERSION: u64 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format_version: u64,
    pub dataset: String,
    pub version: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub sluice_version: String,
    /// What the rows were read from, without passwords or query values.
    pub source: String,
    pub comment: Option<String>,
    pub properties: Map<String, Value>,
    pub label_cols: Vec<String>,
    pub exclude_cols: Vec<String>,
    pub partition_by: Option<String>,
    /// The seed the rows were shuffled with; None when they keep the source's order.
    pub shuffle_seed: Option<u64>,
    pub schema: Vec<Column>,
    pub num_rows: u64,
    /// The files' bytes, all together.
    pub num_bytes: u64,
    /// In the order their rows are read.
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub name: String,
    /// The Arrow type as arrow-rs prints it ("Int64", "Utf8", "Timestamp(µs, \"UTC\")" ...).
    #[serde(rename = "type")]
    pub data_type: String,
    pub nullable: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Relative to the dataset's directory (`<root>/<dataset>/`), '/'-separated.
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the whole file.
    pub sha256: String,
    /// With `partition_by`: the partition column's value in every row of the file (as text; null for nulls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_value: Option<Value>,
}

/// The columns of `schema` as the manifest lists them.
pub fn columns(schema: &Schema) -> Vec<Column> {
    schema
        .fields()
        .iter()
        .map(|f| Column { name: f.name().clone(), data_type: f.data_type().to_string(), nullable: f.is_nullable() })
        .collect()
}

impl Manifest {
    pub fn to_json(&self) -> Vec<u8> {
        let mut text = serde_json::to_vec_pretty(self).expect("a manifest is JSON");
        text.push(b'\n');
        text
    }

    /// Parses the manifest at `name` (for messages) of version `version`, checking what a
    /// reader relies on: the format version, the file paths (inside the version's
    /// directory), the row count.
    pub fn parse(bytes: &[u8], name: &str, version: &str) -> Result<Manifest> {
        let corrupt = |why: String| Error::invalid_data(format!("the manifest '{name}' of version '{version}' is corrupt: {why}"));
        let value: Value = serde_json::from_slice(bytes).map_err(|e| corrupt(format!("it is not JSON ({e})")))?;
        let format = value.get("format_version").and_then(Value::as_u64).ok_or_else(|| corrupt("it has no format_version".into()))?;
        if format > FORMAT_VERSION {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the manifest '{name}' of version '{version}' has format_version {format}, which is newer than this sluice ({}) \
                     reads (up to {FORMAT_VERSION}): upgrade sluice to read it",
                    env!("CARGO_PKG_VERSION")
                ),
            ));
        }
        let manifest: Manifest = serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?;
        if manifest.version != version {
            return Err(corrupt(format!("it describes version '{}'", manifest.version)));
        }
        let prefix = format!("data/{version}/");
        for file in &manifest.files {
            let inside = file
                .path
                .strip_prefix(&prefix)
                .is_some_and(|rest| rest.split('/').all(|part| name::check("path part", part).is_ok()) && rest.split('/').count() >= 2);
            if !inside {
                return Err(corrupt(format!("file path '{}' is not inside '{prefix}'", file.path)));
            }
            if file.sha256.len() != 64 || !file.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(corrupt(format!("file '{}' has no SHA-256 checksum", file.path)));
            }
        }
        let rows: u64 = manifest.files.iter().map(|f| f.rows).sum();
        if rows != manifest.num_rows {
            return Err(corrupt(format!("num_rows is {} but its files hold {rows} rows", manifest.num_rows)));
        }
        Ok(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            format_version: FORMAT_VERSION,
            dataset: "d".into(),
            version: "v1".into(),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            sluice_version: "0.1.0".into(),
            source: "1 file(s): a.parquet".into(),
            comment: None,
            properties: Map::new(),
            label_cols: vec![],
            exclude_cols: vec![],
            partition_by: None,
            shuffle_seed: None,
            schema: vec![Column { name: "x".into(), data_type: "Int64".into(), nullable: true }],
            num_rows: 3,
            num_bytes: 10,
            files: vec![FileEntry {
                path: "data/v1/a1-2-3/part-00000.parquet".into(),
                rows: 3,
                bytes: 10,
                sha256: "0".repeat(64),
                partition_value: None,
            }],
        }
    }

    #[test]
    fn a_manifest_reads_back_as_written() {
        let manifest = sample();
        assert_eq!(Manifest::parse(&manifest.to_json(), "m", "v1").unwrap(), manifest);
    }

    #[test]
    fn newer_corrupt_and_escaping_manifests_are_refused_by_name() {
        let mut value: Value = serde_json::from_slice(&sample().to_json()).unwrap();
        value["format_version"] = 2.into();
        let err = Manifest::parse(value.to_string().as_bytes(), "m.json", "v1").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unsupported);
        assert!(err.message.contains("format_version 2") && err.message.contains("m.json"), "{}", err.message);

        let err = Manifest::parse(b"{not json", "m.json", "v1").unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidData);
        assert!(err.message.contains("corrupt") && err.message.contains("m.json"), "{}", err.message);

        let mut escaping = sample();
        escaping.files[0].path = "data/v1/../../etc/passwd".into();
        let err = Manifest::parse(&escaping.to_json(), "m.json", "v1").unwrap_err();
        assert!(err.message.contains("not inside"), "{}", err.message);
    }
}

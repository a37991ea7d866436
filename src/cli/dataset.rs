//! `sluice dataset create|list|show|delete|verify|clean`: versioned datasets
//! (docs/datasets.md) from the command line. ROOT is a local directory or an
//! s3://, gs://, az:// URI; `-o KEY=VALUE` gives the object store's options.
//! New versions are written by `sluice convert SRC ROOT --to-dataset NAME --to-version V`.

use super::output::Printed;
use super::source::key_value;
use super::Context;
use crate::dataset::Manifest;
use crate::error::Result;
use crate::{Dataset, SourceOptions};
use serde_json::json;
use std::time::Duration;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Creates a dataset (nothing in it yet)
    Create {
        #[command(flatten)]
        at: At,
        /// No error when it exists already
        #[arg(long)]
        exist_ok: bool,
    },
    /// The dataset's versions, with their rows and creation times
    List {
        #[command(flatten)]
        at: At,
    },
    /// A version's manifest: rows, bytes, files, schema, comment, properties (--json: the manifest itself)
    Show {
        #[command(flatten)]
        at: At,
        version: String,
    },
    /// Deletes a version: its manifest first, then its files
    Delete {
        #[command(flatten)]
        at: At,
        version: String,
    },
    /// Checks every file of a version: there, of its size, with its SHA-256
    Verify {
        #[command(flatten)]
        at: At,
        version: String,
    },
    /// Removes what creates that crashed left (files no manifest lists)
    Clean {
        #[command(flatten)]
        at: At,
        /// Only attempts started at least this many seconds ago (0: all; safe only while no create runs)
        #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
        older_than: u64,
    },
}

#[derive(clap::Args)]
pub struct At {
    /// The dataset root: a local directory or an s3://, gs://, az:// URI
    root: String,
    /// The dataset's name
    name: String,
    /// A source option for the object store, KEY=VALUE (endpoint, region, access_key_id ...); repeatable
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    options: Vec<String>,
}

impl At {
    fn options(&self) -> Result<SourceOptions> {
        let mut options = SourceOptions::default();
        for pair in &self.options {
            let (key, value) = key_value(pair, "-o")?;
            options.set(key, value)?;
        }
        Ok(options)
    }

    fn open(&self) -> Result<Dataset> {
        Dataset::open(&self.root, &self.name, &self.options()?)
    }
}

pub fn run(command: &Command, _context: &Context) -> Result<Printed> {
    match command {
        Command::Create { at, exist_ok } => {
            Dataset::create(&at.root, &at.name, *exist_ok, &at.options()?)?;
            let text = format!("dataset '{}' under '{}'", at.name, at.root);
            Ok(Printed { text, json: json!({"dataset": at.name, "root": at.root}), json_text: None })
        }
        Command::List { at } => {
            let dataset = at.open()?;
            let manifests = dataset.versions()?.iter().map(|v| dataset.manifest(v)).collect::<Result<Vec<_>>>()?;
            let text = manifests
                .iter()
                .map(|m| {
                    format!(
                        "{}\t{} rows\t{} bytes\t{}\t{}",
                        m.version,
                        m.num_rows,
                        m.num_bytes,
                        m.created_at,
                        m.comment.as_deref().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let json = manifests
                .iter()
                .map(|m| json!({"version": m.version, "rows": m.num_rows, "bytes": m.num_bytes, "created_at": m.created_at, "comment": m.comment}))
                .collect();
            Ok(Printed { text, json: serde_json::Value::Array(json), json_text: None })
        }
        Command::Show { at, version } => {
            let manifest = at.open()?.manifest(version)?;
            Ok(shown(&manifest))
        }
        Command::Delete { at, version } => {
            at.open()?.delete_version(version)?;
            Ok(Printed {
                text: format!("deleted version '{version}' of '{}'", at.name),
                json: json!({"deleted": version}),
                json_text: None,
            })
        }
        Command::Verify { at, version } => {
            let dataset = at.open()?;
            let manifest = dataset.manifest(version)?;
            dataset.check_files(&manifest, true)?;
            let text = format!(
                "version '{version}' of '{}': {} files, {} bytes, every checksum matches",
                at.name,
                manifest.files.len(),
                manifest.num_bytes
            );
            Ok(Printed {
                text,
                json: json!({"version": version, "files": manifest.files.len(), "bytes": manifest.num_bytes, "ok": true}),
                json_text: None,
            })
        }
        Command::Clean { at, older_than } => {
            let removed = at.open()?.clean_up(Duration::from_secs(*older_than))?;
            let text = format!("removed {} files of {} abandoned attempts", removed.files, removed.attempts.len());
            Ok(Printed { text, json: json!({"attempts": removed.attempts, "files": removed.files}), json_text: None })
        }
    }
}

fn shown(manifest: &Manifest) -> Printed {
    let mut lines = vec![
        format!("version: {}", manifest.version),
        format!("rows: {}", manifest.num_rows),
        format!("bytes: {}", manifest.num_bytes),
        format!("files: {}", manifest.files.len()),
        format!("created: {}", manifest.created_at),
        format!("source: {}", manifest.source),
    ];
    if let Some(comment) = &manifest.comment {
        lines.push(format!("comment: {comment}"));
    }
    for (key, list) in [("label_cols", &manifest.label_cols), ("exclude_cols", &manifest.exclude_cols)] {
        if !list.is_empty() {
            lines.push(format!("{key}: {}", list.join(", ")));
        }
    }
    if !manifest.properties.is_empty() {
        lines.push(format!("properties: {}", serde_json::Value::Object(manifest.properties.clone())));
    }
    lines.push("schema:".into());
    lines.extend(manifest.schema.iter().map(|c| format!("  {}: {}{}", c.name, c.data_type, if c.nullable { "" } else { " not null" })));
    let json = serde_json::to_value(manifest).expect("a manifest is JSON");
    Printed { text: lines.join("\n"), json, json_text: None }
}

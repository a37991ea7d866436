//! SRC and its options, as every command takes them: the same inputs as
//! `from_sources` (paths, directories, globs, URIs), `--format`, source options
//! `-o KEY=VALUE` and read options `-r KEY=VALUE` (docs/options.md), parsed by
//! the library's own option setters so that every option and its error
//! messages are those of the other bindings.
//! SRC may also be a query (`--sql`, `--uri`: [`super::sql`]), and
//! `--dataset NAME --version V` reads a dataset version, SRC being its root.

use super::sql::SqlArgs;
use crate::error::{Error, Result};
use crate::{Connector, ReadOptions, SourceOptions};

#[derive(clap::Args)]
pub struct SourceArgs {
    /// The format: parquet, ipc, csv or ndjson (by default from the file extensions)
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// A source option, KEY=VALUE (docs/options.md: csv_delimiter, schema, endpoint, region ...); repeatable
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,
    /// A read option, KEY=VALUE (docs/options.md: columns, limit, shuffle, seed, tensors ...); repeatable
    #[arg(short = 'r', long = "read-option", value_name = "KEY=VALUE")]
    pub read_options: Vec<String>,
    #[command(flatten)]
    pub sql: SqlArgs,
    /// Read a version of this dataset: SRC is then the dataset root (docs/datasets.md)
    #[arg(long, value_name = "NAME", requires = "dataset_version")]
    pub dataset: Option<String>,
    /// The version of --dataset to read
    #[arg(long = "version", value_name = "VERSION", requires = "dataset")]
    pub dataset_version: Option<String>,
}

impl SourceArgs {
    /// Opens `sources` with the source options: every file's metadata is read, the schema checked.
    /// With `--sql`, runs the query instead (clap has made sure that no SRC was given then).
    pub fn open(&self, sources: &[String]) -> Result<Connector> {
        let options = self.source_options()?;
        if let Some(connector) = self.sql.open(&options)? {
            return Ok(connector);
        }
        if let (Some(name), Some(version)) = (&self.dataset, &self.dataset_version) {
            let [root] = sources else {
                return Err(Error::invalid_argument(format!("--dataset {name}: give one SRC, the dataset root ({} given)", sources.len())));
            };
            return crate::Dataset::open(root, name, &options)?.open_version(version, false);
        }
        Connector::open(sources, &options)
    }

    /// The source options: `--format`, then the `-o` pairs.
    pub fn source_options(&self) -> Result<SourceOptions> {
        let mut options = SourceOptions::default();
        if let Some(format) = &self.format {
            if self.sql.sql.is_some() {
                return Err(Error::invalid_argument("--format applies to files, not to a query (--sql)"));
            }
            options.set("format", format)?;
        }
        for pair in &self.options {
            let (key, value) = key_value(pair, "-o")?;
            options.set(key, value)?;
        }
        Ok(options)
    }

    /// The read options: `-r` pairs first, then what the command's own flags set.
    pub fn read_options(&self, flags: &[(&str, String)]) -> Result<ReadOptions> {
        let mut options = ReadOptions::default();
        for pair in &self.read_options {
            let (key, value) = key_value(pair, "-r")?;
            options.set(key, value)?;
        }
        for (key, value) in flags {
            options.set(key, value)?;
        }
        Ok(options)
    }
}

pub fn key_value<'a>(pair: &'a str, flag: &str) -> Result<(&'a str, &'a str)> {
    pair.split_once('=')
        .filter(|(key, _)| !key.trim().is_empty())
        .map(|(key, value)| (key.trim(), value))
        .ok_or_else(|| Error::invalid_argument(format!("{flag} '{pair}': expected KEY=VALUE, such as {flag} batch_size=1024")))
}

/// A list of column names as the `columns` option takes it (a JSON array: names may hold commas).
pub fn name_list(names: &[String]) -> String {
    serde_json::to_string(names).expect("a list of strings is JSON")
}

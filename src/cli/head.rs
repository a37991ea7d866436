//! `sluice head SRC [-n N]`: the first N rows, as a table or (`--json`) as
//! an array of row objects.

use super::output::Printed;
use super::source::SourceArgs;
use crate::error::{Error, Result};
use arrow::record_batch::RecordBatch;

#[derive(clap::Args)]
pub struct Args {
    /// Files, directories, globs or URIs (as from_sources takes them); none with --sql
    #[arg(required_unless_present = "sql", conflicts_with = "sql", value_name = "SRC")]
    sources: Vec<String>,
    /// How many rows
    #[arg(short = 'n', long = "rows", default_value_t = 10, value_name = "N")]
    rows: u64,
    #[command(flatten)]
    source: SourceArgs,
}

pub fn run(args: &Args) -> Result<Printed> {
    let connector = args.source.open(&args.sources)?;
    let options = args.source.read_options(&[("limit", args.rows.to_string())])?;
    let schema = connector.read_schema(&options)?;
    let mut stream = connector.read(&options)?;
    let mut batches = Vec::new();
    while let Some(batch) = stream.next_batch()? {
        batches.push(batch);
    }
    let text = arrow::util::pretty::pretty_format_batches(&batches).map_err(|e| Error::internal(format!("formatting the rows: {e}")))?;
    let json_text = if batches.is_empty() { "[]".to_string() } else { rows_json_text(&batches)? };
    let text = if batches.is_empty() { format!("(no rows; columns: {})", column_names(&schema)) } else { text.to_string() };
    Ok(Printed { text, json: serde_json::Value::Null, json_text: Some(json_text) })
}

fn column_names(schema: &arrow::datatypes::Schema) -> String {
    schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", ")
}

/// The rows as JSON objects (arrow's JSON writer: nulls written, timestamps as ISO 8601).
pub fn rows_as_json(batches: &[RecordBatch]) -> Result<serde_json::Value> {
    serde_json::from_str(&rows_json_text(batches)?).map_err(|e| Error::internal(format!("reading the rows' JSON: {e}")))
}

/// The rows as a JSON array of objects whose keys are in column order.
fn rows_json_text(batches: &[RecordBatch]) -> Result<String> {
    let failed = |e: &dyn std::fmt::Display| Error::internal(format!("writing the rows as JSON: {e}"));
    let mut writer = arrow::json::WriterBuilder::new().with_explicit_nulls(true).build::<_, arrow::json::writer::JsonArray>(Vec::new());
    for batch in batches {
        writer.write(batch).map_err(|e| failed(&e))?;
    }
    writer.finish().map_err(|e| failed(&e))?;
    String::from_utf8(writer.into_inner()).map_err(|e| failed(&e))
}

//! `sluice schema SRC`: the schema of the rows a read would emit (with `-r`,
//! after `columns`, `features` or `tensors`), from metadata alone.

use super::output::Printed;
use super::source::SourceArgs;
use crate::error::Result;
use arrow::datatypes::Schema;
use serde_json::json;

#[derive(clap::Args)]
pub struct Args {
    /// Files, directories, globs or URIs (as from_sources takes them); none with --sql
    #[arg(required_unless_present = "sql", conflicts_with = "sql", value_name = "SRC")]
    sources: Vec<String>,
    #[command(flatten)]
    source: SourceArgs,
}

pub fn run(args: &Args) -> Result<Printed> {
    let connector = args.source.open(&args.sources)?;
    let schema = connector.read_schema(&args.source.read_options(&[])?)?;
    Ok(printed(&schema))
}

fn printed(schema: &Schema) -> Printed {
    let text = schema
        .fields()
        .iter()
        .map(|f| format!("{}: {}{}", f.name(), f.data_type(), if f.is_nullable() { "" } else { " not null" }))
        .collect::<Vec<_>>()
        .join("\n");
    let columns: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| json!({"name": f.name(), "type": f.data_type().to_string(), "nullable": f.is_nullable(), "metadata": f.metadata()}))
        .collect();
    Printed { text, json: json!({"columns": columns, "metadata": schema.metadata()}), json_text: None }
}

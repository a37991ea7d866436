//! `sluice count SRC`: the rows a read would emit (after `limit`, shards and
//! workers given with `-r`), counted from metadata without decoding anything.

use super::output::Printed;
use super::source::SourceArgs;
use crate::error::Result;
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
    let rows = connector.count_rows(&args.source.read_options(&[])?)?;
    Ok(Printed { text: rows.to_string(), json: json!({"rows": rows, "fragments": connector.num_fragments()?}), json_text: None })
}

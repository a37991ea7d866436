//! `sluice bench SRC`: reads every row the way a training loop would (the
//! same read options) and reports the time, rows/s and MB/s. MB are the Arrow
//! bytes of the emitted rows (decoded, not the file sizes), 10^6 bytes each.

use super::output::Printed;
use super::progress::{batch_bytes, Progress};
use super::source::{name_list, SourceArgs};
use super::Context;
use crate::error::Result;
use serde_json::json;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Files, directories, globs or URIs (as from_sources takes them); none with --sql
    #[arg(required_unless_present = "sql", conflicts_with = "sql", value_name = "SRC")]
    sources: Vec<String>,
    /// Only these columns (comma-separated; the read option `columns`)
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    columns: Option<Vec<String>>,
    /// Rows per batch (the read option `batch_size`)
    #[arg(long, value_name = "ROWS")]
    batch_size: Option<u64>,
    #[command(flatten)]
    source: SourceArgs,
}

pub fn run(args: &Args, context: &Context) -> Result<Printed> {
    let opening = Instant::now();
    let connector = args.source.open(&args.sources)?;
    let open_seconds = opening.elapsed().as_secs_f64();
    let mut flags = Vec::new();
    if let Some(columns) = &args.columns {
        flags.push(("columns", name_list(columns)));
    }
    if let Some(batch_size) = args.batch_size {
        flags.push(("batch_size", batch_size.to_string()));
    }
    let options = args.source.read_options(&flags)?;
    let total = connector.count_rows(&options)?;
    let mut progress = Progress::new(context, total, "bench");
    let reading = Instant::now();
    let mut stream = connector.read(&options)?;
    let (mut rows, mut bytes, mut batches) = (0u64, 0u64, 0u64);
    while let Some(batch) = stream.next_batch()? {
        let size = batch_bytes(&batch);
        progress.add(&batch, size);
        (rows, bytes, batches) = (rows + batch.num_rows() as u64, bytes + size, batches + 1);
    }
    let seconds = reading.elapsed().as_secs_f64().max(1e-9);
    progress.finish();
    let (rows_per_second, megabytes_per_second) = (rows as f64 / seconds, bytes as f64 / 1e6 / seconds);
    let text = format!(
        "{rows} rows, {batches} batches, {:.1} MB in {seconds:.3} s (open {open_seconds:.3} s): {rows_per_second:.0} rows/s, {megabytes_per_second:.1} MB/s",
        bytes as f64 / 1e6
    );
    let json = json!({
        "rows": rows, "batches": batches, "bytes": bytes, "seconds": seconds, "open_seconds": open_seconds,
        "rows_per_second": rows_per_second, "megabytes_per_second": megabytes_per_second,
    });
    Ok(Printed { text, json, json_text: None })
}

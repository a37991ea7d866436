//! `sluice stats SRC`: reads every row once and reports, per column, its
//! type, its nulls, its min and max, and what the column policy (the
//! `tensors` read option, with the tensor options given by `-r`) makes of it:
//! the tensor type, or why it cannot be a tensor. The policy's verdict comes
//! from the library (`read_schema` of the column with `tensors=true`), so it
//! is the one every binding gets.

use super::head::rows_as_json;
use super::output::Printed;
use super::progress::{batch_bytes, Progress};
use super::source::{name_list, SourceArgs};
use super::Context;
use crate::error::{Error, Result};
use crate::{Connector, ReadOptions};
use arrow::array::{Array, ArrayRef, StringArray};
use arrow::compute::{concat, sort_to_indices, SortOptions};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::json;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct Args {
    /// Files, directories, globs or URIs (as from_sources takes them); none with --sql
    #[arg(required_unless_present = "sql", conflicts_with = "sql", value_name = "SRC")]
    sources: Vec<String>,
    #[command(flatten)]
    source: SourceArgs,
}

/// One column's running statistics.
struct ColumnStats {
    field: Arc<Field>,
    nulls: u64,
    /// One-row arrays; None while no value was seen or when the type has no order.
    min: Option<ArrayRef>,
    max: Option<ArrayRef>,
    ordered: bool,
}

pub fn run(args: &Args, context: &Context) -> Result<Printed> {
    let connector = args.source.open(&args.sources)?;
    // The values as they are: the tensor options given with -r are for the verdicts only.
    let mut options = args.source.read_options(&[])?;
    options.tensors = crate::options::TensorOptions::default();
    let total = connector.count_rows(&options)?;
    let schema = connector.read_schema(&options)?;
    let mut columns: Vec<ColumnStats> =
        schema.fields().iter().map(|field| ColumnStats { field: field.clone(), nulls: 0, min: None, max: None, ordered: true }).collect();
    let mut progress = Progress::new(context, total, "stats");
    let mut stream = connector.read(&options)?;
    let mut rows = 0u64;
    while let Some(batch) = stream.next_batch()? {
        progress.add(&batch, batch_bytes(&batch));
        rows += batch.num_rows() as u64;
        for (stats, column) in columns.iter_mut().zip(batch.columns()) {
            stats.add(column);
        }
    }
    progress.finish();
    let tensors: Vec<Result<String>> = columns.iter().map(|c| tensor_verdict(&connector, &args.source, c)).collect();
    report(rows, &columns, &tensors)
}

impl ColumnStats {
    fn add(&mut self, column: &ArrayRef) {
        self.nulls += column.logical_null_count() as u64;
        if !self.ordered || column.logical_null_count() == column.len() {
            return;
        }
        match (extreme(column, false, self.min.as_ref()), extreme(column, true, self.max.as_ref())) {
            (Some(min), Some(max)) => (self.min, self.max) = (Some(min), Some(max)),
            _ => self.ordered = false,
        }
    }
}

/// The smallest (or largest) non-null value of `column` and of `running`, as a
/// one-row array; None when arrow has no order for the type (structs, maps ...).
fn extreme(column: &ArrayRef, descending: bool, running: Option<&ArrayRef>) -> Option<ArrayRef> {
    let order = SortOptions { descending, nulls_first: false };
    let pick = |values: &ArrayRef| -> Option<ArrayRef> {
        let first = sort_to_indices(values.as_ref(), Some(order), Some(1)).ok()?;
        Some(values.slice(first.value(0) as usize, 1))
    };
    let best = pick(column)?;
    match running {
        None => Some(best),
        Some(running) => pick(&concat(&[running.as_ref(), best.as_ref()]).ok()?),
    }
}

/// What the column policy makes of the column: its tensor type, or why not.
fn tensor_verdict(connector: &Connector, source: &super::source::SourceArgs, column: &ColumnStats) -> Result<String> {
    let mut options: ReadOptions = source.read_options(&[])?;
    options.set("columns", &name_list(&[column.field.name().clone()]))?;
    options.set("tensors", "true")?;
    let schema = connector.read_schema(&options)?;
    let mut verdict = schema.fields().iter().map(|f| f.data_type().to_string()).collect::<Vec<_>>().join(" + mask ");
    let filled = options.tensors.null_fill.is_some() || options.tensors.null_mask.contains(column.field.name());
    if column.nulls > 0 && !filled {
        verdict.push_str(&format!(
            " (its {} null(s) stop a tensor read: set null_fill=<value>, or null_mask={})",
            column.nulls,
            column.field.name()
        ));
    }
    Ok(verdict)
}

fn report(rows: u64, columns: &[ColumnStats], tensors: &[Result<String>]) -> Result<Printed> {
    let shown = |value: &Option<ArrayRef>| -> Result<String> {
        match value {
            None => Ok(String::new()),
            Some(array) => ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())
                .map(|f| f.value(0).to_string())
                .map_err(|e| Error::internal(format!("formatting a value: {e}"))),
        }
    };
    let as_json = |name: &str, value: &Option<ArrayRef>| -> Result<serde_json::Value> {
        let Some(array) = value else { return Ok(serde_json::Value::Null) };
        let batch =
            RecordBatch::try_new(Arc::new(Schema::new(vec![Field::new(name, array.data_type().clone(), true)])), vec![array.clone()])
                .map_err(|e| Error::internal(e.to_string()))?;
        Ok(rows_as_json(&[batch])?[0][name].clone())
    };
    let verdict = |t: &Result<String>| match t {
        Ok(t) => t.clone(),
        Err(e) => format!("not a tensor: {}", e.message),
    };
    let mut entries = Vec::new();
    let mut text_columns: [Vec<String>; 6] = Default::default();
    for (column, tensor) in columns.iter().zip(tensors) {
        let name = column.field.name();
        let cells = [
            name.clone(),
            column.field.data_type().to_string(),
            column.nulls.to_string(),
            shown(&column.min)?,
            shown(&column.max)?,
            verdict(tensor),
        ];
        for (cells_of_column, cell) in text_columns.iter_mut().zip(cells) {
            cells_of_column.push(cell);
        }
        entries.push(json!({
            "name": name,
            "type": column.field.data_type().to_string(),
            "nulls": column.nulls,
            "min": as_json("min", &column.min)?,
            "max": as_json("max", &column.max)?,
            "tensor": tensor.as_ref().ok(),
            "tensor_error": tensor.as_ref().err().map(|e| e.message.clone()),
        }));
    }
    let headers = ["column", "type", "nulls", "min", "max", "tensor"];
    let table = RecordBatch::try_new(
        Arc::new(Schema::new(headers.iter().map(|h| Field::new(*h, DataType::Utf8, false)).collect::<Vec<_>>())),
        text_columns.into_iter().map(|cells| Arc::new(StringArray::from(cells)) as ArrayRef).collect(),
    )
    .map_err(|e| Error::internal(e.to_string()))?;
    let text = arrow::util::pretty::pretty_format_batches(&[table]).map_err(|e| Error::internal(e.to_string()))?;
    Ok(Printed { text: format!("{rows} rows\n{text}"), json: json!({"rows": rows, "columns": entries}), json_text: None })
}

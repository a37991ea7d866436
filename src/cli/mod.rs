//! The `sluice` command line (docs/cli.md), built with the `cli` feature.
//!
//! One subcommand per file, each a thin layer over the Rust API that the C ABI
//! wraps (`Connector`, `ReadOptions`, `SourceOptions`): reading stays in the
//! library. Every command builds one [`Printed`] (its text and its JSON), so
//! `--json` covers all of them alike; errors go to stderr with the exit code of
//! their kind ([`exit`]).
//!
//! - [`source`]: SRC and its options (`--format`, `-o`, `-r`), shared by every command
//! - [`sql`]: SRC as a query (`--sql`, `--uri`, `--driver`)
//! - [`progress`]: the progress bar on long reads (indicatif), on a terminal only
//! - [`output`]: printing to stdout (a closed pipe ends quietly)

mod bench;
mod convert;
mod count;
mod dataset;
mod exit;
mod head;
mod output;
mod progress;
mod schema;
mod source;
mod sql;
mod stats;

use crate::error::{panic_message, Error, ErrorKind, Result};
use clap::{Parser, Subcommand};
use output::Printed;
use std::ffi::OsString;
use std::panic::{catch_unwind, AssertUnwindSafe};

#[derive(Parser)]
#[command(
    name = "sluice",
    version,
    about = "Look at tabular training data (Parquet, Arrow IPC, CSV, NDJSON; local or on object stores) before training on it, \
             and keep it as versioned datasets",
    after_help = "Exit status: 0 on success; otherwise the kind of the error (1 invalid argument or usage, 2 not found, 3 I/O, \
                  4 invalid data, 5 schema mismatch, 6 permission denied, 7 unsupported, 8 panic, 9 internal). See docs/cli.md."
)]
struct Cli {
    /// Print one JSON document on stdout instead of text
    #[arg(long, global = true)]
    json: bool,
    /// No progress bars (they show only when stderr is a terminal anyway)
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The schema of the rows a read would emit
    Schema(schema::Args),
    /// The first rows
    Head(head::Args),
    /// The number of rows a read would emit, from metadata (nothing is decoded)
    Count(count::Args),
    /// Per column: type, nulls, min and max, and what the column policy makes of it as a tensor
    Stats(stats::Args),
    /// Writes the rows to a Parquet file
    Convert(convert::Args),
    /// Reads everything and reports rows/s and MB/s
    Bench(bench::Args),
    /// Versioned datasets: create, list, show, delete, verify, clean (docs/datasets.md)
    #[command(subcommand)]
    Dataset(dataset::Command),
}

/// What every command is told besides its own arguments.
pub(crate) struct Context {
    pub json: bool,
    /// Progress bars allowed (not `--quiet`); they still need a terminal.
    pub progress: bool,
}

/// Runs the command line on `args` (the program name first) and returns the exit status.
/// Never panics: a panic is reported as an error of kind Panic.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(usage) => {
            // --help and --version are "errors" that print to stdout and succeed.
            let code = if usage.use_stderr() { exit::USAGE } else { 0 };
            let _ = usage.print();
            output::flush();
            return code;
        }
    };
    let context = Context { json: cli.json, progress: !cli.quiet };
    let outcome = catch_unwind(AssertUnwindSafe(|| dispatch(cli.command, &context).and_then(|printed| printed.print(context.json))))
        .unwrap_or_else(|panic| Err(Error::new(ErrorKind::Panic, format!("internal panic: {}", panic_message(&panic)))));
    output::flush();
    sql::remove_scratch();
    match outcome {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("sluice: {}", error.message);
            exit::code(error.kind)
        }
    }
}

fn dispatch(command: Command, context: &Context) -> Result<Printed> {
    match command {
        Command::Schema(args) => schema::run(&args),
        Command::Head(args) => head::run(&args),
        Command::Count(args) => count::run(&args),
        Command::Stats(args) => stats::run(&args, context),
        Command::Convert(args) => convert::run(&args, context),
        Command::Bench(args) => bench::run(&args, context),
        Command::Dataset(command) => dataset::run(&command, context),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// clap checks its own rules (positionals, flags) only in debug builds: check them here.
    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}

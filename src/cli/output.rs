//! What a command prints: its text, or with `--json` its JSON document, on
//! stdout. A reader that goes away (`sluice head big.parquet | head -3`) ends
//! the command quietly, as a closed pipe ends other tools.

use crate::error::{Error, ErrorKind, Result};
use std::io::Write;

pub struct Printed {
    pub text: String,
    pub json: serde_json::Value,
    /// JSON text to print as it is instead of `json` (rows, whose keys keep the column order).
    pub json_text: Option<String>,
}

impl Printed {
    pub fn print(&self, json: bool) -> Result<()> {
        let mut document = match (json, &self.json_text) {
            (false, _) => self.text.clone(),
            (true, Some(text)) => text.clone(),
            (true, None) => serde_json::to_string_pretty(&self.json).map_err(|e| Error::internal(e.to_string()))?,
        };
        if !document.ends_with('\n') {
            document.push('\n');
        }
        let mut stdout = std::io::stdout().lock();
        match stdout.write_all(document.as_bytes()).and_then(|()| stdout.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(Error::new(ErrorKind::Io, format!("could not write to standard output: {e}")))
            }
            _ => Ok(()),
        }
    }
}

/// Flushes what clap or a command left in stdout's buffer: when the Python
/// package runs the command line inside its own process, nothing else would.
pub fn flush() {
    let _ = std::io::stdout().flush();
}

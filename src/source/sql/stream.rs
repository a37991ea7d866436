//! One partition's result stream: it keeps its statement and connection alive
//! while it is read, and names the source and the partition in its errors.

use super::session::Executed;
use crate::error::{Error, ErrorKind};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::{RecordBatch, RecordBatchReader};

pub struct PartitionStream {
    // Declared first, so dropped first: the stream before its statement and connection.
    executed: Executed,
    /// "partition 2 of 4 (id >= 10 AND id < 20)", for messages.
    name: String,
    failed: bool,
}

impl PartitionStream {
    pub fn new(executed: Executed, name: String) -> Self {
        PartitionStream { executed, name, failed: false }
    }
}

impl Iterator for PartitionStream {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.executed.reader.next()?;
        Some(item.map_err(|e| {
            // A driver error ends the stream; it is never taken for the end of the result.
            self.failed = true;
            let message = match e {
                ArrowError::ExternalError(inner) => inner.to_string(),
                ArrowError::CDataInterface(message) | ArrowError::IoError(message, _) => message,
                other => other.to_string(),
            };
            ArrowError::ExternalError(Box::new(Error::new(ErrorKind::Io, format!("{}: reading the result failed: {message}", self.name))))
        }))
    }
}

impl RecordBatchReader for PartitionStream {
    fn schema(&self) -> SchemaRef {
        self.executed.reader.schema()
    }
}

//! The Rust API: open sources once, read them many times with different
//! options (epochs, shards, workers). The C ABI and every binding wrap this.

use crate::error::Result;
use crate::options::{ReadOptions, SourceOptions};
use crate::read::BatchStream;
use crate::runtime;
use crate::source::Source;
use arrow::datatypes::SchemaRef;
use std::sync::Arc;

#[derive(Clone)]
pub struct Connector {
    source: Arc<Source>,
}

impl Connector {
    /// Resolves the inputs, reads every file's metadata and checks the schema.
    pub fn open(inputs: &[String], options: &SourceOptions) -> Result<Connector> {
        options.validate()?;
        let (inputs, options) = (inputs.to_vec(), options.clone());
        let source = runtime::block_on(async move { Source::open(&inputs, &options).await })??;
        Ok(Connector { source: Arc::new(source) })
    }

    pub fn schema(&self) -> SchemaRef {
        self.source.schema.clone()
    }

    pub fn num_rows(&self) -> u64 {
        self.source.num_rows()
    }

    pub fn num_fragments(&self) -> usize {
        self.source.fragments.len()
    }

    /// The rows a reader with these options would emit (after shards, workers,
    /// limit and drop_last_batch), without reading anything.
    pub fn count_rows(&self, options: &ReadOptions) -> Result<u64> {
        options.validate()?;
        let rows: Vec<u64> = self.source.fragments.iter().map(|f| f.rows).collect();
        Ok(crate::plan::Plan::new(&rows, options).rows())
    }

    /// Starts a reader. The stream keeps the source alive on its own.
    pub fn read(&self, options: &ReadOptions) -> Result<BatchStream> {
        BatchStream::start(self.source.clone(), options)
    }
}

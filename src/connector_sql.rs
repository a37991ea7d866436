//! Connectors over query results (see `source::sql`).

use crate::connector::Connector;
use crate::error::Result;
use crate::options::SourceOptions;
use crate::source::sql::{self, SqlSource};

impl Connector {
    /// Runs the query (in partitions, if `source` asks) and returns a connector over its
    /// result. The result streams from the database on the first single ordered pass;
    /// anything else reads the snapshot written as it streams (see `from_streams`).
    pub fn from_sql(source: &SqlSource, options: &SourceOptions) -> Result<Connector> {
        options.validate()?;
        let partitions = sql::open(source)?;
        Connector::from_streams(partitions.streams, &source.describe(), options)
    }
}

//! Column chunks whose footer gives a dictionary page offset that cannot be one:
//! `0` (some writers set it on columns without a dictionary) or not before the
//! first data page. The Parquet reader would start the chunk there (at the
//! file's magic bytes for `0`); like pyarrow, such an offset is ignored and the
//! chunk starts at its first data page.

use parquet::errors::Result;
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaData};

fn misplaced(column: &ColumnChunkMetaData) -> bool {
    column.dictionary_page_offset().is_some_and(|offset| offset <= 0 || offset >= column.data_page_offset())
}

/// `metadata` without misplaced dictionary page offsets; unchanged (not rebuilt) when it has none.
pub fn without_misplaced(metadata: ParquetMetaData) -> Result<ParquetMetaData> {
    if !metadata.row_groups().iter().any(|rg| rg.columns().iter().any(misplaced)) {
        return Ok(metadata);
    }
    let mut builder = metadata.into_builder();
    let mut groups = Vec::new();
    for group in builder.take_row_groups() {
        let mut group = group.into_builder();
        let columns = group
            .take_columns()
            .into_iter()
            .map(|c| if misplaced(&c) { c.into_builder().set_dictionary_page_offset(None).build() } else { Ok(c) })
            .collect::<Result<Vec<_>>>()?;
        groups.push(group.set_column_metadata(columns).build()?);
    }
    Ok(builder.set_row_groups(groups).build())
}

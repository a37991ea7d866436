"""Writes the binary fixtures of the C ABI tests (run once; the output is committed).

    python tests/c/data/make_fixtures.py        # needs pyarrow

small.parquet: 50 rows in row groups of 20 rows (3 fragments):
  id    int64   = row
  x     float32 = row / 2
  s     utf8    = "s<row>"
  maybe int32   = row, null where row % 5 == 0
tests/c/test_sluice.c (read_parquet_fixture) checks exactly these values.

corrupt_pages.parquet: id int64 = row, 60 rows in row groups of 20, uncompressed; the
  footer is valid but the second row group's pages are overwritten with 0xA5 bytes, so the
  error comes while reading (stream_error_status).
"""
import pathlib

import pyarrow as pa
import pyarrow.parquet as pq

HERE = pathlib.Path(__file__).resolve().parent


def main() -> None:
    rows = range(50)
    table = pa.table(
        {
            "id": pa.array(rows, pa.int64()),
            "x": pa.array([r / 2 for r in rows], pa.float32()),
            "s": pa.array([f"s{r}" for r in rows], pa.string()),
            "maybe": pa.array([None if r % 5 == 0 else r for r in rows], pa.int32()),
        }
    )
    pq.write_table(
        table,
        HERE / "small.parquet",
        row_group_size=20,
        compression="snappy",
        write_statistics=True,
        store_schema=False,
    )

    corrupt = HERE / "corrupt_pages.parquet"
    pq.write_table(pa.table({"id": pa.array(range(60), pa.int64())}), corrupt, row_group_size=20,
                   compression="none", store_schema=False)
    data = bytearray(corrupt.read_bytes())
    chunk = pq.ParquetFile(corrupt).metadata.row_group(1).column(0)
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    data[start : start + chunk.total_compressed_size] = b"\xa5" * chunk.total_compressed_size
    corrupt.write_bytes(bytes(data))


if __name__ == "__main__":
    main()

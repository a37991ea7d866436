"""Writes the binary fixtures of the C ABI tests (run once; the output is committed).

    python tests/c/data/make_fixtures.py        # needs pyarrow

small.parquet: 50 rows in row groups of 20 rows (3 fragments):
  id    int64   = row
  x     float32 = row / 2
  s     utf8    = "s<row>"
  maybe int32   = row, null where row % 5 == 0
tests/c/test_sluice.c (read_parquet_fixture) checks exactly these values.
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


if __name__ == "__main__":
    main()

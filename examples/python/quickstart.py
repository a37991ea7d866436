"""sluice quick start: Parquet files -> pandas, and a shuffled, sharded stream.

Writes a sample table (2,000,000 rows by default, in 4 Parquet files) under
data/quickstart at the repository root, unless it is already there, then
loads it into pandas through sluice and prints the rate.

    .venv/bin/python examples/python/quickstart.py [--rows N] [--dir DIR]
"""

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import sluice

ROOT = Path(__file__).resolve().parents[2]
NUM_FILES = 4


def make_table(num_rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    cities = np.array(["Lisbon", "Osaka", "Lagos", "Lima", "Oslo", "Pune"], dtype=object)
    return pa.table(
        {
            "id": pa.array(np.arange(num_rows, dtype=np.int64)),
            "x1": pa.array(rng.standard_normal(num_rows, dtype=np.float32)),
            "x2": pa.array(rng.standard_normal(num_rows, dtype=np.float32)),
            "x3": pa.array(rng.random(num_rows)),  # float64
            "count": pa.array(rng.integers(0, 1000, num_rows, dtype=np.int64)),
            "city": pa.array(cities[rng.integers(0, len(cities), num_rows)], type=pa.string()),
            "label": pa.array(rng.integers(0, 2, num_rows, dtype=np.int32)),
        }
    )


def table_rows(directory: Path) -> int:
    """Rows in the Parquet files of a directory, from their footers."""
    return sum(pq.ParquetFile(p).metadata.num_rows for p in sorted(directory.glob("*.parquet")))


def ensure_sample(directory: Path, num_rows: int) -> None:
    if directory.is_dir() and table_rows(directory) == num_rows:
        print(f"sample table: {directory} ({num_rows:,} rows, already there)")
        return
    started = time.perf_counter()
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    per_file = -(-num_rows // NUM_FILES)
    first = 0
    for i in range(NUM_FILES):
        n = min(per_file, num_rows - first)
        table = make_table(n, seed=i)
        # ids continue across files, so row i of the table has id i
        table = table.set_column(0, "id", pa.array(np.arange(first, first + n, dtype=np.int64)))
        pq.write_table(table, tmp / f"part-{i}.parquet", row_group_size=131_072, compression="snappy")
        first += n
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(tmp, directory)
    print(f"sample table: wrote {num_rows:,} rows in {NUM_FILES} Parquet files to {directory} "
          f"({time.perf_counter() - started:.1f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows in the sample table")
    parser.add_argument("--dir", type=Path, default=ROOT / "data" / "quickstart", help="where the table goes")
    args = parser.parse_args()
    ensure_sample(args.dir, args.rows)

    # 1. The whole table into pandas.
    connector = sluice.DataConnector.from_sources([str(args.dir)])
    started = time.perf_counter()
    df = connector.to_pandas()
    seconds = time.perf_counter() - started
    if len(df) != args.rows:
        print(f"FAILED: expected {args.rows:,} rows, pandas has {len(df):,}", file=sys.stderr)
        return 1
    if not (df["id"].to_numpy() == np.arange(args.rows)).all():
        print("FAILED: rows are not in file order", file=sys.stderr)
        return 1
    print()
    print(df.head())
    print()
    print(f"to_pandas: {len(df):,} rows x {df.shape[1]} columns in {seconds:.2f} s "
          f"= {len(df) / seconds:,.0f} rows/s")

    # 2. A training-style stream: two columns, shuffled, this rank's half, exact batch sizes.
    reader = connector.to_arrow(
        columns=["x1", "label"], batch_size=10_000, shuffle=True, seed=42, num_shards=2, shard_index=0
    )
    rows = 0
    batches = 0
    for batch in reader:
        rows += batch.num_rows
        batches += 1
    print(f"to_arrow(shuffle, shard 0 of 2): {rows:,} rows in {batches} batches of up to 10,000")
    if rows not in (args.rows // 2, (args.rows + 1) // 2):
        print(f"FAILED: shard 0 of 2 should hold half of {args.rows:,} rows", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""sluice quick start: Parquet files -> pandas, a shuffled, sharded stream, and
a PyTorch model trained from the packed mode.

Writes a sample table (2,000,000 rows by default, in 4 Parquet files) under
data/quickstart at the repository root, unless it is already there, loads it
into pandas through sluice, streams one shard of it shuffled, and trains a
logistic regression for one epoch through a DataLoader, printing the rates.

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
    x1 = rng.standard_normal(num_rows, dtype=np.float32)
    x2 = rng.standard_normal(num_rows, dtype=np.float32)
    x3 = rng.random(num_rows)
    # a label that the features explain (with 5% noise), so that a model can learn it
    label = ((2 * x1 - x2 + x3 - 0.5 > 0) ^ (rng.random(num_rows) < 0.05)).astype(np.int32)
    return pa.table(
        {
            "id": pa.array(np.arange(num_rows, dtype=np.int64)),
            "x1": pa.array(x1),
            "x2": pa.array(x2),
            "x3": pa.array(x3),  # float64
            "count": pa.array(rng.integers(0, 1000, num_rows, dtype=np.int64)),
            "city": pa.array(cities[rng.integers(0, len(cities), num_rows)], type=pa.string()),
            "label": pa.array(label),
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
    print(
        f"sample table: wrote {num_rows:,} rows in {NUM_FILES} Parquet files to {directory} "
        f"({time.perf_counter() - started:.1f} s)"
    )


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
    print(f"to_pandas: {len(df):,} rows x {df.shape[1]} columns in {seconds:.2f} s = {len(df) / seconds:,.0f} rows/s")

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

    # 3. Training: packed mode gives (X, y), X one (batch, 3) float32 matrix assembled in Rust.
    import torch
    from torch.utils.data import DataLoader

    dataset = connector.to_torch_dataset(batch_size=1024, shuffle=True, features=["x1", "x2", "x3"], label="label")
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    started, rows, losses = time.perf_counter(), 0, []
    for X, y in DataLoader(dataset, batch_size=None):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(X).squeeze(-1), y.float())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        rows += len(X)
        losses.append(loss.item())
    seconds = time.perf_counter() - started
    accuracy = ((model(X).squeeze(-1) > 0).int() == y).float().mean().item()
    print(
        f"to_torch_dataset(packed, shuffled): one epoch of {rows:,} rows in {seconds:.2f} s "
        f"= {rows / seconds:,.0f} rows/s, loss {losses[0]:.3f} -> {np.mean(losses[-20:]):.3f}, "
        f"last batch accuracy {accuracy:.2f}"
    )
    if rows != args.rows // 1024 * 1024 or not np.mean(losses[-20:]) < losses[0] / 2:
        print("FAILED: one epoch should cover every full batch and the loss should fall", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Writes the benchmark reference table, deterministically.

8,000,000 rows in 8 Parquet files (snappy, row groups of 131,072 rows):

    f00 ... f15   float32   standard normal features
    i0            int64     row id, 0 .. rows-1 (unique, sorted)
    i1            int64     uniform in [0, 1,000)
    i2            int64     uniform in [0, 10^9)
    i3            int64     uniform in [-10^12, 10^12)
    category      string    one of 24 short names (low cardinality)
    label         int32     uniform in [0, 10)

File k is generated from numpy's default_rng(k), so the same arguments always
give the same rows. Nothing is written when the directory already holds a
table of the asked shape; a table of another shape there is replaced.

    python bench/make_reference_table.py [DIR] [--rows N] [--files K]

DIR defaults to bench/data/reference (git-ignored).
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

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_DIR = BENCH_DIR / "data" / "reference"
DEFAULT_ROWS = 8_000_000
DEFAULT_FILES = 8
ROW_GROUP_SIZE = 131_072
NUM_FLOAT = 16
NUM_INT = 4
CATEGORIES = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliett",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
]


def schema() -> pa.Schema:
    fields = [pa.field(f"f{i:02d}", pa.float32()) for i in range(NUM_FLOAT)]
    fields += [pa.field(f"i{i}", pa.int64()) for i in range(NUM_INT)]
    fields += [pa.field("category", pa.string()), pa.field("label", pa.int32())]
    return pa.schema(fields)


def default_dir(rows: int) -> Path:
    """bench/data/reference for the full table, bench/data/reference-<rows> for others."""
    return DEFAULT_DIR if rows == DEFAULT_ROWS else DEFAULT_DIR.with_name(f"reference-{rows}")


def make_file(index: int, first_row: int, num_rows: int) -> pa.Table:
    rng = np.random.default_rng(index)
    columns = [rng.standard_normal(num_rows, dtype=np.float32) for _ in range(NUM_FLOAT)]
    columns += [
        np.arange(first_row, first_row + num_rows, dtype=np.int64),
        rng.integers(0, 1_000, num_rows, dtype=np.int64),
        rng.integers(0, 10**9, num_rows, dtype=np.int64),
        rng.integers(-(10**12), 10**12, num_rows, dtype=np.int64),
    ]
    codes = rng.integers(0, len(CATEGORIES), num_rows, dtype=np.int32)
    columns.append(pa.DictionaryArray.from_arrays(codes, CATEGORIES).cast(pa.string()))
    columns.append(rng.integers(0, 10, num_rows, dtype=np.int32))
    return pa.Table.from_arrays([pa.array(c) for c in columns], schema=schema())


def file_rows(rows: int, files: int) -> list:
    base, extra = divmod(rows, files)
    return [base + (1 if k < extra else 0) for k in range(files)]


def is_complete(directory: Path, rows: int, files: int) -> bool:
    paths = sorted(directory.glob("*.parquet")) if directory.is_dir() else []
    if len(paths) != files:
        return False
    want = schema()
    for path, n in zip(paths, file_rows(rows, files)):
        try:
            meta = pq.read_metadata(path)
        except Exception:
            return False
        if meta.num_rows != n or not meta.schema.to_arrow_schema().equals(want):
            return False
    return True


def ensure_reference_table(
    directory: Path, rows: int = DEFAULT_ROWS, files: int = DEFAULT_FILES, quiet: bool = False
) -> Path:
    directory = Path(directory)
    if is_complete(directory, rows, files):
        if not quiet:
            print(f"reference table: {directory} already holds {rows:,} rows in {files} files")
        return directory
    started = time.perf_counter()
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    first = 0
    width = len(str(files - 1))
    for k, n in enumerate(file_rows(rows, files)):
        table = make_file(k, first, n)
        pq.write_table(table, tmp / f"part-{k:0{width}d}.parquet", row_group_size=ROW_GROUP_SIZE, compression="snappy")
        first += n
        if not quiet:
            print(f"  wrote file {k + 1}/{files} ({n:,} rows)", flush=True)
    shutil.rmtree(directory, ignore_errors=True)
    directory.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, directory)
    if not quiet:
        size = sum(p.stat().st_size for p in directory.glob("*.parquet"))
        print(
            f"reference table: wrote {rows:,} rows in {files} files, {size / 2**20:,.0f} MiB, "
            f"to {directory} in {time.perf_counter() - started:.1f} s"
        )
    return directory


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", nargs="?", type=Path, help="output directory (default: bench/data/reference)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows in all (default 8,000,000)")
    parser.add_argument("--files", type=int, default=DEFAULT_FILES, help="number of files (default 8)")
    args = parser.parse_args()
    if args.rows < args.files or args.files < 1:
        parser.error("need at least one file and at least one row per file")
    ensure_reference_table(args.dir or default_dir(args.rows), args.rows, args.files)
    return 0


if __name__ == "__main__":
    sys.exit(main())

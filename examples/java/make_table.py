"""Writes the Java example's sample table: 1,000,000 rows (or --rows) in 4 Parquet files.

    python examples/java/make_table.py DIR [--rows N] [--print-sums]

Columns: id int64, x float64 (standard normal, some nulls), count int32, price float32,
city string. With --print-sums, prints pyarrow's sum of every numeric column in the
format ColumnSums.java prints, so the two can be compared.
"""

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

FILES = 4


def write(out, rows):
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2024)
    per_file = rows // FILES
    for index in range(FILES):
        first = index * per_file
        x = rng.standard_normal(per_file)
        table = pa.table(
            {
                "id": pa.array(np.arange(first, first + per_file, dtype=np.int64)),
                "x": pa.array(x, mask=rng.random(per_file) < 0.01),
                "count": pa.array(rng.integers(0, 100, per_file, dtype=np.int32)),
                "price": pa.array(rng.uniform(1, 50, per_file).astype(np.float32)),
                "city": pa.array(rng.choice(["Lyon", "Oslo", "Quito", "Osaka"], per_file)),
            }
        )
        pq.write_table(table, out / f"part-{index}.parquet", row_group_size=100_000)


def print_sums(out):
    table = ds.dataset(str(out), format="parquet").to_table()
    for field in table.schema:
        column = table[field.name]
        if pa.types.is_integer(field.type):
            print(f"sum({field.name}) = {pc.sum(column).as_py()}")
        elif pa.types.is_floating(field.type):
            print(f"sum({field.name}) = {pc.sum(column.cast(pa.float64())).as_py():.9e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--print-sums", action="store_true")
    args = parser.parse_args()
    if not (args.dir / f"part-{FILES - 1}.parquet").exists():
        write(args.dir, args.rows)
    if args.print_sums:
        print_sums(args.dir)


if __name__ == "__main__":
    main()

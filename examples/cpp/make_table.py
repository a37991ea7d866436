"""Writes the examples' table: a small 3-class problem in 4 Parquet files.

    python make_table.py DIR [--rows N]

Columns: f0..f3 float32 (standard normal), label int64 = the class whose
centre (a fixed 3x4 matrix) has the largest dot product with (f0..f3), so a
small network can learn it; id int64 = row. Deterministic (seed 0).
"""

import argparse
import pathlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CENTRES = np.array([[1.0, 0.5, -1.0, 0.0], [-1.0, 1.0, 0.5, 0.5], [0.0, -1.0, 0.5, -1.0]], dtype=np.float32)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    out = pathlib.Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    features = rng.standard_normal((args.rows, 4), dtype=np.float32)
    label = np.argmax(features @ CENTRES.T, axis=1).astype(np.int64)
    table = pa.table(
        {f"f{i}": features[:, i] for i in range(4)} | {"label": label, "id": np.arange(args.rows, dtype=np.int64)}
    )
    for k, part in enumerate(np.array_split(np.arange(args.rows), 4)):
        pq.write_table(table.take(pa.array(part)), out / f"part-{k}.parquet", row_group_size=2048)
    print(f"wrote {args.rows} rows to {out}; sum(label) = {int(label.sum())}")


if __name__ == "__main__":
    main()

"""Writes the C++ tests' data and what the Python binding reads from it.

    python make_data.py OUT_DIR        # needs pyarrow and the sluice package

OUT_DIR/table/part-{0,1,2}.parquet: 1,000 rows in 3 files, row groups of 70
rows (so a shuffle permutes many fragments). Row r (id = r) holds:
    id    int64                     r
    x     float32                   r / 2
    d     float64                   r * 0.25
    i8    int8                      r % 100 - 50
    u16   uint16                    r * 3 (mod 65536)
    flag  bool                      r % 3 == 0
    emb   fixed_size_list<float32>[3]  [r, r + 0.5, -r]
    cat   dictionary<int32, utf8>   ["a", "b", "c"][r % 3] (codes r % 3)
    name  utf8                      "n<r>"
OUT_DIR/nulls.parquet: 100 rows, id int64 = r, v int32 = r, null where r % 4 == 0.
OUT_DIR/ragged.parquet: 100 rows, id int64 = r, tags list<int32> = [r, r+1, ...] of r % 4 values.
OUT_DIR/bad.csv: 3,000 rows of "id,v" whose row 2,500 has v = "oops".
OUT_DIR/corrupt_pages.parquet: id int64 = r, 300 rows in row groups of 100, with a valid
footer but the second row group's pages overwritten with 0xA5 bytes.

OUT_DIR/datasets/cpp: dataset "cpp", version "v1": the rows of OUT_DIR/table, "name" excluded.

OUT_DIR/orders/<case>.txt: for each case of CASES, the ids the Python binding
reads (to_arrow with those options), one line per batch, and <case>.options:
the options as the core receives them (key=value lines). The C++ test reads
the same files with the same options and must get exactly these lines.
"""
import pathlib
import sys

import pyarrow as pa
import pyarrow.parquet as pq

import sluice
from sluice._options import option_items

ROWS = 1000
FILES = 3

# name -> read options, as the Python keyword arguments
# (test_sluice_hpp.cpp also spells out shard_1_of_3 with the C++ builder)
CASES = {
    "shard_1_of_3": dict(shuffle=True, seed=7, num_shards=3, shard_index=1, batch_size=100),
    "epoch_2": dict(shuffle=True, seed=7, epoch=2, batch_size=64),
    "worker_1_of_2": dict(shuffle=True, seed=3, num_workers=2, worker_index=1, batch_size=50),
    "pad_shard_2_of_3": dict(shuffle=True, seed=11, num_shards=3, shard_index=2, equal_shards="pad",
                             batch_size=128, drop_last_batch=True),
    "window_limit": dict(shuffle=True, seed=5, shuffle_window=200, limit=333, batch_size=90),
    "plain": dict(batch_size=256),
}


def table_rows(first, count):
    rows = range(first, first + count)
    return pa.table({
        "id": pa.array(rows, pa.int64()),
        "x": pa.array([r / 2 for r in rows], pa.float32()),
        "d": pa.array([r * 0.25 for r in rows], pa.float64()),
        "i8": pa.array([r % 100 - 50 for r in rows], pa.int8()),
        "u16": pa.array([(r * 3) % 65536 for r in rows], pa.uint16()),
        "flag": pa.array([r % 3 == 0 for r in rows], pa.bool_()),
        "emb": pa.array([[r, r + 0.5, -r] for r in rows], pa.list_(pa.float32(), 3)),
        "cat": pa.DictionaryArray.from_arrays(pa.array([r % 3 for r in rows], pa.int32()), ["a", "b", "c"]),
        "name": pa.array([f"n{r}" for r in rows], pa.string()),
    })


def main():
    out = pathlib.Path(sys.argv[1])
    (out / "table").mkdir(parents=True, exist_ok=True)
    (out / "orders").mkdir(exist_ok=True)
    sizes = [334, 333, 333]
    first = 0
    for k, size in enumerate(sizes):
        pq.write_table(table_rows(first, size), out / "table" / f"part-{k}.parquet", row_group_size=70)
        first += size

    rows = range(100)
    pq.write_table(pa.table({
        "id": pa.array(rows, pa.int64()),
        "v": pa.array([None if r % 4 == 0 else r for r in rows], pa.int32()),
    }), out / "nulls.parquet")
    pq.write_table(pa.table({
        "id": pa.array(rows, pa.int64()),
        "tags": pa.array([list(range(r, r + r % 4)) for r in rows], pa.list_(pa.int32())),
    }), out / "ragged.parquet")
    with open(out / "bad.csv", "w") as f:
        f.write("id,v\n")
        for r in range(3000):
            f.write(f"{r},{'oops' if r == 2500 else r}\n")

    corrupt = out / "corrupt_pages.parquet"
    pq.write_table(pa.table({"id": pa.array(range(300), pa.int64())}), corrupt, row_group_size=100)
    data = bytearray(corrupt.read_bytes())
    chunk = pq.ParquetFile(corrupt).metadata.row_group(1).column(0)
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    data[start : start + chunk.total_compressed_size] = b"\xa5" * chunk.total_compressed_size
    corrupt.write_bytes(bytes(data))

    # a dataset version made by Python, which the C++ test opens (docs/datasets.md)
    dataset = sluice.Dataset.create(out / "datasets", "cpp", exist_ok=True)
    if "v1" not in dataset.list_versions():
        dataset.create_version("v1", str(out / "table"), exclude_cols=["name"], comment="for C++")

    connector = sluice.DataConnector.from_sources([str(out / "table")])
    for name, options in CASES.items():
        lines = []
        with connector.to_arrow(columns=["id"], **options) as reader:
            for batch in reader:
                lines.append(" ".join(str(i) for i in batch.column(0).to_pylist()))
        (out / "orders" / f"{name}.txt").write_text("\n".join(lines) + "\n")
        (out / "orders" / f"{name}.options").write_text(
            "".join(f"{k.decode()}={v.decode()}\n" for k, v in option_items(options)))


if __name__ == "__main__":
    main()

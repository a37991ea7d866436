"""Writes the Java tests' data with pyarrow, deterministically.

    python make_data.py OUT_DIR

values.parquet   10,000 rows in row groups of 1,500: id int64, x float64 (null when
                 id % 7 == 0), name string, flag bool, k int32, f32 float32
values.arrow     the same table as pyarrow reads it back, as an Arrow IPC file: the
                 Java tests compare sluice's values with it
nullable.parquet 5,000 rows in row groups of 1,500, a null in every column now and then: id
                 int64, s string (some empty), b bool, d date32, bin binary, l list<int32>
nullable.arrow   the same as pyarrow reads it back
multi/           part-0 .. part-3.parquet: 1000, 2500, 300 and 4200 rows (row groups of
                 512) with consecutive ids: id int64, v float32, label int32
corrupt.parquet  not Parquet at all
truncated.parquet the first half of values.parquet
corrupt_pages.parquet  id int64 0..2999 in row groups of 1000; the second row group's pages are garbage
"""

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def values_table(rows):
    ids = list(range(rows))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "x": pa.array([None if i % 7 == 0 else i * 0.5 for i in ids], pa.float64()),
            "name": pa.array([f"row-{i}" for i in ids], pa.string()),
            "flag": pa.array([i % 3 == 0 for i in ids], pa.bool_()),
            "k": pa.array([i % 10 for i in ids], pa.int32()),
            "f32": pa.array([i * 0.25 for i in ids], pa.float32()),
        }
    )


def nullable_table(rows):
    ids = list(range(rows))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "s": pa.array([None if i % 11 == 0 else "" if i % 17 == 0 else "s" * (i % 23) for i in ids], pa.string()),
            "b": pa.array([None if i % 13 == 0 else i % 3 == 0 for i in ids], pa.bool_()),
            "d": pa.array([None if i % 5 == 0 else i for i in ids], pa.date32()),
            "bin": pa.array([None if i % 4 == 0 else bytes([i % 256]) * (i % 5) for i in ids], pa.binary()),
            "l": pa.array([None if i % 6 == 0 else list(range(i % 4)) for i in ids], pa.list_(pa.int32())),
        }
    )


def write_with_arrow_copy(table, out, name, row_group_size):
    """NAME.parquet, and NAME.arrow: the table as pyarrow reads the Parquet file back."""
    pq.write_table(table, out / f"{name}.parquet", row_group_size=row_group_size)
    back = pq.read_table(out / f"{name}.parquet")
    with pa.ipc.new_file(out / f"{name}.arrow", back.schema) as writer:
        writer.write_table(back)


def multi_table(first, rows):
    ids = list(range(first, first + rows))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "v": pa.array([i * 0.25 for i in ids], pa.float32()),
            "label": pa.array([i % 5 for i in ids], pa.int32()),
        }
    )


def main(out):
    out.mkdir(parents=True, exist_ok=True)
    write_with_arrow_copy(values_table(10_000), out, "values", 1_500)
    write_with_arrow_copy(nullable_table(5_000), out, "nullable", 1_500)

    (out / "multi").mkdir(exist_ok=True)
    first = 0
    for index, rows in enumerate([1000, 2500, 300, 4200]):
        pq.write_table(multi_table(first, rows), out / "multi" / f"part-{index}.parquet", row_group_size=512)
        first += rows

    (out / "corrupt.parquet").write_bytes(b"this is not a parquet file\n" * 100)
    whole = (out / "values.parquet").read_bytes()
    (out / "truncated.parquet").write_bytes(whole[: len(whole) // 2])

    # a valid footer, the second row group's pages overwritten: the error comes while reading
    corrupt = out / "corrupt_pages.parquet"
    pq.write_table(pa.table({"id": pa.array(range(3000), pa.int64())}), corrupt, row_group_size=1000)
    data = bytearray(corrupt.read_bytes())
    chunk = pq.ParquetFile(corrupt).metadata.row_group(1).column(0)
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    data[start : start + chunk.total_compressed_size] = b"\xa5" * chunk.total_compressed_size
    corrupt.write_bytes(bytes(data))


if __name__ == "__main__":
    main(Path(sys.argv[1]))

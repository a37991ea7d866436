"""Writes tests/c/data/delta_table, the Delta Lake fixture of the C ABI tests (run once; the
output is committed).

    python tests/c/data/make_delta_fixture.py        # needs deltalake and pyarrow

version 0: id int64 = 0..29, g utf8 = "a" or "b" (partition column, id % 2 == 0 -> "a")
version 1: append id 30..49
version 2: delete id < 10                      -> 40 rows, ids 10..49
tests/c/test_sluice.c (read_delta_table) checks these counts and id sums.
"""

import pathlib
import shutil

import deltalake
import pyarrow as pa

TABLE = pathlib.Path(__file__).resolve().parent / "delta_table"


def rows(start: int, stop: int) -> pa.Table:
    ids = list(range(start, stop))
    return pa.table({"id": pa.array(ids, pa.int64()), "g": ["a" if i % 2 == 0 else "b" for i in ids]})


def main() -> None:
    shutil.rmtree(TABLE, ignore_errors=True)
    deltalake.write_deltalake(TABLE, rows(0, 30), partition_by=["g"])
    deltalake.write_deltalake(TABLE, rows(30, 50), mode="append", partition_by=["g"])
    deltalake.DeltaTable(TABLE).delete("id < 10")


if __name__ == "__main__":
    main()

"""Reads a Delta Lake table of the reference table with sluice and with the
`deltalake` package's `to_pyarrow_dataset()`: record batches decoded and dropped.

The table is the reference table's Parquet files, hard-linked into TABLE and
made a Delta table in place by `deltalake.convert_to_deltalake` (no rewrite),
so both readers decode the very same files. Every case runs in a fresh Python
process; what is timed starts after its imports (opening the table included)
and ends with the last batch. Cases run round-robin --repeat times; the median
is reported, with each case's ratio to deltalake (> 1: faster than deltalake).

    python bench/bench_delta.py /work/refdata/reference --table /tmp/reference-delta --repeat 5
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    "sluice": "for batch in sluice.DataConnector.from_sources(table).to_arrow(): pass",
    "deltalake": "for batch in deltalake.DeltaTable(table).to_pyarrow_dataset().to_batches(): pass",
}


def child(case: str, table: str) -> None:
    if case == "sluice":
        import sluice
    else:
        import deltalake
    start = time.perf_counter()
    rows = 0
    if case == "sluice":
        with sluice.DataConnector.from_sources(table).to_arrow() as reader:
            for batch in reader:
                rows += batch.num_rows
    else:
        for batch in deltalake.DeltaTable(table).to_pyarrow_dataset().to_batches():
            rows += batch.num_rows
    print(f"{time.perf_counter() - start:.6f} {rows}")


def make_table(data: Path, table: Path) -> None:
    """Hard links of the reference files, converted to a Delta table in place."""
    if (table / "_delta_log").is_dir():
        return
    import deltalake

    table.mkdir(parents=True, exist_ok=True)
    for file in sorted(data.glob("*.parquet")):
        target = table / file.name
        if not target.exists():
            os.link(file, target)
    deltalake.convert_to_deltalake(str(table))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="directory of the reference table's Parquet files")
    parser.add_argument(
        "--table", type=Path, default=Path("/tmp/reference-delta"), help="where the Delta table is made"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    make_table(args.data.resolve(), args.table.resolve())
    # warm the page cache
    for file in sorted(args.table.glob("*.parquet")):
        with open(file, "rb") as f:
            while f.read(1 << 24):
                pass
    times: dict = {case: [] for case in CASES}
    rows: dict = {}
    for _ in range(args.repeat):
        for case in CASES:
            out = subprocess.run(
                [sys.executable, __file__, str(args.data), "--child", case, str(args.table)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            times[case].append(float(out[0]))
            rows[case] = int(out[1])
    if len(set(rows.values())) != 1:
        raise SystemExit(f"the readers disagree on the row count: {rows}")
    baseline = statistics.median(times["deltalake"])
    print(f"{rows['sluice']:,} rows, {args.repeat} runs each, interleaved; median seconds (range)")
    print("| reader | what runs | median s | range s | speed vs deltalake |")
    print("|---|---|---|---|---|")
    for case, what in CASES.items():
        median = statistics.median(times[case])
        spread = f"{min(times[case]):.2f}–{max(times[case]):.2f}"
        print(f"| {case} | `{what}` | {median:.2f} | {spread} | {baseline / median:.2f}× |")


if __name__ == "__main__":
    main()

"""Checks that `memory_budget` bounds the reader's memory (issue 9, item 4).

Each case runs in a fresh subprocess: it imports sluice, opens the connector, notes
its RSS, reads every batch (dropping each one), and reports its peak RSS
(getrusage's ru_maxrss) minus the RSS noted before the read. A case passes when
that growth is at most the budget + 256 MiB, or when the reader refuses the budget
with an error naming 'memory_budget' (a budget too small for one decoded unit).

    python bench/memory_budget.py [--dir DIR] [--rows N]

The data (written once under DIR, default bench/data/memory-budget):
    strings.parquet  the issue's reproduction: 500,000 dictionary-encoded strings of
                     500 characters (3 MB on disk, about 250 MB decoded),
                     row groups of 50,000 rows
    plain/           a plain table of N rows (default 3,000,000: about 1 GB
                     decoded): 16 float64, 4 int64 and an 80-character string,
                     4 files, row groups of 131,072 rows
Exits non-zero when a case fails.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BENCH_DIR = Path(__file__).resolve().parent
MIB = 1 << 20
SLACK = 256 * MIB

# (name, data, budget, read options)
CASES = [
    ("dict strings, shuffle", "strings", 16 * MIB, dict(batch_size=1024, shuffle=True)),
    ("dict strings, shuffle, threads=64", "strings", 16 * MIB, dict(batch_size=1024, shuffle=True, threads=64)),
    (
        "dict strings, shuffle_window=20000",
        "strings",
        16 * MIB,
        dict(batch_size=1024, shuffle=True, shuffle_window=20_000),
    ),
    ("dict strings, plain read", "strings", 16 * MIB, dict(batch_size=1024)),
    ("plain table, threads=64", "plain", 256 * MIB, dict(batch_size=8192, threads=64)),
    ("plain table, default threads", "plain", 256 * MIB, dict(batch_size=8192)),
    ("plain table, 1MiB", "plain", 1 * MIB, dict(batch_size=1024)),
    ("plain table, 1MiB, threads=64", "plain", 1 * MIB, dict(batch_size=1024, threads=64)),
    (
        "plain table, shuffle, threads=64",
        "plain",
        256 * MIB,
        dict(batch_size=8192, shuffle=True, shuffle_window=100_000, threads=64),
    ),
]

CHILD = r"""
import json, resource, sys
import sluice
path, options = sys.argv[1], json.loads(sys.argv[2])
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()
connector = sluice.DataConnector.from_sources([path])
before = rss()
rows = 0
error = None
try:
    with connector.to_arrow(**options) as reader:
        for batch in reader:
            rows += batch.num_rows
except Exception as e:  # mid-stream errors reach Python as pyarrow.ArrowInvalid
    error = str(e)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(dict(growth=peak - before, rows=rows, error=error)))
"""


def make_strings(path: Path) -> None:
    if path.exists():
        return
    rng = np.random.default_rng(0)
    vals = [("v%d" % k) * 250 for k in range(10)]
    table = pa.table({"s": [vals[i] for i in rng.integers(0, 10, 500_000)]})
    pq.write_table(table, path, row_group_size=50_000, store_schema=False)


def make_plain(directory: Path, rows: int) -> None:
    marker = directory / f".rows-{rows}"
    if marker.exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.parquet"):
        old.unlink()
    files = 4
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8)
    for k in range(files):
        rng = np.random.default_rng(100 + k)
        n = rows // files + (1 if k < rows % files else 0)
        columns = {f"f{i:02d}": rng.standard_normal(n) for i in range(16)}
        columns.update({f"i{i}": rng.integers(0, 10**12, n) for i in range(4)})
        chars = letters[rng.integers(0, len(letters), (n, 80))]
        offsets = np.arange(0, n * 80 + 1, 80, dtype=np.int32)
        columns["text"] = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))
        pq.write_table(pa.table(columns), directory / f"part-{k}.parquet", row_group_size=131_072)
    marker.touch()


def run_case(path: Path, budget: int, options: dict) -> dict:
    options = dict(options, memory_budget=budget)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), json.dumps(options)], capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        return dict(growth=None, rows=0, error=f"exit {done.returncode}: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=BENCH_DIR / "data" / "memory-budget")
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--only", help="run the cases whose name contains this")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    data = {"strings": args.dir / "strings.parquet", "plain": args.dir / "plain"}
    make_strings(data["strings"])
    make_plain(data["plain"], args.rows)

    print(f"sluice {os.environ.get('SLUICE_LIBRARY', '(installed library)')}, {os.cpu_count()} CPUs")
    print(f"{'case':40} {'budget':>8} {'growth':>9} {'limit':>9}  result")
    failed = 0
    for name, which, budget, options in CASES:
        if args.only and args.only not in name:
            continue
        result = run_case(data[which], budget, options)
        limit = budget + SLACK
        error = result["error"]
        if result["growth"] is None:
            verdict, ok = f"FAIL ({error})", False
        elif error is not None:
            ok = "memory_budget" in error and result["growth"] <= limit
            verdict = ("refused: " if ok else "FAIL: ") + error[:200]
        else:
            ok = result["growth"] <= limit
            verdict = f"{'pass' if ok else 'FAIL'} ({result['rows']:,} rows)"
        failed += not ok
        growth = "-" if result["growth"] is None else f"{result['growth'] / MIB:.0f} MiB"
        print(f"{name:40} {budget // MIB:>4} MiB {growth:>9} {limit // MIB:>5} MiB  {verdict}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

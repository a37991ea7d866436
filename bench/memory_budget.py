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

    python bench/memory_budget.py --tenfold [--budget MiB] [--dir DIR]

reads instead a table whose decoded size is at least ten times the budget
(default 512 MiB: 23,000,000 rows, 5.2 GiB decoded, written once under
DIR/tenfold-ROWS with the plain table's columns), with shuffle off and on and
through the torch dataset in packed mode (20 numeric features as one float32
matrix, label i3), each in a fresh process, against the same limit.
Exits non-zero when a case fails.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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
torch_mode = options.pop("torch", False)
if torch_mode:
    import torch  # imported before the baseline: its import is not the reader's memory
connector = sluice.DataConnector.from_sources([path])
before = rss()
rows = 0
error = None
try:
    if torch_mode:
        for features, label in connector.to_torch_dataset(**options):
            rows += features.shape[0]
    else:
        with connector.to_arrow(**options) as reader:
            for batch in reader:
                rows += batch.num_rows
except Exception as e:  # mid-stream errors reach Python as pyarrow.ArrowInvalid
    error = str(e)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(dict(growth=peak - before, rows=rows, error=error)))
"""


# The plain table's decoded bytes per row: 16 float64, 4 int64, an 80-byte string and its int32 offset.
PLAIN_ROW_BYTES = 16 * 8 + 4 * 8 + 80 + 4
NUMERIC = [f"f{i:02d}" for i in range(16)] + [f"i{i}" for i in range(3)]

# (name, read options) of the tenfold cases; each gets memory_budget added.
TENFOLD_CASES: "list[tuple[str, dict[str, Any]]]" = [
    ("10x budget, no shuffle", dict(batch_size=8192)),
    ("10x budget, shuffle", dict(batch_size=8192, shuffle=True, seed=1)),
    (
        "10x budget, torch packed, shuffle",
        dict(torch=True, batch_size=8192, shuffle=True, seed=1, features=NUMERIC, label="i3"),
    ),
    ("10x budget, torch packed, no shuffle", dict(torch=True, batch_size=8192, features=NUMERIC, label="i3")),
]


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
        [sys.executable, "-c", CHILD, str(path), json.dumps(options)], capture_output=True, text=True, timeout=1800
    )
    if done.returncode != 0:
        return dict(growth=None, rows=0, error=f"exit {done.returncode}: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=BENCH_DIR / "data" / "memory-budget")
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--only", help="run the cases whose name contains this")
    parser.add_argument("--tenfold", action="store_true", help="read a table of ten times the budget (see above)")
    parser.add_argument("--budget", type=int, default=512, help="the budget of --tenfold, in MiB (default 512)")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    if args.tenfold:
        return tenfold(args.dir, args.budget * MIB, args.only)
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


def tenfold(directory: Path, budget: int, only: "str | None") -> int:
    """The tenfold cases: a table of at least ten times `budget` decoded, read in full."""
    rows = math.ceil(10 * budget / PLAIN_ROW_BYTES / 1_000_000) * 1_000_000
    table = directory / f"tenfold-{rows}"
    make_plain(table, rows)
    decoded = rows * PLAIN_ROW_BYTES
    on_disk = sum(f.stat().st_size for f in table.glob("*.parquet"))
    print(f"sluice {os.environ.get('SLUICE_LIBRARY', '(installed library)')}, {os.cpu_count()} CPUs")
    size = f"{decoded / MIB:,.0f} MiB decoded ({decoded / budget:.1f}x the budget), {on_disk / MIB:,.0f} MiB on disk"
    print(f"table {table}: {rows:,} rows, {size}")
    print(f"{'case':40} {'budget':>8} {'growth':>9} {'limit':>9}  result")
    failed = 0
    for name, options in TENFOLD_CASES:
        if only and only not in name:
            continue
        started = time.monotonic()
        result = run_case(table, budget, options)
        seconds = time.monotonic() - started
        limit = budget + SLACK
        expected = rows if not options.get("torch") else rows // options["batch_size"] * options["batch_size"]
        ok = (
            result["growth"] is not None
            and result["error"] is None
            and result["growth"] <= limit
            and result["rows"] == expected
        )
        failed += not ok
        growth = "-" if result["growth"] is None else f"{result['growth'] / MIB:.0f} MiB"
        verdict = f"{'pass' if ok else 'FAIL'} ({result['rows']:,} rows, {seconds:.0f} s) {result['error'] or ''}"
        print(f"{name:40} {budget // MIB:>4} MiB {growth:>9} {limit // MIB:>5} MiB  {verdict}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Peak RSS of opening and reading a CSV file made of one very long line (issue 9, item 2),
or (--rows) of as many bytes of ordinary short rows.

    SLUICE_LIBRARY=target/release/libsluice.so python bench/csv_long_line_rss.py [--mb 300] [--budget 64MiB] [--rows]

Each measurement runs in a fresh process and reports its peak RSS (ru_maxrss) above the
RSS after importing sluice and pyarrow, for the open alone and for open + read.
Not a timed test: a measurement for the memory notes.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import resource, sys
if {source_tree!r}:
    sys.path.insert(0, {bindings!r})
import pyarrow, sluice

def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

base = rss_mib()
c = sluice.DataConnector.from_sources([{path!r}])
if {read!r}:
    rows = 0
    with c.to_arrow(memory_budget={budget!r}) as reader:
        for batch in reader:
            rows += batch.num_rows
    assert rows == {rows!r}, rows
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{{peak - base:.0f}}")
"""


def measure(path, read, budget, rows):
    code = CHILD.format(
        source_tree=bool(os.environ.get("SLUICE_LIBRARY")),
        bindings=str(REPO / "bindings" / "python"),
        path=str(path),
        read=read,
        budget=budget,
        rows=rows,
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=300, help="length of the line in MB")
    parser.add_argument("--budget", default="64MiB", help="memory_budget of the read")
    parser.add_argument("--rows", action="store_true", help="rows of 1 KiB instead of one long line")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.csv"
        with open(path, "wb") as f:
            f.write(b"id,text\n")
            if args.rows:
                rows = args.mb * 1024
                for block in range(rows // 1024):
                    f.write(b"".join(b"%d,%s\n" % (block * 1024 + i, b"x" * 1000) for i in range(1024)))
            else:
                rows = 1
                f.write(b"1,")
                chunk = b"x" * (1 << 20)
                for _ in range(args.mb):
                    f.write(chunk)
                f.write(b"\n")
        size_mib = path.stat().st_size / 2**20
        shape = f"{rows} rows" if args.rows else "one line"
        print(f"file: {shape}, {size_mib:.0f} MiB, memory_budget={args.budget}")
        print(f"open:        peak RSS growth {measure(path, False, args.budget, rows):.0f} MiB")
        print(f"open + read: peak RSS growth {measure(path, True, args.budget, rows):.0f} MiB")


if __name__ == "__main__":
    main()

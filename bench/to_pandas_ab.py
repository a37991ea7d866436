"""to_pandas of this checkout against another sluice build and pandas.read_parquet, on one table.

    python bench/to_pandas_ab.py DIR --other-library /path/libsluice.so --other-bindings /path/bindings/python

Cases run round-robin, each in a fresh process: `pandas` (pandas.read_parquet(DIR)), `sluice`
(this checkout's bindings with $SLUICE_LIBRARY) and `other` (the given build, e.g. the main
branch's). Each prints wall seconds, the process's CPU seconds (all threads: steadier than wall
time on a shared machine) and its peak RSS; the summary gives medians and ratios to pandas.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, resource, sys, time
import pandas
if sys.argv[1] != "pandas":
    import sluice
before = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
if sys.argv[1] == "pandas":
    frame = pandas.read_parquet(sys.argv[2])
else:
    frame = sluice.DataConnector.from_sources(sys.argv[2]).to_pandas()
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
print(json.dumps({"rows": len(frame), "seconds": seconds, "cpu": cpu, "peak_mib": after.ru_maxrss / 1024}))
"""


def run(case, args):
    env = dict(os.environ)
    repo = Path(__file__).resolve().parent.parent
    if case == "sluice":
        env["PYTHONPATH"] = str(repo / "bindings" / "python")
    elif case == "other":
        env["SLUICE_LIBRARY"] = args.other_library
        env["PYTHONPATH"] = args.other_bindings
    out = subprocess.run(
        [sys.executable, "-c", CHILD, case, args.data], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--other-library", required=True)
    parser.add_argument("--other-bindings", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cases = ["pandas", "sluice", "other"]
    results = {case: [] for case in cases}
    for i in range(args.repeat):
        for case in cases:
            r = run(case, args)
            results[case].append(r)
            line = f"{r['seconds']:7.2f} s  cpu {r['cpu']:6.2f} s  peak {r['peak_mib']:6.0f} MiB"
            print(f"run {i + 1}/{args.repeat} {case:7s} {line}", flush=True)
    median = {
        c: {k: statistics.median(r[k] for r in results[c]) for k in ("seconds", "cpu", "peak_mib")} for c in cases
    }
    print(
        "\n| case | seconds | speed vs pandas | CPU s | peak RSS MiB | RSS vs pandas |\n|---|---:|---:|---:|---:|---:|"
    )
    for c in cases:
        m = median[c]
        speed = median["pandas"]["seconds"] / m["seconds"]
        rss = m["peak_mib"] / median["pandas"]["peak_mib"]
        print(f"| {c} | {m['seconds']:.2f} | {speed:.2f}× | {m['cpu']:.2f} | {m['peak_mib']:,.0f} | {rss:.2f}× |")


if __name__ == "__main__":
    main()

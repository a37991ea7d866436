"""bench_training.py's cases with two builds of sluice, interleaved: for each run, each case
runs once with each build, every time in a fresh process (bench_training.py's child, the same
timing and CPU accounting). For comparing a change against the build before it on a shared
machine, where only ratios within one run mean anything.

    python bench/bench_training_ab.py --data DIR --repeat 3 --cases sluice-raw,sluice-packed \\
        --build before=OLD/libsluice.so:OLD/bindings/python --build after=target/release/libsluice.so:bindings/python
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import bench_pandas  # noqa: E402  (run_script: a fresh process, its JSON result and rusage)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="table directory")
    parser.add_argument("--cases", required=True, help="comma-separated bench_training.py cases")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--build", action="append", required=True, help="NAME=LIBRARY:BINDINGS_DIR (twice or more)")
    args = parser.parse_args()
    builds = {}
    for spec in args.build:
        name, paths = spec.split("=", 1)
        library, bindings = paths.split(":", 1)
        builds[name] = (str(Path(library).resolve()), str(Path(bindings).resolve()))
    cases = [c for c in args.cases.split(",") if c]
    runs: dict = {}
    for i in range(args.repeat):
        for case in cases:
            for name, (library, bindings) in builds.items():
                os.environ.update(SLUICE_LIBRARY=library, PYTHONPATH=bindings)
                argv = [str(BENCH_DIR / "bench_training.py"), "--child", case, "--data", str(args.data)]
                r = bench_pandas.run_script(argv, 900)
                if "error" in r:
                    print(f"run {i + 1} {case} {name} FAILED: {r['error']}", file=sys.stderr, flush=True)
                    continue
                runs.setdefault((case, name), []).append(r)
                timing = f"{r['seconds']:7.3f} s {r['cpu_seconds']:7.3f} CPU s"
                print(f"run {i + 1} {case:24s} {name:8s} {timing}", flush=True)
    print("\n| case | build | seconds (median) | CPU s (median) | runs |\n|---|---|---:|---:|---:|")
    for (case, name), rs in runs.items():
        seconds = statistics.median(r["seconds"] for r in rs)
        cpu = statistics.median(r["cpu_seconds"] for r in rs)
        print(f"| {case} | {name} | {seconds:.3f} | {cpu:.3f} | {len(rs)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

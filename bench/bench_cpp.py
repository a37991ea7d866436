"""One pass over the reference table in 1,024-row batches into libtorch tensors
from C++ (sluice/torch.hpp, dict and packed modes), against Python's packed mode
(to_torch_dataset(batch_size=1024, features=..., label=...)) in the same run.

Every case runs in a fresh process; what is timed starts when the sources are
opened (after the process's imports) and ends when the last batch's tensors
exist. Peak RSS is the child's ru_maxrss (from wait4). Each case runs --repeat
times, the cases interleaved round-robin, and the median is reported. The
files are read once first, so every case sees a warm page cache. The label's
sum is checked to be the same in every case (the same rows were read).

Python and C++ load the same libsluice.so (SLUICE_LIBRARY, default the
installed build-cpp/prefix/lib/libsluice.so) and the source tree's package.

    tools/test-cpp                                    # once: installs sluice to build-cpp/prefix
    cmake -S bench/cpp -B build-cpp/bench -G Ninja -DCMAKE_BUILD_TYPE=Release \\
          -DCMAKE_PREFIX_PATH=$PWD/build-cpp/prefix -DSLUICE_PYTHON=$PWD/.venv/bin/python
    cmake --build build-cpp/bench -j2
    .venv/bin/python bench/bench_cpp.py [--dir bench/data/reference] [--repeat 3]
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEATURES = [f"f{i:02d}" for i in range(16)] + [f"i{i}" for i in range(4)]

PYTHON_PACKED = f"""
import json, sys, time
import torch
import sluice
features = {FEATURES!r}
start = time.perf_counter()
ds = sluice.DataConnector.from_sources([sys.argv[1]]).to_torch_dataset(
    batch_size=1024, features=features, label="label", drop_last_batch=False)
rows = label_sum = 0
for X, y in ds:
    rows += X.shape[0]
    label_sum += int(y.sum())
print(json.dumps({{"rows": rows, "seconds": time.perf_counter() - start, "label_sum": label_sum}}))
"""

CASES = {
    "C++ packed": "sluice::torch::read_packed: X (1024, 20) float32 from the core, y",
    "C++ dict": "sluice::torch::read: {column: tensor}, 20 numeric columns + label, zero-copy",
    "Python packed": "to_torch_dataset(batch_size=1024, features=..., label=...): (X, y)",
}


def command(case, bench_exe, directory):
    if case == "C++ packed":
        return [str(bench_exe), "packed", directory]
    if case == "C++ dict":
        return [str(bench_exe), "dict", directory]
    return [sys.executable, "-c", PYTHON_PACKED, directory]


def run(cmd, env):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd[0]} failed:\n{err.decode()}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["peak_rss_mib"] = usage.ru_maxrss / 1024
    # CPU time of the whole process (imports and library loading included): a
    # second view that a busy machine disturbs less than wall time
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", default=str(ROOT / "bench" / "data" / "reference"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bench-exe", default=str(ROOT / "build-cpp" / "bench" / "bench_torch"))
    parser.add_argument("--library", default=str(ROOT / "build-cpp" / "prefix" / "lib" / "libsluice.so"))
    args = parser.parse_args()

    env = dict(os.environ, SLUICE_LIBRARY=args.library, PYTHONPATH=str(ROOT / "bindings" / "python"))
    files = sorted(Path(args.dir).glob("*.parquet"))
    if not files:
        raise SystemExit(f"no Parquet files in {args.dir} (bench/make_reference_table.py writes them)")
    for f in files:  # warm the page cache
        with open(f, "rb") as handle:
            while handle.read(1 << 24):
                pass

    results = {case: [] for case in CASES}
    for _ in range(args.repeat):
        for case in CASES:
            results[case].append(run(command(case, args.bench_exe, args.dir), env))
            print(f"  {case}: {results[case][-1]}", file=sys.stderr)

    sums = {r["label_sum"] for rs in results.values() for r in rs}
    rows = {r["rows"] for rs in results.values() for r in rs}
    if len(sums) != 1 or len(rows) != 1:
        raise SystemExit(f"the cases read different rows: rows {rows}, label sums {sums}")
    (total,) = rows
    base = statistics.median(r["seconds"] for r in results["Python packed"])
    print(
        f"{total:,} rows, 1,024-row batches, median of {args.repeat}; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the end\n"
    )
    print("| case | what | rows/s | time (s) | process CPU (s) | peak RSS (MiB) | vs Python packed |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for case, what in CASES.items():
        seconds = statistics.median(r["seconds"] for r in results[case])
        rss = statistics.median(r["peak_rss_mib"] for r in results[case])
        cpu = statistics.median(r["cpu_seconds"] for r in results[case])
        print(
            f"| {case} | {what} | {total / seconds:,.0f} | {seconds:.2f} | {cpu:.2f} | {rss:,.0f} "
            f"| {base / seconds:.2f}x |"
        )


if __name__ == "__main__":
    main()

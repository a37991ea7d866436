"""XGBEstimator (sluice.train) with N worker processes against xgboost.train on a pandas DataFrame.

Both train the same rounds on the same rows of the reference table (the 16 float32 features, the
label as a regression target): the estimator's workers each stream their shard from Parquet into a
QuantileDMatrix and train through xgboost's collective; the baseline reads the files with pyarrow into
pandas and builds one QuantileDMatrix from the DataFrame, as users do. Each case runs as a fresh process
tree; time is the whole command (imports and process start-up included), memory the peak of the
summed RSS of every process of the tree (driver, launcher, workers), sampled every 20 ms from /proc.
Cases alternate (A B A B ...) so that a drift of the machine's speed hits both.

    python bench/bench_train_xgboost.py [DIR] [--files 2] [--rounds 20] [--workers 2] [--repeat 3]

DIR defaults to bench/data/reference (bench/make_reference_table.py writes it).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

FEATURES = [f"f{i:02d}" for i in range(16)]


def run_case(case, files, rounds, workers):
    """The body of one case, in its own process."""
    params = {"max_depth": 6, "max_bin": 256, "tree_method": "hist"}
    if case == "xgbestimator":
        from sluice import DataConnector
        from sluice.train import XGBEstimator, XGBScalingConfig

        estimator = XGBEstimator(
            n_estimators=rounds,
            objective="reg:squarederror",
            params=params,
            scaling_config=XGBScalingConfig(num_workers=workers, num_cpu_per_worker=max(1, os.cpu_count() // workers)),
        )
        booster = estimator.fit(DataConnector.from_sources(files), FEATURES, "label")
    else:
        import pyarrow.parquet as pq
        import xgboost

        frame = pq.ParquetDataset(files).read(columns=[*FEATURES, "label"]).to_pandas()
        matrix = xgboost.QuantileDMatrix(frame[FEATURES], label=frame["label"], max_bin=256)
        booster = xgboost.train(
            {"objective": "reg:squarederror", "nthread": os.cpu_count(), **params}, matrix, num_boost_round=rounds
        )
    assert booster.num_boosted_rounds() == rounds


def _tree_rss(root_pid):
    """The summed RSS in bytes of `root_pid` and all its descendants (Linux /proc)."""
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    stack.extend(int(child) for child in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def measure(case, files, rounds, workers):
    command = [sys.executable, __file__, "--case", case, "--rounds", str(rounds), "--workers", str(workers), *files]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{process.stderr.read().decode()[-3000:]}")
    return seconds, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--case", choices=["xgbestimator", "pandas"])
    parser.add_argument("--files", type=int, default=2, help="how many files of the table to use")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.case:
        run_case(args.case, args.paths, args.rounds, args.workers)
        return
    root = Path(args.paths[0] if args.paths else Path(__file__).parent / "data" / "reference")
    files = [str(path) for path in sorted(root.glob("*.parquet"))[: args.files]]
    results = {"xgbestimator": [], "pandas": []}
    for _ in range(args.repeat):
        for case in results:
            results[case].append(measure(case, files, args.rounds, args.workers))
    print(f"{len(files)} files of {root}, {args.rounds} rounds, XGBEstimator with {args.workers} workers")
    print("| case | wall s (median) | peak summed RSS MiB (median) |")
    print("|---|---|---|")
    for case, runs in results.items():
        wall = statistics.median(seconds for seconds, _ in runs)
        rss = statistics.median(peak for _, peak in runs) / 2**20
        print(f"| {case} | {wall:.1f} | {rss:.0f} |")
    ratios = [a[0] / b[0] for a, b in zip(results["xgbestimator"], results["pandas"])]
    memory = [a[1] / b[1] for a, b in zip(results["xgbestimator"], results["pandas"])]
    print(f"XGBEstimator / pandas: wall {statistics.median(ratios):.2f}x, peak memory {statistics.median(memory):.2f}x")


if __name__ == "__main__":
    main()

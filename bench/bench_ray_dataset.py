"""Ray Data fed by sluice against Ray Data's own Parquet reader, through `iter_torch_batches`.

Two pairs of cases on the numeric columns of the reference table (f00..f15, i0..i3, label), torch
batches of the same size on a local Ray instance:

- per column: `DataConnector.from_sources(DIR).to_ray_dataset(columns=...)` (read tasks that each
  read one shard with sluice's Rust core) against `ray.data.read_parquet(DIR, columns=...)`, each
  batch a dict of 21 tensors;
- the training loop's input, X (batch, 20) float32 and y: sluice's packed mode
  `to_ray_dataset(features=..., label="label")`, whose batches hold X, against
  `ray.data.read_parquet(DIR, columns=features + [label])` followed by what the loop must then do,
  `torch.stack([batch[c] for c in features], dim=1)` to float32 (as in Ray's examples).

Each case is a fresh Python process that starts its own Ray (`ray.init(num_cpus=N)`), and is timed
from building the dataset to the last batch (Ray's start is not timed). Cases take turns (A B C D
A B C D ...) so that a drift of the machine's speed hits all of them.

    python bench/bench_ray_dataset.py [DIR] [--repeat 3] [--batch-size 4096] [--cpus 2]

DIR defaults to bench/data/reference (bench/make_reference_table.py writes it).
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

FEATURES = [f"f{i:02d}" for i in range(16)] + [f"i{i}" for i in range(4)]
LABEL = "label"
COLUMNS = FEATURES + [LABEL]
#: (sluice's case, read_parquet's case) of each comparison
PAIRS = (
    ("sluice.to_ray_dataset", "ray.data.read_parquet"),
    ("sluice.to_ray_dataset(features)", "ray.data.read_parquet+torch.stack"),
)
CASES = tuple(case for pair in PAIRS for case in pair)


def run_case(case, directory, batch_size, cpus):
    """One case, in its own process: {"rows", "seconds"} on stdout."""
    import ray
    import torch

    ray.init(num_cpus=cpus, include_dashboard=False, logging_level="error", log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    start = time.perf_counter()
    rows = 0
    if case == "sluice.to_ray_dataset":
        from sluice import DataConnector

        dataset = DataConnector.from_sources(directory).to_ray_dataset(columns=COLUMNS)
        for batch in dataset.iter_torch_batches(batch_size=batch_size):
            rows += len(batch[LABEL])
    elif case == "ray.data.read_parquet":
        dataset = ray.data.read_parquet(directory, columns=COLUMNS)
        for batch in dataset.iter_torch_batches(batch_size=batch_size):
            rows += len(batch[LABEL])
    elif case == "sluice.to_ray_dataset(features)":
        from sluice import DataConnector

        dataset = DataConnector.from_sources(directory).to_ray_dataset(features=FEATURES, label=LABEL)
        for batch in dataset.iter_torch_batches(batch_size=batch_size):
            x, y = batch["X"], batch[LABEL]
            rows += len(y)
    else:
        dataset = ray.data.read_parquet(directory, columns=COLUMNS)
        for batch in dataset.iter_torch_batches(batch_size=batch_size):
            x, y = torch.stack([batch[c] for c in FEATURES], dim=1).to(torch.float32), batch[LABEL]
            rows += len(y)
    if case.endswith(("(features)", "torch.stack")):  # both give the loop the same X
        assert x.dtype == torch.float32 and x.shape[1] == len(FEATURES), (x.dtype, x.shape)
    seconds = time.perf_counter() - start
    ray.shutdown()
    print(json.dumps({"rows": rows, "seconds": seconds}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?", default=str(Path(__file__).parent / "data" / "reference"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        run_case(args.case, args.directory, args.batch_size, args.cpus)
        return
    times = {case: [] for case in CASES}
    rows = {}
    for round_ in range(args.repeat):
        for case in CASES:
            command = [sys.executable, __file__, args.directory, "--case", case]
            command += ["--batch-size", str(args.batch_size), "--cpus", str(args.cpus)]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
            times[case].append(result["seconds"])
            rows[case] = result["rows"]
            print(f"round {round_ + 1}: {case:34s} {result['rows']:>10,} rows {result['seconds']:7.2f} s", flush=True)
    assert len(set(rows.values())) == 1, f"the cases read different row counts: {rows}"
    medians = {case: statistics.median(values) for case, values in times.items()}
    for case in CASES:
        rate = rows[case] / medians[case]
        print(f"{case:34s} median {medians[case]:7.2f} s  {rate / 1e6:6.2f} M rows/s")
    for ours, theirs in PAIRS:
        per_round = ", ".join(f"{b / a:.2f}" for a, b in zip(times[ours], times[theirs]))
        print(f"ratio {theirs} / {ours}: {medians[theirs] / medians[ours]:.2f}x (per round {per_round})")


if __name__ == "__main__":
    main()

"""DDP through sluice.train.PyTorchTrainer: rows/s per rank with 2 ranks against 1, fed by sluice's
packed mode or by the plain pyarrow-to-tensors way.

Every rank runs the same loop over its share of the rows: batches of 1,024 rows as a (1024, 16) float32
feature tensor and the label, one step of a linear model under DistributedDataParallel (forward,
backward, all-reduce of the gradients, SGD). The time is measured inside the rank, from its first batch
to its last (process start-up and imports excluded), and the rank reports rows/s.

- sluice: `get_shard().to_torch_dataset(batch_size=1024, features=..., label=...)` (the core packs X)
- pyarrow: `pyarrow.dataset` batches of 1,024 rows, every world_size-th batch kept by the rank, the
  columns stacked with torch.stack (what users write without a loader)

    python bench/bench_train_ddp.py [DIR] [--files 1] [--repeat 2]
"""

import argparse
import statistics
import sys
from pathlib import Path

FEATURES = [f"f{i:02d}" for i in range(16)]


def train_func():
    import time

    import numpy as np
    import pyarrow.dataset as ds
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from sluice.train import get_context

    context = get_context()
    feed = context.get_hyper_params()["feed"]
    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    model = DistributedDataParallel(torch.nn.Linear(16, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)

    if feed == "sluice":
        shard = context.get_dataset_map()["train"].get_shard()
        batches = shard.to_torch_dataset(batch_size=1024, features=FEATURES, label="label")
    else:
        files = context.get_dataset_map()["train"].sources

        def plain():
            scanner = ds.dataset(files).scanner(columns=[*FEATURES, "label"], batch_size=1024)
            index = 0
            for batch in scanner.to_batches():
                if batch.num_rows == 0:
                    continue
                if index % world == rank:
                    x = torch.stack([torch.from_numpy(batch.column(n).to_numpy()) for n in FEATURES], dim=1)
                    yield x, torch.from_numpy(batch.column("label").to_numpy())
                index += 1

        batches = plain()
    rows, steps = 0, 0
    start = time.perf_counter()
    for x, y in batches:
        # equal steps: the plain feed may give a rank one batch more than another; stop at the fewest
        if feed != "sluice" and steps >= context.get_hyper_params()["max_steps"]:
            break
        loss = torch.nn.functional.mse_loss(model(x).squeeze(1), y.to(torch.float32))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        rows += len(x)
        steps += 1
    seconds = time.perf_counter() - start
    context.report({"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "steps": steps})
    return float(np.float32(loss.item()))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", default=str(Path(__file__).parent / "data" / "reference"))
    parser.add_argument("--files", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from sluice import ShardedDataConnector
    from sluice.train import PyTorchTrainer, ScalingConfig, WorkerResourceConfig

    files = [str(path) for path in sorted(Path(args.data).glob("*.parquet"))[: args.files]]
    connector = ShardedDataConnector.from_sources(files)
    results = {}
    for _ in range(args.repeat):
        for feed in ("sluice", "pyarrow"):
            for ranks in (1, 2):
                max_steps = connector.num_rows // 1024 // ranks
                trainer = PyTorchTrainer(
                    train_func,
                    ScalingConfig(1, ranks, WorkerResourceConfig(num_cpus=1)),
                )
                result = trainer.run(
                    dataset_map={"train": connector}, hyper_params={"feed": feed, "max_steps": max_steps}
                )
                per_rank = [reports[-1]["rows_per_s"] for reports in result.metrics_per_rank]
                results.setdefault((feed, ranks), []).append(statistics.mean(per_rank))
                print(feed, ranks, [round(r) for r in per_rank], file=sys.stderr)
    print(f"{connector.num_rows} rows ({len(files)} files), batches of 1,024, 1 thread per rank")
    print("| feed | ranks | rows/s per rank (median) |")
    print("|---|---|---|")
    for (feed, ranks), values in results.items():
        print(f"| {feed} | {ranks} | {statistics.median(values):,.0f} |")


if __name__ == "__main__":
    main()

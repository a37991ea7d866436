"""One training pass over the reference table in 1,024-row batches, as PyTorch
would consume it: every batch ends as a (1024, 20) float32 feature tensor (the 16
float32 and 4 int64 columns) and the label tensor, with sluice and with the
ways users would do it instead.

Every case runs in a fresh Python process (run_child of bench_pandas.py: the
same conventions); what is timed starts after that process's imports and ends
when the last batch has been built. Peak RSS is the child's ru_maxrss; for the
DataLoader case the workers' peak (the largest single worker, RUSAGE_CHILDREN)
is given next to it. The files are read once before the first case (warm page
cache).

    python bench/bench_training.py                                  # 8M rows, 3 repeats
    python bench/bench_training.py --rows 1000000 --repeat 1
    python bench/bench_training.py --output TRAINING.md --json training.json

Cases:
- plain: pyarrow.dataset batches -> dict of tensors -> torch.stack of the features
- numpy-matrix: pyarrow.parquet.read_table of everything, one float32 numpy matrix, sliced
- hf-datasets: datasets.Dataset.from_parquet(files).with_format("torch"), ds.iter(1024)
  (its Arrow cache goes to a temporary directory; building it is part of the time)
- sluice-dict: for batch in to_torch_dataset(batch_size=1024): torch.concat of the feature columns
  (sluice-dict-loader: the same through DataLoader(batch_size=None), as Snowflake's examples do)
- sluice-packed: to_torch_dataset(batch_size=1024, features=..., label=...): (X, y) from the core
  (sluice-packed-loader: through DataLoader(batch_size=None); sluice-packed-2-workers: num_workers=2)
- sluice-raw: sluice to_arrow batches of 1,024 rows of the same columns, decoded and dropped
  (the ceiling: what the core decodes when nothing is converted)
- sluice-raw-packed: the same in packed mode (the core's packing, without the torch binding)
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import bench_pandas  # noqa: E402  (run_child, machine description, versions: shared conventions)

FEATURES = [f"f{i:02d}" for i in range(16)] + [f"i{i}" for i in range(4)]
LABEL = "label"
BATCH = 1024

# name -> what it runs (for the table)
CASES = {
    "plain": "pyarrow.dataset batches → {name: torch.from_numpy} → torch.stack(features, 1)",
    "numpy-matrix": "pq.read_table → one float32 numpy matrix → torch.from_numpy(M[i:i+1024])",
    "hf-datasets": "Dataset.from_parquet(files).with_format('torch').iter(1024) → torch.stack",
    "sluice-dict": "for batch in to_torch_dataset(batch_size=1024): torch.concat(features, -1)",
    "sluice-dict-loader": "the same through DataLoader(ds, batch_size=None)",
    "sluice-packed": "for X, y in to_torch_dataset(batch_size=1024, features=…, label=…)",
    "sluice-packed-loader": "the same through DataLoader(ds, batch_size=None)",
    "sluice-packed-2-workers": "the same through DataLoader(ds, batch_size=None, num_workers=2)",
    "torch-floor-loader": "torch alone: a dataset yielding ready-made (X, y) of the same shapes, "
    "through DataLoader(ds, batch_size=None)",
    "torch-floor-2-workers": "torch alone: the same ready-made (X, y) through "
    "DataLoader(ds, batch_size=None, num_workers=2)",
    "sluice-raw": "sluice to_arrow(columns=…, batch_size=1024): batches decoded and dropped",
    "sluice-raw-packed": "sluice to_arrow(features=…, label=…, batch_size=1024): packed in the core, dropped",
}
BASELINE = "plain"
CEILING = "sluice-raw"


# --------------------------------------------------------------------------
# child side: one case, one process


def cpu_seconds() -> float:
    """CPU time of this process (all its threads) and of its reaped children (DataLoader workers).

    On a shared machine wall time depends on the neighbours' load; CPU time much less."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child(case: str, directory: str) -> None:
    files = sorted(str(p) for p in Path(directory).glob("*.parquet"))
    columns = FEATURES + [LABEL]
    if case.startswith("torch-floor"):
        import pyarrow.parquet as pq

        table_rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    import torch

    if case == "plain":
        import pyarrow.dataset as ds
    elif case == "numpy-matrix":
        import numpy as np
        import pyarrow.parquet as pq
    elif case == "hf-datasets":
        cache = tempfile.mkdtemp(prefix="hf-cache-")
        os.environ["HF_DATASETS_CACHE"] = cache
        os.environ["HF_DATASETS_OFFLINE"] = "1"
        import datasets

        datasets.disable_progress_bars()
    elif case.startswith("sluice") or case.startswith("torch-floor"):
        from torch.utils.data import DataLoader

        import sluice
    else:
        raise SystemExit(f"unknown case {case}")

    rss_imports = bench_pandas.rss_now_kib()
    cpu_started = cpu_seconds()
    rows = 0
    checksum = 0.0  # touch one value of every batch so that nothing can be skipped
    extra = {}
    started = time.perf_counter()
    if case == "plain":
        for batch in ds.dataset(directory, format="parquet").to_batches(columns=columns, batch_size=BATCH):
            tensors = {
                name: torch.from_numpy(column.to_numpy()) for name, column in zip(batch.schema.names, batch.columns)
            }
            X = torch.stack([tensors[name] for name in FEATURES], dim=1).to(torch.float32)
            y = tensors[LABEL]
            rows += len(y)
            checksum += float(X[-1, 0])
    elif case == "numpy-matrix":
        table = pq.read_table(directory, columns=columns)
        matrix = np.empty((table.num_rows, len(FEATURES)), dtype=np.float32)
        for j, name in enumerate(FEATURES):
            matrix[:, j] = table.column(name).to_numpy()
        labels = table.column(LABEL).to_numpy()
        del table
        for start in range(0, len(labels), BATCH):
            X = torch.from_numpy(matrix[start : start + BATCH])
            y = torch.from_numpy(labels[start : start + BATCH])
            rows += len(y)
            checksum += float(X[-1, 0])
    elif case == "hf-datasets":
        dataset = datasets.Dataset.from_parquet(files, columns=columns, cache_dir=cache).with_format("torch")
        extra["prepare_seconds"] = time.perf_counter() - started
        for batch in dataset.iter(batch_size=BATCH):
            X = torch.stack([batch[name] for name in FEATURES], dim=1).to(torch.float32)
            y = batch[LABEL]
            rows += len(y)
            checksum += float(X[-1, 0])
    elif case.startswith("sluice-dict"):
        connector = sluice.DataConnector.from_sources(files)
        dataset = connector.to_torch_dataset(batch_size=BATCH, drop_last_batch=False, columns=columns)
        for batch in DataLoader(dataset, batch_size=None) if case.endswith("loader") else dataset:
            y = batch.pop(LABEL)
            X = torch.concat(list(batch.values()), dim=-1).to(torch.float32)
            rows += len(y)
            checksum += float(X[-1, 0])
    elif case.startswith("sluice-packed"):
        connector = sluice.DataConnector.from_sources(files)
        dataset = connector.to_torch_dataset(batch_size=BATCH, drop_last_batch=False, features=FEATURES, label=LABEL)
        if case.endswith("loader"):
            dataset = DataLoader(dataset, batch_size=None)
        elif case.endswith("workers"):
            dataset = DataLoader(dataset, batch_size=None, num_workers=2)
        for X, y in dataset:
            rows += len(y)
            checksum += float(X[-1, 0])
    elif case.startswith("torch-floor"):
        workers = 2 if case.endswith("workers") else 0
        loader = DataLoader(ReadyMade(table_rows), batch_size=None, num_workers=workers)
        for X, y in loader:
            rows += len(y)
            checksum += float(X[-1, 0])
    elif case == "sluice-raw":
        connector = sluice.DataConnector.from_sources(files)
        for batch in connector.to_arrow(columns=columns, batch_size=BATCH):
            rows += batch.num_rows
    elif case == "sluice-raw-packed":
        connector = sluice.DataConnector.from_sources(files)
        for batch in connector.to_arrow(features=FEATURES, label=LABEL, batch_size=BATCH):
            rows += batch.num_rows
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_started
    if case == "hf-datasets":
        shutil.rmtree(cache, ignore_errors=True)
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "rows": rows,
                "columns": len(columns),
                "seconds": seconds,
                "cpu_seconds": cpu,
                "rss_imports_kib": rss_imports,
                "workers_peak_kib": workers_peak,
                "checksum": checksum,
                **extra,
            }
        )
    )


def ReadyMade(table_rows: int):
    """An IterableDataset of the table's rows as 1,024-row (X, y) of the benchmark's shapes, made per batch,
    reading nothing (each DataLoader worker yields its turns): torch's own per-batch cost."""
    import torch
    from torch.utils.data import IterableDataset, get_worker_info

    class Dataset(IterableDataset):
        def __iter__(self):
            info = get_worker_info()
            workers, index = (1, 0) if info is None else (info.num_workers, info.id)
            for i in range(index, -(-table_rows // BATCH), workers):
                rows = min(BATCH, table_rows - i * BATCH)
                yield torch.zeros((rows, len(FEATURES)), dtype=torch.float32), torch.zeros(rows, dtype=torch.int32)

    return Dataset()


# --------------------------------------------------------------------------
# parent side


def render(results: dict, args, directory: Path, table_bytes: int, command: str) -> str:
    lines = [f"Command: `{command}`", ""]
    lines.append(
        f"- table: {args.rows:,} rows in {args.files} Parquet files ({table_bytes / 2**20:,.0f} MiB on disk, "
        f"warm page cache); read: the 16 float32 and 4 int64 feature columns and the int32 label; "
        f"every batch becomes a ({BATCH}, {len(FEATURES)}) float32 tensor and a label tensor"
    )
    lines.append(f"- machine: {bench_pandas.machine_description()}")
    v = bench_pandas.version
    lines.append(
        f"- python {bench_pandas.platform.python_version()}; sluice {v('sluice')}, torch {v('torch')}, "
        f"pyarrow {v('pyarrow')}, numpy {v('numpy')}, datasets {v('datasets')}"
    )
    lines.append(
        f"- each case in a fresh process, median of {args.repeat} run(s); peak RSS = the process's "
        f"ru_maxrss (interpreter, torch and imports included: importing torch alone takes about 600 MiB "
        f"here); largest worker: RUSAGE_CHILDREN's ru_maxrss, which counts the pages a forked worker "
        f"shares with its parent"
    )
    lines.append("")
    lines.append(
        f"| case | what runs | rows/s | seconds (min–max) | vs {BASELINE} | vs {CEILING} "
        f"| CPU s | rows per CPU s | peak RSS MiB | RSS after imports MiB | peak − after imports MiB |"
    )
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base, ceiling = results.get(BASELINE, {}), results.get(CEILING, {})
    for name in args.cases:
        r = results.get(name, {})
        if "error" in r:
            lines.append(f"| {name} | {CASES[name]} | failed: {r['error'].replace('|', '/')} | | | | | | | | |")
            continue
        vs_base = f"{r['rows_per_s'] / base['rows_per_s']:.2f}×" if "rows_per_s" in base else "–"
        vs_ceiling = f"{r['rows_per_s'] / ceiling['rows_per_s']:.2f}×" if "rows_per_s" in ceiling else "–"
        rss = f"{r['peak_rss_mib']:,.0f}"
        if "workers" in name:
            rss += f" (largest worker {r['workers_peak_mib']:,.0f})"
        secs = f"{r['seconds']:.2f} ({r['seconds_min']:.2f}–{r['seconds_max']:.2f})"
        if "prepare_seconds" in r:
            secs += f", of which building its cache {r['prepare_seconds']:.2f}"
        lines.append(
            f"| {name} | {CASES[name]} | {r['rows_per_s']:,.0f} | {secs} | {vs_base} | {vs_ceiling} "
            f"| {r['cpu_seconds']:.2f} | {args.rows / r['cpu_seconds']:,.0f} | {rss} | {r['rss_imports_mib']:,.0f} "
            f"| {r['peak_rss_mib'] - r['rss_imports_mib']:,.0f} |"
        )
    lines.append("")
    lines.append(
        f"vs X > 1 means faster than X. {CEILING} converts nothing: the decode rate of the core for "
        f"these columns and batches. CPU s: the timed part's CPU time, all threads and DataLoader "
        f"workers together (steadier than wall time on a loaded machine)."
    )
    return "\n".join(lines) + "\n"


def main() -> int:
    import make_reference_table as reference

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_pandas.add_run_arguments(parser, CASES, reference.DEFAULT_ROWS, reference.DEFAULT_FILES, timeout=900)
    args = parser.parse_args()

    if args.child:
        child(args.child, str(args.data))
        return 0
    args.cases = bench_pandas.chosen_cases(parser, args, CASES)

    directory = (args.data or reference.default_dir(args.rows)).resolve()
    reference.ensure_reference_table(directory, args.rows, args.files)
    bench_pandas.warm_page_cache(directory)
    table_bytes = sum(p.stat().st_size for p in directory.glob("*.parquet"))

    runs = bench_pandas.run_rounds(
        args.cases,
        args.repeat,
        lambda name: run_child(name, directory, args.timeout),
        check=lambda name, r: None if r["rows"] == args.rows else f"wrong row count: {r['rows']:,}",
        describe=lambda r: (
            f"{r['seconds']:7.2f} s {r['cpu_seconds']:7.2f} CPU s {args.rows / r['seconds']:>12,.0f} rows/s  "
            f"peak RSS {r['peak_rss_kib'] / 1024:6,.0f} MiB"
        ),
    )

    results = {}
    for name, rs in runs.items():
        results[name] = bench_pandas.summarize(rs, args.rows)
        if "error" in results[name]:
            continue
        results[name]["cpu_seconds"] = statistics.median(r["cpu_seconds"] for r in rs)
        results[name]["workers_peak_mib"] = statistics.median(r["workers_peak_kib"] for r in rs) / 1024
        if "prepare_seconds" in rs[0]:
            results[name]["prepare_seconds"] = statistics.median(r["prepare_seconds"] for r in rs)

    command = " ".join(["python bench/bench_training.py"] + sys.argv[1:])
    return bench_pandas.publish(render(results, args, directory, table_bytes, command), args, runs, results)


def run_child(case: str, directory: Path, timeout: float) -> dict:
    return bench_pandas.run_script([str(Path(__file__).resolve()), "--child", case, "--data", str(directory)], timeout)


if __name__ == "__main__":
    sys.exit(main())

"""sluice against the implementation it replaces: Snowflake's own DataConnector
(`snowflake-ml-python`), reading the same local Parquet files through its
ArrowIngestor, built as its unit tests build it:
`DataConnector(ArrowIngestor(None, files, format="parquet"))`.

snowflake-ml-python pins pandas<3, so it lives in a virtualenv of its own,
bench/seed-venv (made by bench/make_seed_venv.sh); the sluice cases run in the
interpreter running this script. Every case runs in a fresh process, the cases
interleaved round-robin, --repeat times; the median is reported. What is timed
starts after the process's imports and ends when the last row is in memory.

    bench/make_seed_venv.sh                                  # once
    python bench/bench_seed.py --repeat 3                    # 8M rows (bench/data/reference)
    python bench/bench_seed.py --data /path/to/table --cases seed-torch,sluice-torch

Cases (seed-X runs Snowflake's connector, sluice-X sluice's, the same call):
- pandas: connector.to_pandas()
- torch / torch-shuffled: the loop of Snowflake's docs over all 22 columns,
  `DataLoader(connector.to_torch_dataset(batch_size=1024, shuffle=...), batch_size=None)`,
  each batch's 20 numeric features concatenated (`torch.concat(..., dim=-1)`, float32),
  the label taken, and the string column `category` handed on as it comes
- tf: `connector.to_tf_dataset(batch_size=1024)`, dict mode, all 22 columns, consumed by
  `Dataset.reduce` (in the graph, as Keras' fit consumes it; bench_tf.py does the same)
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import bench_pandas  # noqa: E402  (run_script, machine description, versions: shared conventions)

FEATURES = [f"f{i:02d}" for i in range(16)] + [f"i{i}" for i in range(4)]
LABEL = "label"
TEXT = "category"
BATCH = 1024
SEED_VENV = BENCH_DIR / "seed-venv"

# kind -> what runs (X: the connector, seed's or sluice's)
KINDS = {
    "pandas": "X.to_pandas()",
    "torch": "for b in DataLoader(X.to_torch_dataset(batch_size=1024), batch_size=None): "
    "torch.concat(20 numeric columns, -1), label, category",
    "torch-shuffled": "the same with shuffle=True",
    "tf": "X.to_tf_dataset(batch_size=1024).reduce(...): rows and label sum of each dict of 22 columns",
}
CASES = [f"{tool}-{kind}" for kind in KINDS for tool in ("seed", "sluice")]


# --------------------------------------------------------------------------
# child side: one case, one process


def connector_for(tool, files):
    if tool == "seed":
        from snowflake.ml.data._internal.arrow_ingestor import ArrowIngestor
        from snowflake.ml.data.data_connector import DataConnector

        return DataConnector(ArrowIngestor(None, files, format="parquet"))
    import sluice

    return sluice.DataConnector.from_sources(files)


def child(case: str, directory: str) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tool, kind = case.split("-", 1)
    files = sorted(str(p) for p in Path(directory).glob("*.parquet"))
    if kind.startswith("torch"):
        import torch
        from torch.utils.data import DataLoader
    elif kind == "tf":
        import tensorflow as tf  # noqa: F401
    else:
        import pandas  # noqa: F401
    if tool == "seed":  # the connector's modules are imported before the clock starts
        import snowflake.ml.data._internal.arrow_ingestor  # noqa: F401
        import snowflake.ml.data.data_connector  # noqa: F401
    else:
        import sluice  # noqa: F401
    rss_imports = bench_pandas.rss_now_kib()
    rows = 0
    checksum = 0.0  # touch every batch so that nothing can be skipped
    started = time.perf_counter()
    connector = connector_for(tool, files)
    if kind == "pandas":
        frame = connector.to_pandas()
        rows = len(frame)
        checksum = float(frame[LABEL].sum())
        texts = frame[TEXT].iloc[-1]
    elif kind.startswith("torch"):
        dataset = connector.to_torch_dataset(batch_size=BATCH, shuffle=kind == "torch-shuffled")
        for batch in DataLoader(dataset, batch_size=None):
            X = torch.concat([batch[name] for name in FEATURES], dim=-1).to(torch.float32)
            y = batch[LABEL]
            texts = batch[TEXT]
            rows += len(y)
            checksum += float(y.sum()) + len(texts[-1])
            assert X.shape == (len(y), len(FEATURES))
    elif kind == "tf":
        import tensorflow as tf

        # consumed in the graph, as Keras' fit does (and bench_tf.py): rows and the label sum
        def add(totals, batch):
            label = tf.cast(batch[LABEL], tf.float64)
            return totals[0] + tf.cast(tf.shape(label)[0], tf.int64), totals[1] + tf.reduce_sum(label)

        dataset = connector.to_tf_dataset(batch_size=BATCH)
        count, total = dataset.reduce((tf.constant(0, tf.int64), tf.constant(0.0, tf.float64)), add)
        rows, checksum = int(count), float(total)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "rss_imports_kib": rss_imports, "checksum": checksum}))


# --------------------------------------------------------------------------
# parent side


def interpreter(case: str) -> str:
    if case.startswith("seed-"):
        return str(SEED_VENV / "bin" / "python")
    return sys.executable


def run_child(case: str, directory: Path, timeout: float) -> dict:
    # bench_pandas.run_script runs its own interpreter; exec (same process, so wait4's rusage
    # stays this case's) turns it into the case's interpreter
    trampoline = "import os, sys; os.execv(sys.argv[1], sys.argv[1:])"
    argv = [
        "-c",
        trampoline,
        interpreter(case),
        str(Path(__file__).resolve()),
        "--child",
        case,
        "--data",
        str(directory),
    ]
    return bench_pandas.run_script(argv, timeout)


def render(results: dict, args, directory: Path, command: str) -> str:
    lines = [f"Command: `{command}`", ""]
    lines.append(f"- table: {directory} ({args.rows:,} rows, all 22 columns), warm page cache, batch_size={BATCH}")
    lines.append(f"- machine: {bench_pandas.machine_description()}")
    lines.append(f"- seed: snowflake-ml-python {results.get('seed_version', '?')} in {SEED_VENV.name}")
    lines.append(f"- each case in a fresh process, cases interleaved, median of {args.repeat} run(s)")
    lines.append("")
    lines.append(
        "| what runs (X: the connector) | seed s (min–max) | sluice s (min–max) | sluice vs seed | rows | "
        "seed peak RSS MiB | sluice peak RSS MiB |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for kind, what in KINDS.items():
        seed, ours = results.get(f"seed-{kind}"), results.get(f"sluice-{kind}")
        if seed is None or ours is None:
            continue
        if "error" in seed or "error" in ours:
            failed = (seed.get("error") or ours.get("error")).replace("|", "/")[:200]
            lines.append(f"| `{what}` | failed: {failed} | | | | | |")
            continue

        def secs(r):
            return f"{r['seconds']:.2f} ({r['seconds_min']:.2f}–{r['seconds_max']:.2f})"

        lines.append(
            f"| `{what}` | {secs(seed)} | {secs(ours)} | {seed['seconds'] / ours['seconds']:.2f}× | "
            f"{ours['rows']:,} | {seed['peak_rss_mib']:,.0f} | {ours['peak_rss_mib']:,.0f} |"
        )
    lines.append("")
    lines.append("sluice vs seed > 1 means sluice is faster (seed seconds / sluice seconds, medians).")
    return "\n".join(lines) + "\n"


def main() -> int:
    import make_reference_table as reference

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_pandas.add_run_arguments(parser, CASES, reference.DEFAULT_ROWS, reference.DEFAULT_FILES, timeout=1800)
    args = parser.parse_args()

    if args.child:
        child(args.child, str(args.data))
        return 0
    args.cases = bench_pandas.chosen_cases(parser, args, CASES)
    if any(c.startswith("seed-") for c in args.cases) and not (SEED_VENV / "bin" / "python").exists():
        parser.error(f"{SEED_VENV} is missing: run bench/make_seed_venv.sh first")

    directory = (args.data or reference.default_dir(args.rows)).resolve()
    reference.ensure_reference_table(directory, args.rows, args.files)
    bench_pandas.warm_page_cache(directory)

    runs = bench_pandas.run_rounds(
        args.cases,
        args.repeat,
        lambda name: run_child(name, directory, args.timeout),
        check=lambda name, r: None,  # the row counts of the two tools are compared below
        describe=lambda r: f"{r['seconds']:7.2f} s {r['rows']:>10,} rows peak RSS {r['peak_rss_kib'] / 1024:6,.0f} MiB",
    )
    results: dict = {}
    for name, rs in runs.items():
        results[name] = bench_pandas.summarize(rs, args.rows)
        if "error" not in results[name]:
            results[name]["rows"] = statistics.median(r["rows"] for r in rs)
    for kind in KINDS:  # the two tools must have delivered the same rows
        a, b = results.get(f"seed-{kind}"), results.get(f"sluice-{kind}")
        if a and b and "error" not in a and "error" not in b and a["rows"] != b["rows"]:
            b["error"] = f"sluice gave {b['rows']:,} rows, the seed {a['rows']:,}"
    results["seed_version"] = seed_version()
    command = " ".join(["python bench/bench_seed.py"] + sys.argv[1:])
    return bench_pandas.publish(render(results, args, directory, command), args, runs, results)


def seed_version() -> str:
    site = next((SEED_VENV / "lib").glob("python*/site-packages"), None)
    found = sorted(site.glob("snowflake_ml_python-*.dist-info")) if site else []
    return found[0].name[: -len(".dist-info")].split("-", 1)[1] if found else "?"


if __name__ == "__main__":
    sys.exit(main())

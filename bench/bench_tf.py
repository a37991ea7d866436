"""A full pass of 1,024-row batches through tf.data: sluice's to_tf_dataset against the tf.data
inputs users would write instead.

Cases (each in a fresh Python process, tensorflow imported before the clock starts):

    sluice-packed      connector.to_tf_dataset(features=[20 numeric columns], label="label"):
                       (X float32 (1024, 20), y (1024, 1)), packed in Rust
    sluice-dict        connector.to_tf_dataset(): {column: (1024, 1) tensor}, all 22 columns
    pyarrow-packed     tf.data.Dataset.from_generator over pyarrow.dataset batches of 1,024 rows,
                       numpy column_stack of the same 20 columns to float32, and the label
    pyarrow-dict       the same generator yielding {column: (1024, 1) array}, all 22 columns
    tf-csv             tf.data.experimental.make_csv_dataset(batch_size=1024, num_epochs=1,
                       shuffle=False) over a CSV copy of the table's first --csv-rows rows
                       (1,000,000 by default: parsing CSV in TF is too slow for all 8M)

No case shuffles or prefetches; each consumes the dataset with Dataset.reduce (graph mode,
as model.fit does) counting rows. Rows/s
is rows read / seconds (tf-csv: over its own, smaller, row count). Peak RSS is the child's
ru_maxrss, interpreter and TensorFlow included ("RSS after imports" shows that floor).

    python bench/bench_tf.py                         # 8M rows, 3 repeats
    python bench/bench_tf.py --repeat 1 --cases sluice-packed,pyarrow-packed
    python bench/bench_tf.py --rows 400000 --csv-rows 100000 --output BENCH_TF.md
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BATCH = 1024
FEATURES = [f"f{i:02d}" for i in range(16)] + [f"i{i}" for i in range(4)]
DEFAULT_CSV_ROWS = 1_000_000

CASES = {
    "sluice-packed": (
        "connector.to_tf_dataset(batch_size=1024, features=[20 cols], label='label', drop_last_batch=False)"
    ),
    "sluice-dict": "connector.to_tf_dataset(batch_size=1024, drop_last_batch=False)",
    "pyarrow-packed": "from_generator(pyarrow.dataset batches -> (np.column_stack(20 cols).astype(float32), label))",
    "pyarrow-dict": "from_generator(pyarrow.dataset batches -> {col: (n, 1) array})",
    "tf-csv": "tf.data.experimental.make_csv_dataset(csv, batch_size=1024, num_epochs=1, shuffle=False)",
}


# --------------------------------------------------------------------------
# child side: one case, one process


def pyarrow_generator(directory, packed):
    """What a user writes without sluice: pyarrow batches of 1,024 rows into numpy."""
    import numpy as np
    import pyarrow.dataset as ds

    def generate():
        for batch in ds.dataset(directory, format="parquet").to_batches(batch_size=BATCH):
            if packed:
                x = np.column_stack([batch.column(n).to_numpy() for n in FEATURES]).astype(np.float32)
                yield x, batch.column("label").to_numpy().reshape(-1, 1)
            else:
                yield {
                    name: column.to_numpy(zero_copy_only=False).reshape(-1, 1)
                    for name, column in zip(batch.schema.names, batch.columns)
                }

    return generate


def child(case: str, directory: str, csv_path: str) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    if case.startswith("sluice"):
        import sluice
    if case.startswith("pyarrow"):
        import numpy  # noqa: F401
        import pyarrow.dataset  # noqa: F401

    rss_imports = bench_pandas.rss_now_kib()
    started = time.perf_counter()
    if case == "sluice-packed":
        connector = sluice.DataConnector.from_sources([directory])
        dataset = connector.to_tf_dataset(batch_size=BATCH, features=FEATURES, label="label", drop_last_batch=False)
    elif case == "sluice-dict":
        connector = sluice.DataConnector.from_sources([directory])
        dataset = connector.to_tf_dataset(batch_size=BATCH, drop_last_batch=False)
    elif case == "pyarrow-packed":
        signature = (tf.TensorSpec((None, len(FEATURES)), tf.float32), tf.TensorSpec((None, 1), tf.int32))
        dataset = tf.data.Dataset.from_generator(pyarrow_generator(directory, True), output_signature=signature)
    elif case == "pyarrow-dict":
        import pyarrow as pa
        import pyarrow.dataset as ds

        schema = ds.dataset(directory, format="parquet").schema
        signature = {
            f.name: tf.TensorSpec(
                (None, 1), tf.string if pa.types.is_string(f.type) else tf.as_dtype(f.type.to_pandas_dtype())
            )
            for f in schema
        }
        dataset = tf.data.Dataset.from_generator(pyarrow_generator(directory, False), output_signature=signature)
    elif case == "tf-csv":
        dataset = tf.data.experimental.make_csv_dataset(
            csv_path, batch_size=BATCH, num_epochs=1, shuffle=False, label_name="label"
        )
    else:
        raise SystemExit(f"unknown case {case}")

    def count(total, *element):
        first = tf.nest.flatten(element)[0]
        return total + tf.cast(tf.shape(first)[0], tf.int64)

    # consumed in graph mode (as model.fit consumes it), so the loop itself costs next to nothing
    rows = int(dataset.reduce(tf.constant(0, tf.int64), count))
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "rss_imports_kib": rss_imports}))


# --------------------------------------------------------------------------
# parent side


def run_child(case: str, directory: Path, csv_path: Path, timeout: float) -> dict:
    return bench_pandas.run_script(
        [str(Path(__file__).resolve()), "--child", case, "--data", str(directory), "--csv", str(csv_path)], timeout
    )


def csv_path_for(directory: Path, rows: int) -> Path:
    return directory.with_name(f"{directory.name}-csv-{rows}") / "part-0.csv"


def ensure_csv(directory: Path, rows: int) -> Path:
    """The first `rows` rows of the table as one CSV file, written once, next to the table.

    Written by a child process: a child's ru_maxrss starts from its parent's RSS when it is
    started, so the parent must never hold the table.
    """
    path = csv_path_for(directory, rows)
    if not path.exists():
        subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--make-csv", str(rows), "--data", str(directory)],
            check=True,
        )
    return path


def make_csv(directory: Path, rows: int) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.dataset as ds

    path = csv_path_for(directory, rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pacsv.write_csv(ds.dataset(directory, format="parquet").head(rows), tmp)
    tmp.rename(path)


def render(results, args, directory, csv_path, command):
    lines = [f"Command: `{command}`", ""]
    lines.append(
        f"- table: {args.rows:,} rows × 22 columns (16 float32, 4 int64, 1 string, 1 int32) in "
        f"{len(list(directory.glob('*.parquet')))} Parquet files ({directory}); tf-csv reads "
        f"{args.csv_rows:,} rows of it as one CSV file ({csv_path.stat().st_size / 2**20:,.0f} MiB)"
    )
    lines.append(f"- machine: {bench_pandas.machine_description()}")
    lines.append(
        f"- python {platform.python_version()}; sluice {bench_pandas.version('sluice')}, "
        f"tensorflow-cpu {bench_pandas.version('tensorflow-cpu')}, pyarrow {bench_pandas.version('pyarrow')}, "
        f"numpy {bench_pandas.version('numpy')}"
    )
    lines.append(
        f"- batches of {BATCH:,} rows, one full pass consumed by Dataset.reduce, no shuffle, no prefetch; "
        f"each case in a fresh process, median of {args.repeat} run(s); peak RSS = ru_maxrss, TensorFlow included"
    )
    lines.append("")
    lines.append(
        "| case | what runs | rows | rows/s | seconds (min–max) | vs pyarrow-packed | peak RSS MiB "
        "| RSS after imports MiB |"
    )
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
    base = results.get("pyarrow-packed", {})
    for name in args.cases:
        r = results[name]
        if "error" in r:
            lines.append(f"| {name} | `{CASES[name]}` | failed: {r['error'].replace('|', '/')} | | | | | |")
            continue
        vs = f"{r['rows_per_s'] / base['rows_per_s']:.2f}×" if "rows_per_s" in base else "–"
        lines.append(
            f"| {name} | `{CASES[name]}` | {r['rows']:,} | {r['rows_per_s']:,.0f} | {r['seconds']:.2f} "
            f"({r['seconds_min']:.2f}–{r['seconds_max']:.2f}) | {vs} | {r['peak_rss_mib']:,.0f} "
            f"| {r['rss_imports_mib']:,.0f} |"
        )
    lines.append("")
    lines.append("vs pyarrow-packed > 1 means more rows/s than the pyarrow generator with the same packing.")
    return "\n".join(lines) + "\n"


def main() -> int:
    sys.path.insert(0, str(BENCH_DIR))
    global bench_pandas
    import bench_pandas
    import make_reference_table as reference

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_pandas.add_run_arguments(parser, CASES, reference.DEFAULT_ROWS, reference.DEFAULT_FILES, timeout=900)
    parser.add_argument("--csv-rows", type=int, default=DEFAULT_CSV_ROWS, help="rows in the CSV copy (tf-csv)")
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--make-csv", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.make_csv:
        make_csv(args.data, args.make_csv)
        return 0

    if args.child:
        child(args.child, str(args.data), args.csv)
        return 0

    args.cases = bench_pandas.chosen_cases(parser, args, CASES)
    directory = (args.data or reference.default_dir(args.rows)).resolve()
    reference.ensure_reference_table(directory, args.rows, args.files)
    csv_path = ensure_csv(directory, min(args.csv_rows, args.rows))
    bench_pandas.warm_page_cache(directory)

    def wrong_rows(name, r):
        expected = min(args.csv_rows, args.rows) if name == "tf-csv" else args.rows
        return None if r["rows"] == expected else f"{r['rows']:,} rows, expected {expected:,}"

    runs = bench_pandas.run_rounds(
        args.cases,
        args.repeat,
        lambda name: run_child(name, directory, csv_path, args.timeout),
        check=wrong_rows,
        describe=lambda r: (
            f"{r['seconds']:8.2f} s {r['rows'] / r['seconds']:>12,.0f} rows/s  "
            f"peak RSS {r['peak_rss_kib'] / 1024:7,.0f} MiB"
        ),
    )

    results = {}
    for name, rs in runs.items():
        rows = rs[0].get("rows", args.rows)
        results[name] = bench_pandas.summarize(rs, rows)
        if "error" not in results[name]:
            results[name]["rows"] = rows
    command = " ".join(["python bench/bench_tf.py"] + sys.argv[1:])
    return bench_pandas.publish(render(results, args, directory, csv_path, command), args, runs, results)


if __name__ == "__main__":
    sys.exit(main())

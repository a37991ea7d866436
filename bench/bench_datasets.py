"""Dataset versions against what users would do instead (docs/datasets.md).

- create: `Dataset.create_version` of the reference table's files against
  `pyarrow.dataset.write_dataset` of the same rows (a new directory each run);
- read: every row of a version of the reference table against every row of the
  original files, both with sluice (record batches decoded and dropped).

Every case runs in a fresh Python process; what is timed starts after its imports
and ends when the version is published, the files are written, or the last batch
is read. Cases run round-robin --repeat times; the median is reported, with the
ratio of each pair (> 1: the dataset side is faster).

    SLUICE_LIBRARY=target/release/libsluice.so PYTHONPATH=bindings/python \\
        .venv/bin/python bench/bench_datasets.py /work/refdata/reference --work /tmp/bench-datasets --repeat 3
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    "create_version": "sluice.Dataset.create(root, 'bench', exist_ok=True).create_version(v, data)",
    "write_dataset": "pyarrow.dataset.write_dataset(pyarrow.dataset.dataset(data), out, format='parquet')",
    "read_version": "for b in DataConnector.from_dataset(load_dataset(root, 'bench', 'read')).to_arrow(): pass",
    "read_files": "for b in DataConnector.from_sources(data).to_arrow(): pass",
}
PAIRS = [("create_version", "write_dataset"), ("read_version", "read_files")]


def child(case: str, data: str, work: str, run: str) -> None:
    import pyarrow.dataset

    import sluice

    root = f"{work}/root"
    start = time.perf_counter()
    rows = 0
    if case == "create_version":
        version = sluice.Dataset.create(root, "bench", exist_ok=True).create_version(f"run{run}", data)
        rows = version.read.num_rows
    elif case == "write_dataset":
        out = f"{work}/pyarrow-{run}"
        pyarrow.dataset.write_dataset(pyarrow.dataset.dataset(data, format="parquet"), out, format="parquet")
        rows = sum(f.metadata.num_rows for f in pyarrow.dataset.dataset(out, format="parquet").get_fragments())
    else:
        if case == "read_version":
            connector = sluice.DataConnector.from_dataset(sluice.load_dataset(root, "bench", "read"))
        else:
            connector = sluice.DataConnector.from_sources(data)
        with connector.to_arrow() as reader:
            for batch in reader:
                rows += batch.num_rows
    print(f"{time.perf_counter() - start:.6f} {rows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="directory of the reference table's Parquet files")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-datasets"), help="where versions are written")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    data, work = str(args.data.resolve()), args.work.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    import sluice

    sluice.Dataset.create(work / "root", "bench").create_version("read", data)
    times: dict = {case: [] for case in CASES}
    rows: dict = {}
    for run in range(args.repeat):
        for case in CASES:
            out = subprocess.run(
                [sys.executable, __file__, data, "--child", case, data, str(work), str(run)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            times[case].append(float(out[0]))
            rows[case] = int(out[1])
            # written outputs are removed between runs, so the disk holds one of each
            shutil.rmtree(work / f"pyarrow-{run}", ignore_errors=True)
            if case == "create_version":
                sluice.load_dataset(work / "root", "bench").delete_version(f"run{run}")
    if len(set(rows.values())) != 1:
        raise SystemExit(f"the cases disagree on the row count: {rows}")
    print(f"{rows['read_files']:,} rows, {args.repeat} runs each, interleaved; median seconds (range)")
    print("| case | what runs | median s | range s | ratio |")
    print("|---|---|---|---|---|")
    for ours, theirs in PAIRS:
        baseline = statistics.median(times[theirs])
        for case in (ours, theirs):
            median = statistics.median(times[case])
            spread = f"{min(times[case]):.2f}–{max(times[case]):.2f}"
            print(f"| {case} | `{CASES[case]}` | {median:.2f} | {spread} | {baseline / median:.2f}× |")


if __name__ == "__main__":
    main()

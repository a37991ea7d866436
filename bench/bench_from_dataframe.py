"""from_dataframe on a pyarrow Table: one case per process, timed with peak RSS.

    python bench/bench_from_dataframe.py CASE DIR [ROWS]

CASE: pyarrow (Table.to_pandas, the baseline), never (to_pandas straight from the stream,
no snapshot), auto (to_pandas straight from the stream, writing the snapshot alongside),
epochs (auto: first pass, then a shuffled second epoch read from the snapshot).
DIR: a Parquet directory (bench/make_reference_table.py); its first ROWS rows (default 2,000,000)
are loaded into memory before the clock starts.
"""

import resource
import sys
import tempfile
import time

import pyarrow.dataset as ds

import sluice


def main() -> None:
    case, directory = sys.argv[1], sys.argv[2]
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 2_000_000
    table = ds.dataset(directory).head(rows)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as snapshots:
        start = time.perf_counter()
        if case == "pyarrow":
            table.to_pandas()
        elif case in ("never", "auto"):
            sluice.DataConnector.from_dataframe(table, snapshot=case, snapshot_dir=snapshots).to_pandas()
        elif case == "epochs":
            connector = sluice.DataConnector.from_dataframe(table, snapshot_dir=snapshots)
            for _ in connector.to_arrow(batch_size=65536):
                pass
            first = time.perf_counter() - start
            for _ in connector.to_arrow(batch_size=65536, shuffle=True, epoch=1):
                pass
            print(f"first pass {first:.2f}s", end=", ")
        else:
            raise SystemExit(f"unknown case {case}")
        elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{case}: {rows} rows, {elapsed:.2f}s, peak RSS growth {(peak - before) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()

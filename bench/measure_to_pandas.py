"""Measure to_pandas() strategies: peak RSS and time (not a test; run by hand).

    python bench/measure_to_pandas.py make  /tmp/big.parquet [rows]
    python bench/measure_to_pandas.py run   /tmp/big.parquet

Each strategy runs in a fresh process; peak RSS is the growth of VmHWM over VmRSS
after imports (VmHWM reset through /proc/self/clear_refs; ru_maxrss would carry the
parent's high-water mark across fork+exec). Strategies:
  pyarrow          pq.read_table(path).to_pandas()                 (the reference)
  sluice           DataConnector.to_pandas() as shipped
  plain            sluice stream -> read_all() -> to_pandas()
  destruct         sluice stream -> read_all() -> to_pandas(self_destruct=True, split_blocks=True)
  batches          sluice stream -> batch.to_pandas() each -> pandas.concat
"""

import subprocess
import sys
import time


def make(path, rows):
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    table = pa.table(
        {
            "id": np.arange(rows, dtype=np.int64),
            "a": rng.normal(size=rows),
            "b": rng.integers(0, 1000, rows).astype(np.int32),
            "c": rng.normal(size=rows).astype(np.float32),
            "s": pa.array(np.char.add("v", rng.integers(0, 10**6, rows).astype(str)).astype(object)),
        }
    )
    pq.write_table(table, path, row_group_size=500_000)
    print(f"{rows} rows, {table.nbytes / 2**20:.0f} MiB decoded")


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_kib("VmRSS")


def peak_growth_mib(base_kib):
    return (_status_kib("VmHWM") - base_kib) / 1024


def one(path, how):
    import pandas as pd
    import pyarrow.parquet as pq

    import sluice

    base = reset_peak()
    start = time.perf_counter()
    if how == "pyarrow":
        frame = pq.read_table(path).to_pandas()
    elif how == "sluice":
        frame = sluice.DataConnector.from_sources(path).to_pandas()
    else:
        reader = sluice.DataConnector.from_sources(path).to_arrow()
        if how == "plain":
            frame = reader.read_all().to_pandas()
        elif how == "destruct":
            table = reader.read_all()
            frame = table.to_pandas(self_destruct=True, split_blocks=True)
            del table
        elif how == "batches":
            frame = pd.concat([b.to_pandas() for b in reader], ignore_index=True)
        else:
            raise SystemExit(f"unknown strategy {how}")
    seconds = time.perf_counter() - start
    peak = peak_growth_mib(base)
    print(f"{how:10s} rows={len(frame)} peak_rss_growth={peak:7.0f} MiB time={seconds:6.2f} s")


def run(path):
    for how in ["pyarrow", "sluice", "plain", "destruct", "batches"]:
        for _ in range(2):
            subprocess.run([sys.executable, __file__, "one", path, how], check=True)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "make":
        make(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 8_000_000)
    elif command == "run":
        run(sys.argv[2])
    else:
        one(sys.argv[2], sys.argv[3])

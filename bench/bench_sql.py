"""Loads a PostgreSQL table into pandas: pandas.read_sql (SQLAlchemy + psycopg2), ConnectorX
(1 and 4 partitions, when installed), ADBC's own Python path (adbc_driver_postgresql.dbapi,
fetch_arrow_table().to_pandas()) and sluice (DataConnector.from_sql(...).to_pandas(), 1 and 4
partitions).

The server is a private PostgreSQL 15 on loopback (tests/python/_postgres.py: Debian's
binaries). The table: the reference table's 22 columns plus an integer id, --rows rows (the
first rows of bench/make_reference_table.py's files), loaded once with ADBC's bulk ingest.
Every case runs in a fresh Python process; what is timed starts after that process's imports
and ends when the DataFrame is built. pandas is imported before the clock in every case: ADBC's
dbapi module imports it when imported, the others on their first DataFrame, and a program that
builds DataFrames has imported it already. Peak RSS is the child's ru_maxrss. The cases run
--repeat times, interleaved round-robin; the median is reported.

    python bench/bench_sql.py --rows 2000000 --repeat 3
    python bench/bench_sql.py --rows 200000 --repeat 1 --data /work/refdata/reference
    python bench/bench_sql.py --rows 2000000 --cases to_pandas,torch   # only those cases

The torch cases: `to_torch_dataset` in packed mode (20 numeric columns into one float32 X,
`label` as y), shuffled, batch 4096, memory_budget 256 MiB; epoch 1 runs the query and writes
the snapshot as it goes, epoch 2 (timed alone, after an untimed epoch 1) reads the snapshot.
"peak RSS growth" is the peak RSS above the RSS after the case's imports.
"""

import argparse
import glob
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))

QUERY = "SELECT * FROM bench"

CASES = {
    "pandas.read_sql (SQLAlchemy + psycopg2)": """
import pandas, sqlalchemy
engine = sqlalchemy.create_engine(URI.replace("postgresql://", "postgresql+psycopg2://"))
start()
with engine.connect() as conn:
    df = pandas.read_sql(QUERY, conn)
""",
    "ConnectorX, 1 partition": """
import connectorx
start()
df = connectorx.read_sql(URI, QUERY, return_type="pandas")
""",
    "ConnectorX, 4 partitions": """
import connectorx
start()
df = connectorx.read_sql(URI, QUERY, partition_on="id", partition_num=4, return_type="pandas")
""",
    "ADBC Python (dbapi, fetch_arrow_table().to_pandas())": """
import adbc_driver_postgresql.dbapi
start()
with adbc_driver_postgresql.dbapi.connect(URI) as conn, conn.cursor() as cur:
    cur.execute(QUERY)
    df = cur.fetch_arrow_table().to_pandas()
""",
    "sluice to_pandas, 1 partition": """
import sluice
start()
df = sluice.DataConnector.from_sql(QUERY, uri=URI, snapshot="never").to_pandas()
""",
    "sluice to_pandas, 4 partitions": """
import sluice
start()
df = sluice.DataConnector.from_sql(QUERY, uri=URI, partition_on="id", partitions=4, snapshot="never").to_pandas()
""",
}

#: the torch cases: the reference table's 20 numbers packed into X (float32), `label` as y,
#: shuffled, under a memory budget; the snapshot goes to a fresh directory per process
TORCH = """
import atexit, shutil, sluice, tempfile, torch
baseline()
snapshots = tempfile.mkdtemp(prefix="bench-sql-snap-")
atexit.register(shutil.rmtree, snapshots, True)
FEATURES = [f"f{i:02d}" for i in range(16)] + [f"i{i}" for i in range(4)]
connector = sluice.DataConnector.from_sql(QUERY, uri=URI, snapshot_dir=snapshots)
def epoch(n):
    dataset = connector.to_torch_dataset(
        features=FEATURES, label="label", shuffle=True, seed=1, epoch=n, batch_size=4096,
        drop_last_batch=False, memory_budget=BUDGET)
    return sum(int(x.shape[0]) for x, y in torch.utils.data.DataLoader(dataset, batch_size=None))
"""

CASES["sluice to_torch_dataset packed + shuffle, epoch 1 (query + snapshot)"] = (
    TORCH
    + """
start()
df = range(epoch(0))
"""
)
CASES["sluice to_torch_dataset packed + shuffle, epoch 2 (from the snapshot)"] = (
    TORCH
    + """
epoch(0)
start()
df = range(epoch(1))
"""
)

#: the memory budget of the torch cases (read option memory_budget)
BUDGET = "256MiB"

CHILD = """
import os, time, resource, sys
import pandas  # outside the clock for every case (ADBC's dbapi imports it on import)
URI, QUERY, ROWS, BUDGET = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
_t = [0.0]
_rss = [None]
def rss_mib():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
def baseline():
    # RSS after the case's imports: the growth reported is the peak RSS above it
    _rss[0] = rss_mib()
def start():
    if _rss[0] is None:
        baseline()
    _t[0] = time.perf_counter()
{body}
elapsed = time.perf_counter() - _t[0]
assert len(df) == ROWS, (len(df), ROWS)
growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - _rss[0]
print(f"RESULT {{elapsed:.4f}} {{growth:.1f}}")
"""


def load_table(uri, data_dir, rows):
    import adbc_driver_postgresql.dbapi
    import pyarrow as pa
    import pyarrow.dataset as ds

    files = sorted(glob.glob(os.path.join(data_dir, "*.parquet")))
    table = ds.dataset(files).head(rows)
    table = table.add_column(0, "id", pa.array(range(rows), pa.int64()))
    with adbc_driver_postgresql.dbapi.connect(uri) as conn, conn.cursor() as cur:
        cur.adbc_ingest("bench", table, mode="create")
        cur.execute("ANALYZE bench")
        conn.commit()


def run_case(name, uri, rows):
    code = CHILD.format(body=CASES[name])
    args = [sys.executable, "-c", code, uri, QUERY, str(rows), BUDGET]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read()
    proc.stdout.close()
    if status != 0:
        raise RuntimeError(f"{name} failed with status {status}: {out}")
    seconds, growth = map(float, out.split("RESULT ")[1].split())
    return seconds, usage.ru_maxrss / 1024, growth


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", default=str(ROOT / "bench" / "data" / "reference"))
    parser.add_argument("--cases", default="", help="only the cases whose names contain one of these (comma-separated)")
    args = parser.parse_args()

    import _postgres

    cases = list(CASES)
    try:
        import connectorx  # noqa: F401
    except ImportError:
        print("ConnectorX is not installed (pip install connectorx): its cases are left out")
        cases = [c for c in cases if not c.startswith("ConnectorX")]
    if args.cases:
        wanted = args.cases.split(",")
        cases = [c for c in cases if any(w in c for w in wanted)]

    server = _postgres.start()
    try:
        started = time.perf_counter()
        # in a child: a forked child inherits the parent's peak RSS, which the table would raise
        subprocess.run([sys.executable, __file__, "--load", server.uri(), args.data, str(args.rows)], check=True)
        print(f"loaded {args.rows} rows in {time.perf_counter() - started:.1f} s")
        results = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name in cases:
                results[name].append(run_case(name, server.uri(), args.rows))
                print(f"{name}: {results[name][-1][0]:.2f} s", file=sys.stderr, flush=True)
    finally:
        server.stop()

    first = cases[0]
    base = statistics.median(s for s, _, _ in results[first])
    print(f"\n{args.rows} rows, 23 columns, PostgreSQL 15 on loopback; median of {args.repeat}\n")
    print(f"| case | seconds | vs {first} | peak RSS (MiB) | peak RSS growth (MiB) |")
    print("|---|---:|---:|---:|---:|")
    for name in cases:
        seconds = statistics.median(s for s, _, _ in results[name])
        rss = statistics.median(r for _, r, _ in results[name])
        growth = statistics.median(g for _, _, g in results[name])
        print(f"| {name} | {seconds:.2f} | {base / seconds:.1f}x | {rss:.0f} | {growth:.0f} |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--load"]:
        load_table(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()

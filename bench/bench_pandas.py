"""Loads the reference table into pandas with sluice and with the tools users
would pick instead, and reads it raw (batches decoded and dropped).

Every case runs in a fresh Python process; what is timed starts after that
process's imports and ends when the last row is in memory. Peak RSS is the
child's ru_maxrss (from wait4), so it includes the interpreter and imported
modules; "RSS after imports" shows that floor. Each case runs --repeat times,
the cases interleaved round-robin, and the median is reported. The files are
read once before the first case, so every case sees a warm page cache.

    python bench/bench_pandas.py                      # 8M rows, 3 repeats
    python bench/bench_pandas.py --rows 400000 --repeat 1
    python bench/bench_pandas.py --output BENCH.md --json results.json

The table is generated first when missing (bench/make_reference_table.py).
"""

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent

# The children import only what their case needs (their memory is measured),
# so the table generator (numpy, pyarrow) is imported by the parent alone.
NUM_COLUMNS = 22  # 16 float32 + 4 int64 + 1 string + 1 int32
FIXED_WIDTH_BYTES_PER_ROW = 16 * 4 + 4 * 8 + 4
DEFAULT_ROWS = 8_000_000
DEFAULT_FILES = 8

# name -> (group, baseline of its group, what it runs)
CASES = {
    "sluice": ("pandas", "pyarrow", "sluice.DataConnector.from_sources([dir]).to_pandas()"),
    "pyarrow": ("pandas", "pyarrow", "pyarrow.parquet.read_table(dir).to_pandas()"),
    "pandas": ("pandas", "pyarrow", "pandas.read_parquet(dir)"),
    "polars": ("pandas", "pyarrow", "polars.read_parquet('dir/*.parquet').to_pandas()"),
    "duckdb": ("pandas", "pyarrow", "duckdb.sql(\"select * from read_parquet('dir/*.parquet')\").df()"),
    "sluice-stream": (
        "stream",
        "pyarrow-stream",
        "for batch in sluice.DataConnector.from_sources([dir]).to_arrow(): pass",
    ),
    "pyarrow-stream": ("stream", "pyarrow-stream", "for batch in pyarrow.dataset.dataset(dir).to_batches(): pass"),
}
GROUP_TITLES = {
    "pandas": "Parquet → pandas DataFrame",
    "stream": "Raw decode: record batches read and dropped",
}


# --------------------------------------------------------------------------
# child side: one case, one process


def rss_now_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def child(case: str, directory: str) -> None:
    glob = os.path.join(directory, "*.parquet")
    if case == "sluice":
        import pandas  # noqa: F401  (imported before the clock starts, as in the other cases)

        import sluice
    if case == "sluice-stream":
        import sluice
    if case in ("pyarrow", "pandas"):
        import pandas as pd
        import pyarrow.parquet as pq
    if case == "pyarrow-stream":
        import pyarrow.dataset as ds
    if case == "polars":
        import pandas  # noqa: F401
        import polars as pl
        import pyarrow  # noqa: F401
    if case == "duckdb":
        import duckdb
        import pandas  # noqa: F401

    rss_imports = rss_now_kib()
    started = time.perf_counter()
    if case == "sluice":
        frame = sluice.DataConnector.from_sources([directory]).to_pandas()
    elif case == "pyarrow":
        frame = pq.read_table(directory).to_pandas()
    elif case == "pandas":
        frame = pd.read_parquet(directory)
    elif case == "polars":
        frame = pl.read_parquet(glob).to_pandas()
    elif case == "duckdb":
        frame = duckdb.sql(f"select * from read_parquet('{glob}')").df()
    elif case == "sluice-stream":
        rows = 0
        for batch in sluice.DataConnector.from_sources([directory]).to_arrow():
            rows += batch.num_rows
            columns = batch.num_columns
    elif case == "pyarrow-stream":
        rows = 0
        for batch in ds.dataset(directory, format="parquet").to_batches():
            rows += batch.num_rows
            columns = batch.num_columns
    else:
        raise SystemExit(f"unknown case {case}")
    seconds = time.perf_counter() - started
    if CASES[case][0] == "pandas":
        rows, columns = frame.shape
    print(json.dumps({"rows": rows, "columns": columns, "seconds": seconds, "rss_imports_kib": rss_imports}))


# --------------------------------------------------------------------------
# parent side


def run_child(case: str, directory: Path, timeout: float) -> dict:
    return run_script([str(Path(__file__).resolve()), "--child", case, "--data", str(directory)], timeout)


def run_script(argv: list, timeout: float) -> dict:
    """Runs `python *argv` in a fresh process: the JSON result it prints last, plus its own
    ru_maxrss. The other benchmarks run their cases through this too.

    The child is reaped with wait4, which returns that child's rusage alone
    (RUSAGE_CHILDREN would be the maximum over every child so far).
    """
    cmd = [sys.executable, *argv]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    captured = {}

    def drain(name, stream):
        captured[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=(n, s), daemon=True)
        for n, s in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for t in readers:
        t.start()
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            proc.returncode = -9
            return {"error": f"timed out after {timeout:.0f} s"}
        time.sleep(0.005)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join()
    proc.stdout.close()
    proc.stderr.close()
    result = _parse(captured["out"].decode(), captured["err"].decode(errors="replace"), proc.returncode)
    result["peak_rss_kib"] = usage.ru_maxrss  # KiB on Linux
    return result


def summarize(rs: list, rows: int) -> dict:
    """The median of a case's runs (its first error if any run failed)."""
    errors = [r["error"] for r in rs if "error" in r]
    if errors:
        return {"error": errors[0]}
    seconds = [r["seconds"] for r in rs]
    median = statistics.median(seconds)
    return {
        "seconds": median,
        "seconds_min": min(seconds),
        "seconds_max": max(seconds),
        "rows_per_s": rows / median,
        "peak_rss_mib": statistics.median(r["peak_rss_kib"] for r in rs) / 1024,
        "rss_imports_mib": statistics.median(r["rss_imports_kib"] for r in rs) / 1024,
    }


def publish(report: str, args, runs: dict, results: dict) -> int:
    """Prints the report, writes --output and --json; the exit status (1 if a case failed)."""
    print()
    print(report)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rows": args.rows, "runs": runs, "results": results}, indent=2) + "\n")
    return 1 if any("error" in r for r in results.values()) else 0


def add_run_arguments(parser: argparse.ArgumentParser, cases, rows: int, files: int, timeout: float) -> None:
    """The arguments of a benchmark that runs named cases on the reference table, each run in a
    fresh process: the table, the cases, how often, and where the results go."""
    parser.add_argument(
        "--data",
        type=Path,
        help="table directory (default: bench/data/reference, "
        "or bench/data/reference-<rows> when --rows is not 8,000,000)",
    )
    parser.add_argument("--rows", type=int, default=rows, help="rows in the table")
    parser.add_argument("--files", type=int, default=files, help="files in the table")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the median is reported")
    parser.add_argument("--cases", default=",".join(cases), help=f"comma-separated subset of: {', '.join(cases)}")
    parser.add_argument("--timeout", type=float, default=timeout, help="seconds before one run is abandoned")
    parser.add_argument("--output", type=Path, help="also write the markdown table to this file")
    parser.add_argument("--json", type=Path, help="also write every run's raw result to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)


def chosen_cases(parser: argparse.ArgumentParser, args, cases) -> list:
    """--cases as a list of known cases (a parser error names the unknown ones); --repeat ≥ 1."""
    chosen = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in cases]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(cases)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return chosen


def run_rounds(cases: list, repeat: int, run, check, describe) -> dict:
    """Every case `repeat` times, round-robin (`run(case)`: one run in a fresh process). A run's
    result becomes an error when `check(case, result)` names one; each run is printed as
    `describe(result)`. Returns {case: [result of each run]}."""
    width = max(len(case) for case in cases)
    runs: dict = {case: [] for case in cases}
    for i in range(repeat):
        for case in cases:
            r = run(case)
            problem = None if "error" in r else check(case, r)
            if problem:
                r = {"error": problem}
            runs[case].append(r)
            said = f"FAILED: {r['error']}" if "error" in r else describe(r)
            print(f"  run {i + 1}/{repeat} {case:{width}s} {said}", file=sys.stderr, flush=True)
    return runs


def _parse(out: str, err: str, returncode: int) -> dict:
    if returncode != 0:
        lines = err.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit status {returncode}"}
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"no result in output: {out[-200:]!r}"}


def warm_page_cache(directory: Path) -> None:
    for path in sorted(directory.glob("*.parquet")):
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            mem_kib = int(f.readline().split()[1])
        mem = f"{mem_kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        mem = "RAM unknown"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores, {mem}, {platform.system()} {platform.release()}"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}×"


def render(results: dict, args, directory: Path, table_bytes: int, command: str) -> str:
    lines = []
    lines.append(f"Command: `{command}`")
    lines.append("")
    lines.append(
        f"- table: {args.rows:,} rows × {NUM_COLUMNS} columns (16 float32, 4 int64, 1 string, "
        f"1 int32) in {args.files} Parquet files, snappy, {reference.ROW_GROUP_SIZE:,}-row groups, "
        f"{table_bytes / 2**20:,.0f} MiB on disk, warm page cache; its fixed-width columns alone take "
        f"{args.rows * FIXED_WIDTH_BYTES_PER_ROW / 2**20:,.0f} MiB in memory"
    )
    lines.append(f"- machine: {machine_description()}")
    lines.append(
        f"- python {platform.python_version()}; sluice {version('sluice')}, "
        f"pyarrow {version('pyarrow')}, pandas {version('pandas')}, polars {version('polars')}, "
        f"duckdb {version('duckdb')}, numpy {version('numpy')}"
    )
    lines.append(
        f"- each case in a fresh process, median of {args.repeat} run(s); every tool at its "
        f"default thread count; peak RSS = the process's ru_maxrss, interpreter and imports included"
    )
    for group, title in GROUP_TITLES.items():
        names = [n for n in args.cases if CASES[n][0] == group]
        if not names:
            continue
        baseline = next(iter({CASES[n][1] for n in names}))
        base = results.get(baseline, {})
        lines.append("")
        lines.append(f"### {title}")
        lines.append("")
        lines.append(
            f"| case | what runs | rows/s | seconds (min–max) | speed vs {baseline} "
            f"| peak RSS MiB | RSS vs {baseline} | RSS after imports MiB |"
        )
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
        for name in names:
            r = results.get(name, {})
            what = CASES[name][2]
            if "error" in r:
                error = r["error"].replace("|", "\\|")
                lines.append(f"| {name} | `{what}` | failed: {error} | | | | | |")
                continue
            speed = f"{r['rows_per_s']:,.0f}"
            secs = f"{r['seconds']:.3f} ({r['seconds_min']:.3f}–{r['seconds_max']:.3f})"
            rss = f"{r['peak_rss_mib']:,.0f}"
            rss0 = f"{r['rss_imports_mib']:,.0f}"
            if "error" in base or not base:
                vs_speed = vs_rss = "–"
            else:
                vs_speed = fmt_ratio(r["rows_per_s"] / base["rows_per_s"])
                vs_rss = fmt_ratio(r["peak_rss_mib"] / base["peak_rss_mib"])
            lines.append(f"| {name} | `{what}` | {speed} | {secs} | {vs_speed} | {rss} | {vs_rss} | {rss0} |")
    lines.append("")
    lines.append("speed vs X > 1 means faster than X; RSS vs X < 1 means less memory than X.")
    return "\n".join(lines) + "\n"


def main() -> int:
    sys.path.insert(0, str(BENCH_DIR))
    global reference
    import make_reference_table as reference

    assert len(reference.schema()) == NUM_COLUMNS
    assert (reference.DEFAULT_ROWS, reference.DEFAULT_FILES) == (DEFAULT_ROWS, DEFAULT_FILES)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(parser, CASES, DEFAULT_ROWS, DEFAULT_FILES, timeout=600)
    args = parser.parse_args()

    if args.child:
        child(args.child, str(args.data))
        return 0
    args.cases = chosen_cases(parser, args, CASES)

    directory = (args.data or reference.default_dir(args.rows)).resolve()
    reference.ensure_reference_table(directory, args.rows, args.files)
    warm_page_cache(directory)
    table_bytes = sum(p.stat().st_size for p in directory.glob("*.parquet"))

    runs = run_rounds(
        args.cases,
        args.repeat,
        lambda name: run_child(name, directory, args.timeout),
        check=lambda name, r: (
            None
            if (r["rows"], r["columns"]) == (args.rows, NUM_COLUMNS)
            else f"wrong shape: {r['rows']:,} rows × {r['columns']} columns"
        ),
        describe=lambda r: (
            f"{r['seconds']:7.3f} s {args.rows / r['seconds']:>14,.0f} rows/s  "
            f"peak RSS {r['peak_rss_kib'] / 1024:7,.0f} MiB"
        ),
    )

    results = {name: summarize(rs, args.rows) for name, rs in runs.items()}

    command = " ".join(["python bench/bench_pandas.py"] + sys.argv[1:])
    return publish(render(results, args, directory, table_bytes, command), args, runs, results)


if __name__ == "__main__":
    sys.exit(main())

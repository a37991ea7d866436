"""A full pass over the reference table from Java and from Python, in rows/s.

    .venv/bin/python bench/bench_java.py [--dir bench/data/reference] [--batch-size 1024] [--repeats 3]

Both sides do the same work: open a connector on the table, read it once with
`batch_size`, and import every batch (Arrow Java vectors through the C Data Interface
in Java; pyarrow record batches in Python), touching no values. Each run is a fresh
process; the clock starts after the library is loaded and stops after the last batch.
The best of `repeats` runs is reported for each side, then the Java / Python ratio.
Each process makes two passes: the first (a fresh process, the number that counts)
and a second in the same process, which shows Java once its JIT has warmed up.

Python's clock starts after `import sluice`, which imports pyarrow; `java` starts its
clock before Arrow Java's classes are loaded (Schema's static Jackson mappers alone take
a second or more in a fresh JVM). `java-preloaded` loads them first, as Python does.

`java-ipc-preloaded` is the floor under the Java side: Arrow Java alone reading the
same batches from an Arrow IPC file (written once from sluice's batches, next to the
table as DIR-ipc-BATCH_SIZE.arrow), with no decoding, no sluice and no C Data import:
what a fresh JVM costs to load that many batches into a VectorSchemaRoot.

Next to the time, each pass reports its CPU time: the whole process's (decoding
threads, JIT compilers and GC included) and the importing thread's. On a shared
machine the CPU times move much less than the wall-clock times.

`java-c1` is `java` with `-XX:TieredStopAtLevel=1` (no C2 compiler): how much of a fresh
JVM's first pass is the JIT's own compiling, a JVM setting and not sluice's code.

`--also NAME=CLASSES` adds the cases NAME and NAME-preloaded: the same Java run with the
classes in CLASSES first on the classpath (another build of dev.sluice classes: before and
after a change in one interleaved run).

Builds the Java binding first (mvn package in bindings/java, with target/release/libsluice.so)
and compiles bench/java with javac (java's source-file mode would run javac inside the
timed JVM); the Python side uses the same library through SLUICE_LIBRARY.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JAVA_DIR = ROOT / "bindings" / "java"
BENCH_CLASSES = JAVA_DIR / "target" / "bench-classes"

PYTHON_PASS = """
import json, sys, time
import sluice
source, batch_size, passes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for _ in range(passes):
    rows = batches = 0
    first_batch = 0.0
    start, cpu, main_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    with sluice.DataConnector.from_sources([source]).to_arrow(batch_size=batch_size) as reader:
        for batch in reader:
            rows += batch.num_rows
            if batches == 0:
                first_batch = time.perf_counter() - start
            batches += 1
    print(json.dumps({"rows": rows, "batches": batches, "seconds": time.perf_counter() - start,
                      "first_batch": first_batch, "cpu": time.process_time() - cpu,
                      "main_cpu": time.thread_time() - main_cpu}))
"""
WRITE_IPC = """
import sys
import pyarrow as pa
import sluice
source, batch_size, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with sluice.DataConnector.from_sources([source]).to_arrow(batch_size=batch_size) as reader:
    with pa.OSFile(path + ".tmp", "wb") as sink, pa.ipc.new_file(sink, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
"""
PASSES = 2


def library():
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return (target if target.is_absolute() else ROOT / target) / "release" / "libsluice.so"


def build_java():
    subprocess.run(
        [
            "mvn",
            "-B",
            "-q",
            "-Dstyle.color=never",
            f"-Dsluice.native.library={library()}",
            "-DskipTests",
            "package",
            "dependency:build-classpath",
            "-Dmdep.outputFile=target/classpath.txt",
            "-Dmdep.includeScope=runtime",
        ],
        cwd=JAVA_DIR,
        check=True,
    )
    jar = next((JAVA_DIR / "target").glob("sluice-*.jar"))
    classpath = f"{jar}:{(JAVA_DIR / 'target' / 'classpath.txt').read_text().strip()}"
    sources = sorted(str(p) for p in (ROOT / "bench" / "java").glob("*.java"))
    subprocess.run(["javac", "-cp", classpath, "-d", str(BENCH_CLASSES), *sources], check=True)
    return f"{BENCH_CLASSES}:{classpath}"


def ipc_file(source, batch_size, env):
    """The table's batches as an Arrow IPC file, written by pyarrow from sluice's batches once."""
    path = Path(f"{source.rstrip('/')}-ipc-{batch_size}.arrow")
    if not path.exists():
        subprocess.run([sys.executable, "-c", WRITE_IPC, source, str(batch_size), str(path)], check=True, env=env)
        os.replace(f"{path}.tmp", path)
    return path


def run(command, env=None):
    """The JSON line of each pass the process printed."""
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default=str(ROOT / "bench" / "data" / "reference"))
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-ipc", action="store_true", help="skip the floor case and its file")
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="NAME=CLASSES",
        help="extra Java cases with CLASSES first on the classpath (e.g. the classes before a change)",
    )
    args = parser.parse_args()
    if not Path(args.dir).is_dir():
        sys.exit(f"{args.dir} not found: make it with .venv/bin/python bench/make_reference_table.py")

    classpath = build_java()
    python_env = dict(os.environ, SLUICE_LIBRARY=str(library()))
    jvm = ["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-cp", classpath]
    preloaded = jvm[:2] + ["-Dbench.preload=true"] + jvm[2:]
    full_pass = ["BenchFullPass", args.dir, str(args.batch_size), str(PASSES)]
    cases = {
        "java": (jvm + full_pass, None),
        "java-preloaded": (preloaded + full_pass, None),
        "java-c1": (jvm[:2] + ["-XX:TieredStopAtLevel=1"] + jvm[2:] + full_pass, None),
        "python": ([sys.executable, "-c", PYTHON_PASS, args.dir, str(args.batch_size), str(PASSES)], python_env),
    }
    for also in args.also:
        name, _, classes = also.partition("=")
        extra = ["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-cp", f"{classes}:{classpath}"]
        cases[name] = (extra + full_pass, None)
        cases[f"{name}-preloaded"] = (extra[:2] + ["-Dbench.preload=true"] + extra[2:] + full_pass, None)
    if not args.no_ipc:
        ipc = ipc_file(args.dir, args.batch_size, python_env)
        cases["java-ipc-preloaded"] = (preloaded + ["BenchIpcPass", str(ipc), str(PASSES)], None)

    results = {(side, p): [] for side in cases for p in range(PASSES)}
    for _ in range(args.repeats):  # round-robin, so machine noise hits every case alike
        for side, (command, env) in cases.items():
            for p, result in enumerate(run(command, env)):
                results[(side, p)].append(result)

    best = {}
    for (side, p), runs in results.items():
        rows = {r["rows"] for r in runs}
        assert len(rows) == 1, f"{side}: runs disagree on the row count: {rows}"
        fastest = min(runs, key=lambda r: r["seconds"])
        best[(side, p)] = fastest["rows"] / fastest["seconds"]
        label = f"{side} pass {p + 1}" + (" (fresh process)" if p == 0 else " (same process)")
        times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        cpu = min(r["cpu"] for r in runs)
        main_cpu = min(r["main_cpu"] for r in runs)
        first = min(r["first_batch"] for r in runs)
        jit = f", JIT threads {min(r['jit_cpu'] for r in runs):.2f} s" if "jit_cpu" in runs[0] else ""
        print(
            f"{label:32s} {fastest['rows']:>10,d} rows {fastest['batches']:>6,d} batches  "
            f"best {fastest['seconds']:.2f} s ({times})  {best[(side, p)] / 1e6:6.2f} M rows/s  "
            f"least of the runs: CPU {cpu:.2f} s, importing thread {main_cpu:.2f} s{jit}, first batch {first:.3f} s"
        )
    assert len({runs[0]["rows"] for runs in results.values()}) == 1, "the cases read different row counts"
    for p in range(PASSES):
        ratios = ", ".join(f"{side} {best[(side, p)] / best[('python', p)]:.2f}x" for side in cases if side != "python")
        print(f"pass {p + 1} / python's: {ratios}  (batch_size={args.batch_size})")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Builds the Java binding, writes a sample Parquet table and prints its per-column sums
# with examples/java/ColumnSums.java, then pyarrow's sums of the same table to compare.
#
#   examples/java/run.sh [DIR]      DIR defaults to bindings/java/target/example-data
#
# Needs what tools/test-java needs: target/release/libsluice.so (tools/setup), a JDK 17,
# Maven, a C compiler and .venv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${1:-$ROOT/bindings/java/target/example-data}"
LIB="${CARGO_TARGET_DIR:-$ROOT/target}/release/libsluice.so"

cd "$ROOT/bindings/java"
mvn -B -q -Dstyle.color=never -Dsluice.native.library="$LIB" -DskipTests package \
    dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
CLASSPATH="$ROOT/bindings/java/target/sluice-0.1.0.jar:$(cat target/classpath.txt)"

"$ROOT/.venv/bin/python" "$ROOT/examples/java/make_table.py" "$DIR"
java --add-opens=java.base/java.nio=ALL-UNNAMED -cp "$CLASSPATH" "$ROOT/examples/java/ColumnSums.java" "$DIR"
echo "pyarrow, for comparison:"
"$ROOT/.venv/bin/python" "$ROOT/examples/java/make_table.py" "$DIR" --print-sums

#!/usr/bin/env bash
# Builds the JNI glue and puts it, with a copy of libsluice, where the jar takes
# its native libraries from. Run by Maven (exec-maven-plugin, process-classes):
#
#   build.sh JAVA_HOME JNI_HEADER_DIR SLUICE_INCLUDE_DIR LIBSLUICE OUT_DIR
#
# The glue opens libsluice with dlopen, so it needs only sluice.h to build.
set -euo pipefail

java_home=$1 jni_headers=$2 sluice_include=$3 libsluice=$4 out=$5
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ ! -f $libsluice ]]; then
    echo "sluice-java: $libsluice not found: build it with tools/setup (cargo build --release)," >&2
    echo "sluice-java: or pass -Dsluice.native.library=/path/to/libsluice.so" >&2
    exit 1
fi
if [[ ! -f $java_home/include/jni.h ]]; then
    echo "sluice-java: no jni.h under $java_home/include: Maven must run on a JDK, not a JRE" >&2
    exit 1
fi

mkdir -p "$out"
${CC:-cc} -std=c11 -O2 -g -fPIC -shared \
    -Wall -Wextra -Wpedantic -Werror -fvisibility=hidden \
    -I"$java_home/include" -I"$java_home/include/linux" -I"$sluice_include" -I"$jni_headers" \
    "$here/sluice_jni.c" -o "$out/libsluice_jni.so.tmp" -ldl -Wl,--no-undefined
mv -f "$out/libsluice_jni.so.tmp" "$out/libsluice_jni.so"
cp -f "$libsluice" "$out/libsluice.so"

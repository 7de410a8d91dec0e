#!/usr/bin/env bash
# A real shunt under mixed load with faults for a while, judged for leaks:
#   bash scripts/soak.sh SECONDS OUTDIR [UDP_FLOWS]      e.g. scripts/soak.sh 1800 /tmp/soak
# Builds the sanitizer build's shunt and shunt_soak (build/asan; another build with
# SHUNT_BUILD=build/release), runs the soak (tests/soak/soak_main.cpp says what it does),
# and leaves OUTDIR/soak.csv (a row every 10 s), OUTDIR/soak.png (its plot), OUTDIR/shunt.log
# and OUTDIR/soak.out. The last line is the soak's:
#   RESULT ok=1 rss_growth_pct=... fd_growth_pct=... transfers=... corrupted=0 ...
# Exit status 0 only when ok=1. Needs root and scripts/setup.sh's packages.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:?usage: scripts/soak.sh SECONDS OUTDIR [UDP_FLOWS]}
outdir=${2:?usage: scripts/soak.sh SECONDS OUTDIR [UDP_FLOWS]}
flows=${3:-10000}
case "$seconds" in '' | *[!0-9]*) echo "soak.sh: SECONDS must be a whole number" >&2; exit 2 ;; esac
build=${SHUNT_BUILD:-build/asan}

export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
if [ ! -f "$build/build.ninja" ]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSHUNT_SANITIZE=ON >/dev/null
fi
ninja -C "$build" shunt shunt_soak >/dev/null

mkdir -p "$outdir"
# ASan's quarantine holds freed memory back from reuse (256 MB by default): a smaller one
# fills during the warm-up, so the soak's RSS measures shunt rather than the quarantine.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:quarantine_size_mb=32"
status=0
"$build/tests/shunt_soak" "$seconds" "$outdir" "$flows" 2>&1 | tee "$outdir/soak.out" || status=$?
tail -n 1 "$outdir/soak.out" | grep -q '^RESULT ok=1 ' || status=1
exit "$status"

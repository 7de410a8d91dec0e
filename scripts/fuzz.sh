#!/usr/bin/env bash
# Runs one libFuzzer target for a while, keeping what it learns:
#   bash scripts/fuzz.sh TARGET MINUTES        e.g. scripts/fuzz.sh fuzz_rules 10
# Builds the target (clang, ASan + UBSan, in build/fuzz), grows a corpus that stays in
# build/fuzz/corpus/TARGET (seeded from tests/fuzz/corpus/NAME), and ends with one line:
#   RESULT target=... seconds=... execs=... execs_per_s=... cov=... ft=... corpus=... crashes=...
# What it finds (crash-*, leak-*, timeout-*, oom-*; slow-unit-* apart) is in build/fuzz/artifacts/TARGET/;
# replay one with build/fuzz/tests/fuzz/TARGET FILE. Needs scripts/setup.sh's packages.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target=${1:?usage: scripts/fuzz.sh TARGET MINUTES}
minutes=${2:?usage: scripts/fuzz.sh TARGET MINUTES}
case "$minutes" in '' | *[!0-9]* | 0) echo "fuzz.sh: MINUTES must be a whole number above 0" >&2; exit 2 ;; esac
name=${target#fuzz_}
[ -f "tests/fuzz/${name}_fuzz.cpp" ] || { echo "fuzz.sh: no tests/fuzz/${name}_fuzz.cpp" >&2; exit 2; }

export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSHUNT_FUZZ=ON -DSHUNT_TESTS=OFF -DSHUNT_BENCH=OFF >/dev/null
ninja -C build/fuzz "$target" >/dev/null

corpus="$root/build/fuzz/corpus/$target"
artifacts="$root/build/fuzz/artifacts/$target"
mkdir -p "$corpus" "$artifacts"
if [ -d "tests/fuzz/corpus/$name" ]; then cp -r "tests/fuzz/corpus/$name/." "$corpus/"; fi
touch "$artifacts/.run-started"
log=$(mktemp)
seconds=$((minutes * 60))
status=0
(cd "$corpus" && "$root/build/fuzz/tests/fuzz/$target" -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus") >"$log" 2>&1 || status=$?
tail -n 20 "$log"
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
# Findings: crashes, leaks, timeouts, out-of-memory. A slow-unit-* file only says an input
# once took over 10 s, which a starved run (a busy machine) also produces: listed apart.
found=$(find "$artifacts" -maxdepth 1 -type f -newer "$artifacts/.run-started" \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
slow=$(find "$artifacts" -maxdepth 1 -type f -newer "$artifacts/.run-started" -name 'slow-unit-*' |
    wc -l)
rm -f "$log"
echo "RESULT target=$target seconds=$seconds execs=${execs:-0}" \
    "execs_per_s=$(( ${execs:-0} / seconds )) cov=${cov:-0} ft=${ft:-0}" \
    "corpus=$(find "$corpus" -type f | wc -l) crashes=$found slow_units=$slow"
[ "$status" -eq 0 ] && [ "$found" -eq 0 ]

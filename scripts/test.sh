#!/usr/bin/env bash
# Installs what is missing, builds shunt and runs every test:
#   1. unit and integration tests (GoogleTest via ctest) in a Debug build with
#      AddressSanitizer + UndefinedBehaviorSanitizer; integration tests start real
#      programs (unbound, dnsdist, dig, shunt) on loopback and need root;
#   2. the tests of the thread hand-offs (the DNS answer thread, EventLoopThread) in a
#      ThreadSanitizer build of just the layers they need;
#   3. the soak: a real shunt (the sanitizer build) under mixed load with faults for
#      120 s, judged for leaks and lost bytes (scripts/soak.sh; OUTDIR build/soak);
#   4. the libFuzzer targets (clang), 60 s each, run side by side.
# Usage: bash scripts/test.sh            (as root, on Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash scripts/setup.sh

# ccache keys on paths relative to the checkout, so a fresh clone elsewhere (CI) reuses
# what an earlier build compiled.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true

echo "== build (Debug, ASan+UBSan)"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSHUNT_SANITIZE=ON >/dev/null
ninja -C build/asan

echo "== tests"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j2 --timeout 600)

echo "== thread hand-offs (ThreadSanitizer)"
cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSHUNT_TSAN=ON -DSHUNT_BENCH=OFF \
    >/dev/null
ninja -C build/tsan shunt_tsan_tests
(cd build/tsan/tests && TSAN_OPTIONS=halt_on_error=1 ./shunt_tsan_tests --gtest_brief=1)

echo "== soak (120 s)"
bash scripts/soak.sh "${SHUNT_SOAK_SECONDS:-120}" build/soak | grep -v '^\[' | tail -n 40

echo "== fuzz (libFuzzer, clang)"
CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSHUNT_FUZZ=ON -DSHUNT_TESTS=OFF -DSHUNT_BENCH=OFF >/dev/null
targets="fuzz_dns_query fuzz_mux_frame fuzz_mux_server fuzz_api_request fuzz_rules fuzz_config_check fuzz_fake_ip_store fuzz_dns_answer fuzz_socks5_client fuzz_tun_packets"
ninja -C build/fuzz $targets
fuzz_seconds=${SHUNT_FUZZ_SECONDS:-60}
# The targets run side by side (one core each), so fuzzing costs fuzz_seconds in all
# however many targets there are.
# The corpus grows in a temporary folder; what libFuzzer finds (crash-*, leak-*, timeout-*)
# goes to build/fuzz/artifacts/TARGET/, kept and printed so a failure can be replayed:
#   build/fuzz/tests/fuzz/TARGET build/fuzz/artifacts/TARGET/crash-...
declare -A pids corpora
for target in $targets; do
    corpus=$(mktemp -d)
    seeds="$root/tests/fuzz/corpus/${target#fuzz_}"
    [ -d "$seeds" ] && cp -r "$seeds/." "$corpus/"
    artifacts="$root/build/fuzz/artifacts/$target"
    mkdir -p "$artifacts"
    touch "$artifacts/.run-started"  # reproducers of earlier runs stay, unprinted
    echo "-- $target for ${fuzz_seconds}s"
    (cd "$corpus" && exec "$root/build/fuzz/tests/fuzz/$target" -max_total_time="$fuzz_seconds" \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$corpus.log" 2>&1) &
    pids[$target]=$!
    corpora[$target]=$corpus
done
failed=0
for target in $targets; do
    corpus=${corpora[$target]}
    status=0
    wait "${pids[$target]}" || status=$?
    echo "-- $target:"
    tail -n 12 "$corpus.log"
    rm -rf "$corpus" "$corpus.log"
    artifacts="$root/build/fuzz/artifacts/$target"
    for artifact in $(find "$artifacts" -maxdepth 1 -type f -newer "$artifacts/.run-started"); do
        echo "-- $target reproducer: $artifact (replay: build/fuzz/tests/fuzz/$target $artifact)"
        od -A x -t x1z -v "$artifact" | head -n 64
    done
    [ "$status" -eq 0 ] || { echo "$target failed (exit $status)" >&2; failed=1; }
done
[ "$failed" -eq 0 ] || exit 1
echo "== all tests passed"

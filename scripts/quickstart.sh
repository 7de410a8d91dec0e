#!/usr/bin/env bash
# Installs what is missing, builds shunt (Release) and runs it on
# examples/quickstart.toml. Usage, as root on Debian 12: bash scripts/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSHUNT_TESTS=OFF >/dev/null
ninja -C build/release shunt
exec ./build/release/shunt run -c examples/quickstart.toml

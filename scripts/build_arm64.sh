#!/usr/bin/env bash
# Cross-builds shunt for aarch64 (64-bit ARM routers) on Debian 12 and runs its unit tests
# under qemu-user; with --static, also the one fully static binary a router user copies
# over (-DSHUNT_STATIC=ON). Installs what is missing: crossbuild-essential-arm64, qemu-user
# and the :arm64 -dev packages through multiarch, beside the amd64 ones.
# Usage, as root: bash scripts/build_arm64.sh [--static]
set -euo pipefail
cd "$(dirname "$0")/.."
static=0
[ "${1:-}" = "--static" ] && static=1

bash scripts/setup.sh >/dev/null
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    apt-get update -q
fi
packages=(crossbuild-essential-arm64 qemu-user
    libboost1.81-dev:arm64 libboost-json1.81-dev:arm64 libboost-system1.81-dev:arm64
    libboost-url1.81-dev:arm64 libssl-dev:arm64 libldns-dev:arm64 libtomlplusplus-dev:arm64
    libspdlog-dev:arm64 libfmt-dev:arm64 libgtest-dev:arm64 libgmock-dev:arm64
    libmaxminddb-dev:arm64 libsystemd-dev:arm64 libbpf-dev:arm64 libelf-dev:arm64
    zlib1g-dev:arm64 libre2-dev:arm64)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    # libldns-dev:arm64 ships a documentation file that differs from the amd64 package's,
    # which dpkg refuses to share; the documentation is not needed to build.
    apt-get install -y -q --no-install-recommends \
        -o 'Dpkg::Options::=--path-exclude=/usr/share/doc/libldns-dev/*' "${missing[@]}"
fi

export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
toolchain=cmake/toolchain-aarch64-linux-gnu.cmake
cmake -S . -B build/arm64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=$toolchain \
    -DCMAKE_BUILD_TYPE=Release -DSHUNT_BENCH=OFF >/dev/null
ninja -C build/arm64 shunt shunt_unit_tests
# qemu-user translates most system calls but not SO_MARK (ENOPROTOOPT) nor the netlink
# sock_diag family: the tests of the routing mark and of socket owners (PROCESS rules)
# cannot pass under it. They run natively in the amd64 suite.
needs_kernel='SocketOptions\.(RoutingMark|BadDescriptorMark)|HappyEyeballsDialer\.WinningSocketHasRoutingMark'
needs_kernel+='|DirectUdpSocket\.CarriesTheRoutingMark|UdpFlowRouterTest\.AnIpRuleIsDecided'
needs_kernel+='|ProcessCache\.|SocketOwner\.'
(cd build/arm64 && ctest -L unit -E "$needs_kernel" -j2 --output-on-failure --timeout 300)
qemu-aarch64 build/arm64/shunt version

if [ $static -eq 1 ]; then
    cmake -S . -B build/arm64-static -G Ninja -DCMAKE_TOOLCHAIN_FILE=$toolchain \
        -DCMAKE_BUILD_TYPE=Release -DSHUNT_STATIC=ON -DSHUNT_TESTS=OFF -DSHUNT_BENCH=OFF >/dev/null
    ninja -C build/arm64-static shunt
    aarch64-linux-gnu-strip -o build/arm64-static/shunt.stripped build/arm64-static/shunt
    qemu-aarch64 build/arm64-static/shunt.stripped version
    file build/arm64-static/shunt.stripped
    echo "arm64 static, stripped: $(stat -c %s build/arm64-static/shunt.stripped) bytes"
fi

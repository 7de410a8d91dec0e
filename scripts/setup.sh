#!/usr/bin/env bash
# Installs everything shunt builds and tests with, from Debian 12's own packages.
# Idempotent: packages already present are skipped, the deb-src entry is written once.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: run as root (it installs Debian packages)" >&2
    exit 1
fi

packages=(
    # build
    build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev dpkg-dev patch
    # libraries (DESIGN.md: Debian packages only)
    libboost1.81-dev libboost-json1.81-dev libboost-system1.81-dev libboost-url1.81-dev
    libssl-dev libldns-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
    libgtest-dev libgmock-dev libbenchmark-dev libmaxminddb-dev libsystemd-dev libre2-dev
    # the eBPF bypass: clang compiles the program (-target bpf), bpftool embeds it
    libbpf-dev bpftool
    # real peers used by the tests and benchmarks
    unbound dnsmasq dnsdist dnsutils ldnsutils dnsperf iproute2 openssl procps psmisc
    dbus-daemon util-linux libcap2-bin
    # packaging checks: the OpenWrt init script, the .deb under a real systemd as PID 1
    # (a Debian 12 root made by debootstrap, booted by systemd-nspawn)
    shellcheck debootstrap systemd-container
    tor-geoipdb publicsuffix libmaxmind-db-writer-perl iputils-ping
    # end-to-end tests and the netstack benchmark (web target, UDP peer, SOCKS servers)
    nginx-light socat iperf3 curl dante-server microsocks
    # faults: shunt's wall clock stepped (libfaketime), an immutable store file (chattr);
    # the soak's plot
    faketime e2fsprogs gnuplot-nox
    # the control API's WebSocket client, and the browser the dashboard is tested in
    python3-websockets chromium
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# lwIP is built from Debian's source package: make sure apt knows deb-src entries,
# derived from the machine's own sources (no host is named here).
src_list=/etc/apt/sources.list.d/shunt-deb-src.sources
need_update=0
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$src_list"
    elif [ -f /etc/apt/sources.list ]; then
        grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
            >/etc/apt/sources.list.d/shunt-deb-src.list
    fi
    need_update=1
fi

if [ ${#missing[@]} -gt 0 ] || [ $need_update -eq 1 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup.sh: installing ${missing[*]}"
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
fi

# Debian starts some of these daemons on install; the tests start their own copies
# on their own ports, so the system instances are not needed.
for svc in unbound dnsmasq dnsdist nginx danted; do
    if pgrep -x "$svc" >/dev/null 2>&1 && [ -x "/etc/init.d/$svc" ]; then
        "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
done
# systemd-resolved for the system-DNS tests, unpacked rather than installed: installing it
# would take over this machine's /etc/resolv.conf. The tests run it on a bus of their own
# (tests/support/resolved_sandbox.hpp). Its version must be libsystemd-shared's, which it
# links against.
resolved_cache=/var/cache/shunt-tests/systemd-resolved
resolved_version=$(dpkg-query -W -f='${Version}' libsystemd-shared)
if [ ! -x "$resolved_cache/$resolved_version/lib/systemd/systemd-resolved" ]; then
    download=$(mktemp -d)
    (cd "$download" && apt-get download -q -o APT::Sandbox::User=root \
        "systemd-resolved=$resolved_version" >/dev/null)
    mkdir -p "$resolved_cache/$resolved_version"
    dpkg-deb -x "$download"/systemd-resolved_*.deb "$resolved_cache/$resolved_version"
    rm -rf "$download"
fi
ln -sfn "$resolved_version" "$resolved_cache/current"

# The dashboard's browser test drives chromium with puppeteer-core from the npm registry
# (tests/browser/package-lock.json pins it). Debian's nodejs unless a node is installed.
if ! command -v npm >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm
fi
browser_tests="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if [ ! -d "$browser_tests/node_modules/puppeteer-core" ]; then
    (cd "$browser_tests" && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "setup.sh: dependencies present"

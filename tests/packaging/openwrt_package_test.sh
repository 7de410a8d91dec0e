#!/usr/bin/env bash
# Checks the OpenWrt feed package in packaging/openwrt/shunt without an OpenWrt SDK:
#   - the procd init script and the uci-defaults script pass `shellcheck -s sh`
#     (OpenWrt runs them with busybox ash);
#   - the package Makefile declares what an OpenWrt CMake package needs, and every
#     file it installs or reads exists;
#   - the shipped /etc/shunt/config.toml passes `shunt check` with the shunt built here.
#
# Usage: tests/packaging/openwrt_package_test.sh PATH/TO/shunt
# Exit status 0 when every check passes; otherwise 1, each failure named on stderr.
set -u

shunt=${1:-}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pkg="$root/packaging/openwrt/shunt"
makefile="$pkg/Makefile"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# ---- shell scripts ----
if ! command -v shellcheck >/dev/null 2>&1; then
    fail "shellcheck is not installed, so the init scripts cannot be checked" \
         "(Debian: apt-get install shellcheck)"
else
    for script in "$pkg/files/shunt.init" "$pkg/files/shunt.uci-defaults"; do
        if [[ ! -f $script ]]; then
            fail "missing ${script#"$root"/}"
        elif output=$(shellcheck -s sh "$script" 2>&1); then
            pass "shellcheck -s sh ${script#"$root"/}"
        else
            fail "shellcheck -s sh ${script#"$root"/}:"$'\n'"$output"
        fi
    done
fi

# ---- the package Makefile ----
if [[ ! -f $makefile ]]; then
    fail "missing ${makefile#"$root"/}"
else
    # Lines joined where they end in a backslash, so DEPENDS:= is one line.
    joined=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$makefile")

    expect() {  # expect DESCRIPTION EXTENDED-REGEX
        if grep -Eq -- "$2" <<<"$joined"; then pass "Makefile: $1"; else fail "Makefile: $1 (no line matches /$2/)"; fi
    }
    expect "includes rules.mk" '^include \$\(TOPDIR\)/rules\.mk'
    expect "includes package.mk" '^include \$\(INCLUDE_DIR\)/package\.mk'
    expect "includes cmake.mk" '^include \$\(INCLUDE_DIR\)/cmake\.mk'
    expect "PKG_NAME:=shunt" '^PKG_NAME:=shunt$'
    expect "PKG_VERSION" '^PKG_VERSION:=[0-9]+\.[0-9]+\.[0-9]+'
    expect "PKG_RELEASE" '^PKG_RELEASE:='
    expect "git source" '^PKG_SOURCE_PROTO:=git'
    expect "define Package/shunt" '^define Package/shunt$'
    expect "define Package/shunt/install" '^define Package/shunt/install$'
    expect "define Package/shunt/conffiles" '^define Package/shunt/conffiles$'
    expect "define Download/lwip" '^define Download/lwip$'
    expect "SHUNT_LWIP_SOURCE passed to CMake" '-DSHUNT_LWIP_SOURCE='
    expect "SHUNT_TESTS=OFF" '-DSHUNT_TESTS=OFF'
    expect "SHUNT_BENCH=OFF" '-DSHUNT_BENCH=OFF'
    expect "the BPF toolchain (bpf.mk)" '^include \$\(INCLUDE_DIR\)/bpf\.mk$'
    expect "the program's byte order passed to CMake" '-DSHUNT_BPF_TARGET=\$\(BPF_TARGET\)'
    expect "bpftool for the host" '^PKG_BUILD_DEPENDS:=.*bpftool/host'
    expect "BuildPackage" '^\$\(eval \$\(call BuildPackage,shunt\)\)'
    expect "installs /usr/bin/shunt" 'INSTALL_BIN\).*/shunt \$\(1\)/usr/bin/shunt'
    expect "installs /etc/init.d/shunt" 'INSTALL_BIN\) \./files/shunt\.init \$\(1\)/etc/init\.d/shunt'
    expect "installs /etc/shunt/config.toml" '\./files/config\.toml \$\(1\)/etc/shunt/config\.toml'

    depends=$(grep -E '^[[:space:]]*DEPENDS:=' <<<"$joined")
    for dep in +boost +boost-system +boost-json +libopenssl +libldns +libmaxminddb +re2 \
               +libstdcpp +kmod-tun +libbpf +kmod-sched-bpf; do
        if grep -Eq -- "(^|[[:space:]=])\\${dep}([[:space:]]|$)" <<<"$depends"; then
            pass "DEPENDS has $dep"
        else
            fail "DEPENDS lacks $dep (DEPENDS line: ${depends:-none})"
        fi
    done

    conffiles=$(sed -n '/^define Package\/shunt\/conffiles$/,/^endef$/p' "$makefile")
    if grep -qx '/etc/shunt/config.toml' <<<"$conffiles"; then
        pass "conffiles lists /etc/shunt/config.toml"
    else
        fail "conffiles does not list /etc/shunt/config.toml"
    fi

    # Every ./files/... and ./shims/... the Makefile names is in the package directory.
    while read -r ref; do
        if [[ -f $pkg/${ref#./} ]]; then pass "exists: $ref"; else fail "Makefile names $ref, which does not exist"; fi
    done < <(grep -oE '\./(files|shims)/[A-Za-z0-9._+-]+' "$makefile" | sort -u)
fi

# ---- the shipped config ----
config="$pkg/files/config.toml"
if [[ -z $shunt ]]; then
    fail "no shunt binary given (usage: $0 PATH/TO/shunt)"
elif [[ ! -x $shunt ]]; then
    fail "$shunt is not an executable shunt binary"
elif output=$("$shunt" check -c "$config" 2>&1); then
    pass "shunt check -c ${config#"$root"/}"
else
    fail "shunt check -c ${config#"$root"/} reports:"$'\n'"$output"
fi

echo "openwrt package: $passed passed, $failed failed"
[[ $failed -eq 0 ]]

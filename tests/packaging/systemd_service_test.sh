#!/usr/bin/env bash
# The Debian package and its systemd unit under a real systemd as PID 1: a Debian 12 root
# (scripts/systemd_root.sh: debootstrap, cached) booted in namespaces of its own, the .deb
# that CPack makes of BUILD_DIR installed there with dpkg, then what a user does with it:
#   - systemd-analyze verify on the installed unit;
#   - systemctl start returns only once shunt is READY: the device and DNS answer at once;
#   - systemctl reload waits for the reload and a changed rule is in force when it returns;
#   - kill -9: Restart= brings shunt back, with the same fake addresses (the pool on disk);
#   - systemctl stop leaves no device, route, rule, process, and resolv.conf as it was;
#   - dpkg -r keeps the conffile, dpkg -P removes it and the state.
# Usage: systemd_service_test.sh BUILD_DIR   (root; shunt and its man pages built there)
set -euo pipefail

build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
root_script="$src/scripts/systemd_root.sh"
name="svc$$"
work=$(mktemp -d)
cleanup() {
    "$root_script" stop "$name" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

inside() { "$root_script" exec "$name" "$@"; }
fail() {
    echo "FAIL: $*"
    echo "--- journal of shunt.service:"
    inside journalctl -u shunt --no-pager -n 60 2>/dev/null || true
    exit 1
}
step() { echo "== $*"; }

step "the .deb"
(cd "$build" && cpack -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) || {
    cat "$work/cpack.log"
    fail "cpack"
}
deb=$(ls "$work"/deb/shunt_*.deb)

step "the root, booted"
"$root_script" build
"$root_script" boot "$name" --bind-ro="$deb:/opt/shunt.deb" >/dev/null

step "install"
inside dpkg -i /opt/shunt.deb >"$work/dpkg.log" 2>&1 || {
    cat "$work/dpkg.log"
    fail "dpkg -i"
}
inside shunt version | grep -q "^shunt " || fail "shunt version"
inside systemctl is-enabled shunt >/dev/null 2>&1 && fail "the package enabled the unit"
verify=$(inside systemd-analyze verify /lib/systemd/system/shunt.service 2>&1 | grep -v "man " || true)
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"

# A sanitizer build (the suite's): LeakSanitizer stops the process with ptrace at exit,
# which the unit's system call filter forbids, so leak checking is off in the service.
# grep reads all of ldd's output: with -q it may stop early, and pipefail would count
# ldd's SIGPIPE as a failure.
if ldd "$build/shunt" | grep libasan >/dev/null; then
    inside mkdir -p /etc/systemd/system/shunt.service.d
    printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' |
        inside sh -c 'cat >/etc/systemd/system/shunt.service.d/sanitizer.conf'
    inside systemctl daemon-reload
fi

step "start waits for READY"
original_resolv="nameserver 192.0.2.53"
inside sh -c "rm -f /etc/resolv.conf; echo '$original_resolv' >/etc/resolv.conf"
# A LAN interface for the eBPF bypass, which must load under the unit's sandbox
# (CAP_BPF, the bpf system call): required = true makes a refusal a failed start.
inside ip link add lan0 type veth peer name lan0-peer
inside ip link set lan0 up
inside sh -c 'cat >/etc/shunt/config.toml' <<'EOF'
mode = "rule"
rules = ["DOMAIN-SUFFIX,blocked.test,REJECT", "MATCH,DIRECT"]
[dns]
listen = ["127.0.0.1:53"]
fake_ip_store = "/var/lib/shunt/fakeip.db"
upstreams = ["udp://192.0.2.1"]
[tun]
enable = true
name = "shunt0"
system_dns = "resolv.conf"
lan_interfaces = ["lan0"]
[api]
listen = "127.0.0.1:9090"
[ebpf]
enable = true
required = true
EOF
inside systemctl start shunt || fail "systemctl start"
# No waiting: Type=notify means the start job finished only after READY=1.
inside ip link show shunt0 >/dev/null 2>&1 || fail "no shunt0 when start returned"
address=$(inside dig +short +time=1 +tries=1 @127.0.0.1 app.example A)
case "$address" in 198.18.*) ;; *) fail "no fake answer when start returned: '$address'" ;; esac
inside grep -q "^nameserver 127.0.0.1" /etc/resolv.conf || fail "resolv.conf does not name shunt"
status=$(inside systemctl show -p StatusText --value shunt)
case "$status" in *"mode rule"*) ;; *) fail "STATUS= not passed on: '$status'" ;; esac
inside tc filter show dev lan0 ingress | grep "handle 0x162" >/dev/null ||
    fail "the eBPF bypass is not on lan0: $(inside journalctl -u shunt --no-pager | grep ebpf)"

step "reload waits and applies"
inside sed -i 's/"MATCH,DIRECT"/"DOMAIN-SUFFIX,app.example,REJECT", "MATCH,DIRECT"/' \
    /etc/shunt/config.toml
inside systemctl reload shunt || fail "systemctl reload"
rules=$(inside curl -sS http://127.0.0.1:9090/rules)
case "$rules" in *app.example*) ;; *) fail "the reloaded rule is not in force: $rules" ;; esac
[ "$(inside systemctl is-active shunt)" = active ] || fail "not active after reload"

step "kill -9: restarted with the same fake addresses"
pid=$(inside systemctl show -p MainPID --value shunt)
inside systemctl kill -s KILL shunt
for _ in $(seq 1 300); do  # 30 s: RestartSec=1s, then the check and the start
    new_pid=$(inside systemctl show -p MainPID --value shunt)
    if [ "$(inside systemctl is-active shunt)" = active ] && [ "$new_pid" != 0 ] &&
        [ "$new_pid" != "$pid" ]; then
        break
    fi
    sleep 0.1
done
[ "$(inside systemctl is-active shunt)" = active ] || fail "not restarted after kill -9"
[ "$(inside systemctl show -p NRestarts --value shunt)" -ge 1 ] || fail "NRestarts"
again=$(inside dig +short +time=1 +tries=1 @127.0.0.1 app.example A)
[ "$again" = "$address" ] || fail "app.example was $address, after the restart $again"

step "stop leaves nothing"
inside systemctl stop shunt || fail "systemctl stop"
inside ip link show shunt0 >/dev/null 2>&1 && fail "shunt0 left behind"
leftovers=$( (inside ip -d rule show; inside ip -d route show table all) | grep "proto 162" || true)
[ -z "$leftovers" ] || fail "routes or rules left behind: $leftovers"
# shellcheck disable=SC2016 # expanded by the shell inside the container
inside sh -c 'for c in /proc/[0-9]*/comm; do cat "$c"; done 2>/dev/null' | grep -x shunt >/dev/null &&
    fail "a shunt process is left"
[ "$(inside cat /etc/resolv.conf)" = "$original_resolv" ] || fail "resolv.conf not restored"
inside tc filter show dev lan0 ingress | grep "handle 0x162" >/dev/null &&
    fail "the eBPF bypass's tc filter left on lan0"

step "remove keeps the conffile, purge removes it"
inside dpkg -r shunt >/dev/null 2>&1 || fail "dpkg -r"
inside test -f /etc/shunt/config.toml || fail "dpkg -r removed the conffile"
inside test -e /usr/bin/shunt && fail "dpkg -r left the binary"
inside dpkg -P shunt >/dev/null 2>&1 || fail "dpkg -P"
inside test -e /etc/shunt/config.toml && fail "dpkg -P kept the conffile"
inside test -e /var/lib/shunt && fail "dpkg -P kept /var/lib/shunt"

echo "systemd service: ok"

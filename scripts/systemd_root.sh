#!/usr/bin/env bash
# A Debian 12 root with systemd, booted with systemd as PID 1 in its own namespaces, to
# test shunt's systemd unit under a real systemd on a machine whose own PID 1 is not
# systemd (CI's machine). Root only.
#
# Usage:
#   scripts/systemd_root.sh build                 make the cached root (no-op when complete)
#   scripts/systemd_root.sh boot NAME [ARG...]    boot it in the background; prints the host
#                                                 PID of the container's PID 1 once
#                                                 `systemctl is-system-running` says running
#                                                 or degraded; ARGs go to systemd-nspawn, e.g.
#                                                 --bind-ro=$PWD/build/release/shunt:/usr/local/bin/shunt
#   scripts/systemd_root.sh exec NAME CMD [ARG...]  run CMD inside (all its namespaces, its
#                                                 root, a clean environment); exit status is CMD's
#   scripts/systemd_root.sh stop NAME             power off, kill what is left, remove everything
# NAME: 1-15 of a-z 0-9 -. Several boots (different NAMEs) can run at once.
# Environment: SHUNT_SYSTEMD_ROOT_BOOT_TIMEOUT (s, 90), SHUNT_SYSTEMD_ROOT_STOP_TIMEOUT
# (s, 20), SHUNT_SYSTEMD_ROOT_CAPS (capabilities added to nspawn's default set),
# SHUNT_DEBIAN_MIRROR (else taken from this machine's apt sources),
# SHUNT_SYSTEMD_ROOT_CACHE (/var/cache/shunt-tests).
#
# Example:
#   scripts/systemd_root.sh build
#   scripts/systemd_root.sh boot t1 --bind-ro="$PWD/build/release/shunt:/usr/local/bin/shunt"
#   scripts/systemd_root.sh exec t1 systemctl start shunt
#   scripts/systemd_root.sh stop t1
#
# What is cached: /var/cache/shunt-tests/debian12-systemd, a debootstrap of bookworm
# (minbase) with systemd, systemd-sysv, dbus, iproute2, dnsutils, curl and the libraries
# shunt's release and ASan builds link (the list below, plus whatever `ldd` finds for
# build/*/shunt, mapped to packages with dpkg -S). The .stamp beside it records the recipe
# version; `build` redoes the root when the recipe changes or a wanted package is missing.
# The downloaded .debs are kept in /var/cache/shunt-tests/debs, so a rebuild downloads
# nothing. The mirror comes from /etc/apt at run time: no host is named here. procps is
# left out on purpose: the unit's ExecReload must work without kill/pkill binaries.
#
# Why these choices:
# - systemd-nspawn (systemd-container), not machinectl: this host's PID 1 is not systemd,
#   so there is no machined and no host bus; hence --register=no and --keep-unit (no scope
#   is asked for), and the container is put in a cgroup this script makes itself
#   (CGROUP2/shunt-systemd-root-NAME; CGROUP2 is /sys/fs/cgroup/unified on this hybrid
#   host), which stop kills with cgroup.kill and removes.
# - SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1: the container's systemd runs on cgroup v2 alone,
#   where DeviceAllow=/DevicePolicy= are enforced with BPF device programs (this host's
#   v1 devices controller would be read-only inside). --system-call-filter=bpf, because
#   nspawn's seccomp filter denies bpf(2) by default, which silently turns device control
#   (and IP firewalling) off: DevicePolicy=closed would then allow everything.
# - --network-namespace-path=/run/netns/NAME: a network namespace made with `ip netns add
#   NAME` first (loopback only), so the host can also reach it by name. nspawn only grants
#   CAP_NET_ADMIN and a writable /proc/sys/net with --private-network, hence
#   --capability=CAP_NET_ADMIN,... and SYSTEMD_NSPAWN_API_VFS_WRITABLE=network.
# - --volatile=overlay: the cached root is the read-only lower layer of an overlay whose
#   upper layer is a tmpfs that disappears with the container, so a boot never changes the
#   root and nothing needs cleaning; SYSTEMD_NSPAWN_LOCK=0 lets several boots share it.
# - --console=pipe: nspawn runs in the background without a terminal; its output goes to
#   /run/shunt-systemd-root/NAME/log (state of a boot is kept in that directory).
# - Masked units (MASKED_UNITS below): gettys (nobody logs in; they would fight over the
#   console), systemd-networkd-wait-online (waits 2 minutes for links that never come),
#   systemd-timesyncd (the clock is the host's), systemd-firstboot (prompts on the console),
#   ldconfig/hwdb-update (done at build), apt/dpkg/e2scrub/fstrim timers (no network or CPU
#   surprises during a test). The journal is kept in memory (Storage=volatile).
# - exec uses nsenter into PID 1's namespaces (machinectl shell needs machined); its
#   processes are put in CGROUP2/shunt-systemd-root-NAME/exec, beside the container's own
#   tree, so stop kills them too.
# Caveats: this machine's capability bounding set lacks CAP_SYS_RESOURCE, so no process
# here can raise a hard rlimit: LimitNOFILE= above the caller's hard limit is silently
# capped. /proc/sys outside net/ and /sys are read-only inside, as in any nspawn container.
set -euo pipefail

SUITE=bookworm
CACHE_DIR=${SHUNT_SYSTEMD_ROOT_CACHE:-/var/cache/shunt-tests}
ROOT="$CACHE_DIR/debian12-systemd"
STAMP="$ROOT.stamp"
# Bump when the recipe below changes in a way the package list does not show.
RECIPE_VERSION=2
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

BASE_PACKAGES=(systemd systemd-sysv dbus iproute2 dnsutils curl)
LIB_PACKAGES=(
    libboost-json1.81.0 libboost-container1.81.0 libboost-system1.81.0
    libldns3 libmaxminddb0 libspdlog1.10 libfmt9 libtomlplusplus3 libssl3 libsystemd0
    libasan8 libubsan1
)

log() { echo "systemd_root.sh: $*" >&2; }
die() { log "$*"; exit 1; }

need_root() { [ "$(id -u)" -eq 0 ] || die "run as root"; }

# The Debian mirror this machine's apt already uses (deb822 .sources first, then
# one-line .list files), so no host is named in the repository.
host_mirror() {
    local f uri
    if [ -n "${SHUNT_DEBIAN_MIRROR:-}" ]; then
        echo "$SHUNT_DEBIAN_MIRROR"
        return 0
    fi
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri=$(awk -v suite="$SUITE" '
            BEGIN { RS = ""; FS = "\n" }
            {
                types = ""; uris = ""; suites = ""; enabled = "yes"
                for (i = 1; i <= NF; i++) {
                    line = $i
                    if (line ~ /^[ \t]*#/) continue
                    if (match(line, /^[A-Za-z-]+:/)) {
                        key = tolower(substr(line, 1, RLENGTH - 1))
                        val = substr(line, RLENGTH + 1)
                        gsub(/^[ \t]+|[ \t]+$/, "", val)
                        if (key == "types") types = val
                        else if (key == "uris") uris = val
                        else if (key == "suites") suites = val
                        else if (key == "enabled") enabled = tolower(val)
                    }
                }
                if (enabled != "no" && (" " types " ") ~ / deb / &&
                    (" " suites " ") ~ (" " suite " ")) {
                    split(uris, u, /[ \t]+/); print u[1]; exit
                }
            }' "$f")
        if [ -n "$uri" ]; then
            echo "$uri"
            return 0
        fi
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        uri=$(awk -v suite="$SUITE" '
            $1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
                if ($(i + 1) == suite) { print $i; exit }
            }' "$f")
        if [ -n "$uri" ]; then
            echo "$uri"
            return 0
        fi
    done
    return 1
}

# Debian packages holding the shared libraries of whichever shunt binaries are built,
# so a new dependency is picked up without editing LIB_PACKAGES.
binary_packages() {
    local bin lib
    local -a paths=()
    for bin in "$REPO"/build/release/shunt "$REPO"/build/asan/shunt; do
        [ -x "$bin" ] || continue
        while read -r lib; do
            paths+=("$lib" "/usr$lib" "$(readlink -f "$lib")")
        done < <(ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
    done
    [ ${#paths[@]} -gt 0 ] || return 0
    # One dpkg -S for all (it is slow to start); paths no package owns are just skipped.
    dpkg -S "${paths[@]}" 2>/dev/null | sed -n 's/^\([^:, ]*\)[:,].*/\1/p' || true
}

wanted_packages() {
    {
        printf '%s\n' "${BASE_PACKAGES[@]}" "${LIB_PACKAGES[@]}"
        binary_packages
    } | sort -u
}

# Unmounts everything at or below $1 (deepest first); fails if something stays mounted.
umount_below() {
    local dir=$1 m
    [ -e "$dir" ] || return 0
    dir=$(readlink -f "$dir")
    while read -r m; do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done < <(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
    ! awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mounts
}

# Removes a directory tree that may have mounts below it, never crossing into one.
remove_tree() {
    local dir=$1
    [ -e "$dir" ] || return 0
    umount_below "$dir" || { log "still mounted below $dir; not removing it"; return 1; }
    rm -rf --one-file-system "$dir"
}

BUILD_TMP=
build_cleanup() {
    if [ -n "$BUILD_TMP" ]; then
        log "build failed; removing $BUILD_TMP"
        remove_tree "$BUILD_TMP" || true
    fi
}

# Complete = the stamp names this recipe and every wanted package is in the root's dpkg
# database (so a shunt binary built later with a new library triggers a rebuild).
root_complete() {
    local installed missing
    [ -d "$ROOT" ] && [ -f "$STAMP" ] || return 1
    [ "$(head -n1 "$STAMP")" = "recipe $RECIPE_VERSION" ] || return 1
    installed=$(dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${Package} ${Status}\n' 2>/dev/null |
        awk '$NF == "installed" { print $1 }' | sort -u)
    missing=$(comm -23 <(wanted_packages) <(printf '%s\n' "$installed"))
    if [ -n "$missing" ]; then
        log "root lacks: $(echo "$missing" | tr '\n' ' ')"
        return 1
    fi
}

cmd_build() {
    need_root
    [ $# -eq 0 ] || usage
    local mirror t0 pkgs stale
    mkdir -p "$CACHE_DIR"
    exec 9>"$CACHE_DIR/.debian12-systemd.lock"
    flock 9
    # What a build killed outright left (under the lock no other build is running).
    for stale in "$ROOT".tmp.*; do
        [ -e "$stale" ] || continue
        log "removing $stale"
        remove_tree "$stale" || die "cannot remove $stale"
    done
    if root_complete; then
        log "root is complete: $ROOT ($(head -n2 "$STAMP" | tail -n1))"
        return 0
    fi
    t0=$(date +%s)
    if ! command -v debootstrap >/dev/null; then
        apt_install debootstrap
    fi
    mirror=$(host_mirror) || die "no '$SUITE' deb source found in /etc/apt (set SHUNT_DEBIAN_MIRROR)"
    mapfile -t pkgs < <(wanted_packages)

    BUILD_TMP="$ROOT.tmp.$$"
    trap build_cleanup EXIT
    trap 'exit 130' INT TERM
    remove_tree "$ROOT.old" || die "cannot remove $ROOT.old"
    mkdir -p "$CACHE_DIR/debs"
    log "debootstrap $SUITE minbase + ${pkgs[*]}"
    # --cache-dir keeps the downloaded .debs, so a rebuild downloads nothing.
    debootstrap --variant=minbase --cache-dir="$CACHE_DIR/debs" \
        --include="$(IFS=,; echo "${pkgs[*]}")" "$SUITE" "$BUILD_TMP" "$mirror" >&2
    umount_below "$BUILD_TMP" || die "debootstrap left mounts below $BUILD_TMP"
    configure_root "$BUILD_TMP"

    rm -f "$STAMP"
    if [ -e "$ROOT" ]; then
        mv "$ROOT" "$ROOT.old"
    fi
    mv "$BUILD_TMP" "$ROOT"
    BUILD_TMP=
    trap - EXIT INT TERM
    remove_tree "$ROOT.old" || true
    printf 'recipe %s\nbuilt %s from %s\n' "$RECIPE_VERSION" "$(date -u +%FT%TZ)" "$mirror" >"$STAMP"
    log "built $ROOT in $(($(date +%s) - t0)) s, $(du -sh "$ROOT" | cut -f1)"
}

apt_install() {
    log "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "$@" >&2 ||
        { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "$@" >&2; }
}

# Units masked in the root, each for a reason:
MASKED_UNITS=(
    # login prompts: nobody logs in (exec uses nsenter), and a getty on the console
    # would compete with the boot log written there
    getty.target getty@.service serial-getty@.service console-getty.service
    container-getty@.service
    # waits up to 2 minutes for links that never come up (loopback only)
    systemd-networkd-wait-online.service
    # would set the clock, which is the host's clock (CAP_SYS_TIME is not namespaced)
    systemd-timesyncd.service
    # prompts on the console for locale/timezone/password when it thinks this is a first boot
    systemd-firstboot.service
    # one-off boot jobs the static root does not need (dpkg already ran ldconfig)
    ldconfig.service systemd-hwdb-update.service
    # timers that would fetch from the network or burn CPU during a test
    apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer
    e2scrub_reap.service fstrim.timer
)

configure_root() {
    local dir=$1
    chroot "$dir" passwd -d root >/dev/null
    echo shunt-test >"$dir/etc/hostname"
    printf '127.0.0.1\tlocalhost shunt-test\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
        >"$dir/etc/hosts"
    # No DNS is configured inside (loopback only); the file exists so that what a test
    # writes into it, and what shunt saves and restores, is known.
    printf '# shunt test root: no resolver configured\nnameserver 127.0.0.1\n' \
        >"$dir/etc/resolv.conf"
    : >"$dir/etc/fstab"
    # The journal stays in memory: nothing of a boot is kept, and no disk writes.
    mkdir -p "$dir/etc/systemd/journald.conf.d"
    printf '[Journal]\nStorage=volatile\n' >"$dir/etc/systemd/journald.conf.d/shunt-test.conf"
    systemctl --root="$dir" mask "${MASKED_UNITS[@]}" >/dev/null 2>&1
    systemctl --root="$dir" set-default multi-user.target >/dev/null 2>&1
    # Not wanted inside: package caches and lists, documentation, translations.
    chroot "$dir" apt-get clean
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/* \
        "$dir"/usr/share/info/* "$dir"/usr/share/locale/*
    printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-exclude /usr/share/man/*' \
        'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
        >"$dir/etc/dpkg/dpkg.cfg.d/shunt-test-nodoc"
    # ExecReload of shunt's unit must not rely on procps (kill, pkill): keep it out.
    if chroot "$dir" dpkg-query -W procps >/dev/null 2>&1; then
        die "procps was pulled into the root"
    fi
}

# ---------------------------------------------------------------------------- boot

STATE_BASE=/run/shunt-systemd-root
CGROUP_PREFIX=shunt-systemd-root-
BOOT_TIMEOUT=${SHUNT_SYSTEMD_ROOT_BOOT_TIMEOUT:-90}
STOP_TIMEOUT=${SHUNT_SYSTEMD_ROOT_STOP_TIMEOUT:-20}
# Capabilities added to nspawn's default set: CAP_NET_ADMIN for the TUN device, routes
# and rules in the container's network namespace (nspawn only grants it by itself with
# --private-network), CAP_BPF and CAP_PERFMON for eBPF programs.
EXTRA_CAPS=${SHUNT_SYSTEMD_ROOT_CAPS:-CAP_NET_ADMIN,CAP_BPF,CAP_PERFMON}

check_name() {
    [[ ${1:-} =~ ^[a-z0-9][a-z0-9-]{0,14}$ ]] ||
        die "NAME must be 1-15 of a-z 0-9 - (a network namespace, a hostname and a cgroup are named after it)"
}

# The cgroup v2 mount: /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a
# hybrid one (like this machine, whose v1 controllers are mounted beside it).
cgroup2_mount() {
    awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts
}

# "PID STARTTIME" of a live process: the start time guards against a PID reused after a
# crash or a reboot (/run is not a tmpfs everywhere).
proc_id() {
    local pid=$1 stat
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    # After "comm) " come the state (a zombie counts as gone: it waits for this host's
    # PID 1 to reap it) and, 20th, the start time.
    case "$stat" in Z* | X*) return 1 ;; esac
    echo "$pid $(echo "$stat" | awk '{ print $20 }')"
}

alive() {
    local id=$1
    [ -n "$id" ] && [ "$(proc_id "${id%% *}" 2>/dev/null)" = "$id" ]
}

state_get() {
    cat "$STATE_BASE/$1/$2" 2>/dev/null || true
}

# Host PID of the container's PID 1: the child of nspawn whose innermost PID is 1 (nspawn
# clones it with CLONE_PARENT, so it is nspawn's own child).
find_pid1() {
    local launcher=$1 c
    local -a children=()
    if [ -r "/proc/$launcher/task/$launcher/children" ]; then
        read -ra children <"/proc/$launcher/task/$launcher/children" || true
    else
        mapfile -t children < <(grep -l "^PPid:[[:space:]]*$launcher\$" /proc/[0-9]*/status 2>/dev/null |
            sed 's|^/proc/\([0-9]*\)/status$|\1|')
    fi
    for c in "${children[@]}"; do
        if grep -Eq '^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$' "/proc/$c/status" 2>/dev/null; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

container_state() {
    timeout 10 nsenter -t "$1" -m -p -- /bin/systemctl is-system-running 2>/dev/null || true
}

# What a failed or degraded boot left to read.
boot_diagnostics() {
    local name=$1 pid1=$2
    if [ -n "$pid1" ] && [ -d "/proc/$pid1" ]; then
        log "--- failed units"
        timeout 10 nsenter -t "$pid1" -m -p -- /bin/systemctl --failed --no-pager --plain >&2 || true
        log "--- pending jobs"
        timeout 10 nsenter -t "$pid1" -m -p -- /bin/systemctl list-jobs --no-pager >&2 || true
        log "--- journal (last 40 lines)"
        timeout 10 nsenter -t "$pid1" -m -p -- /bin/journalctl -b --no-pager -n 40 >&2 || true
    fi
    if [ -s "$STATE_BASE/$name/log" ]; then
        log "--- systemd-nspawn output (last 40 lines)"
        tail -n 40 "$STATE_BASE/$name/log" >&2
    fi
}

BOOTING=
boot_cleanup() {
    local rc=$?
    if [ -n "$BOOTING" ]; then
        log "boot of $BOOTING failed; cleaning up"
        do_stop "$BOOTING" 0 || true
    fi
    exit "$rc"
}

cmd_boot() {
    need_root
    [ $# -ge 1 ] || usage
    local name=$1 state cg2 cg launcher_id launcher pid1 t0 deadline st upper
    local -a extra=("${@:2}")
    check_name "$name"
    root_complete || die "the root is missing or incomplete: run '$0 build' first"
    command -v systemd-nspawn >/dev/null || apt_install systemd-container
    state="$STATE_BASE/$name"
    if [ -d "$state" ]; then
        if alive "$(state_get "$name" launcher)"; then
            pid1=$(state_get "$name" pid1)
            die "$name is already booted (PID 1 is ${pid1%% *}); '$0 stop $name' first"
        fi
        log "cleaning up what a previous boot of $name left"
        do_stop "$name" 0
    fi
    [ ! -e "/run/netns/$name" ] || die "network namespace $name exists and is not ours"
    cg2=$(cgroup2_mount)
    [ -n "$cg2" ] || die "no cgroup2 mount on this host: systemd in the container needs one"
    cg="$cg2/$CGROUP_PREFIX$name"
    [ ! -e "$cg" ] || die "cgroup $cg exists and is not ours"

    BOOTING=$name
    trap boot_cleanup EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$state"
    echo "$cg" >"$state/cgroup"
    ip netns add "$name"
    echo "$name" >"$state/netns"
    mkdir "$cg"
    t0=$(date +%s%N)
    # setsid: own session and process group (stop kills the group; no SIGHUP from the
    # caller's terminal). The shell moves itself into the cgroup made for this boot, then
    # becomes systemd-nspawn, which puts the container below it (payload/) and itself
    # beside it (supervisor/); stop kills that whole cgroup.
    # shellcheck disable=SC2016 # $$ and "$@" are the inner shell's
    SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 SYSTEMD_NSPAWN_API_VFS_WRITABLE=network SYSTEMD_NSPAWN_LOCK=0 \
        setsid bash -c 'echo $$ >"$1/cgroup.procs" && echo $$ >"$2/launcher.pid" && shift 2 && exec "$@"' \
        launcher "$cg" "$state" \
        systemd-nspawn --quiet --boot --directory="$ROOT" --machine="$name" \
        --register=no --keep-unit --volatile=overlay \
        --network-namespace-path="/run/netns/$name" --capability="$EXTRA_CAPS" \
        --system-call-filter=bpf \
        --console=pipe --resolv-conf=off --timezone=off --link-journal=no "${extra[@]}" \
        </dev/null >"$state/log" 2>&1 &
    disown
    # Wait for the launcher to write its PID, then for the container's PID 1.
    deadline=$(($(date +%s) + BOOT_TIMEOUT))
    while [ ! -s "$state/launcher.pid" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || die "systemd-nspawn did not start"
        sleep 0.05
    done
    launcher=$(cat "$state/launcher.pid")
    launcher_id=$(proc_id "$launcher") || { boot_diagnostics "$name" ""; die "systemd-nspawn exited at once"; }
    echo "$launcher_id" >"$state/launcher"
    until pid1=$(find_pid1 "$launcher"); do
        alive "$launcher_id" || { boot_diagnostics "$name" ""; die "systemd-nspawn exited before the container's PID 1 started"; }
        [ "$(date +%s)" -lt "$deadline" ] || { boot_diagnostics "$name" ""; die "no PID 1 after ${BOOT_TIMEOUT} s"; }
        sleep 0.05
    done
    proc_id "$pid1" >"$state/pid1"
    # Wait for systemd: running or degraded.
    while :; do
        alive "$launcher_id" || { boot_diagnostics "$name" ""; die "systemd-nspawn exited during the boot"; }
        st=$(container_state "$pid1")
        case "$st" in
            running | degraded) break ;;
            # "offline" is also what systemctl says before PID 1 has made its socket (it
            # cannot connect): on a busy machine that early moment is seen, so it is waited
            # out like "starting" until the deadline.
            maintenance | stopping)
                boot_diagnostics "$name" "$pid1"
                die "the container's systemd is '$st'"
                ;;
        esac
        if [ "$(date +%s)" -ge "$deadline" ]; then
            boot_diagnostics "$name" "$pid1"
            die "not running after ${BOOT_TIMEOUT} s (systemctl is-system-running: '${st:-no answer}')"
        fi
        sleep 0.2
    done
    # The volatile overlay's directory on the host's /tmp, to remove if nspawn is killed.
    upper=$(awk '$5 == "/" && / - overlay / { print $NF }' "/proc/$pid1/mountinfo" |
        tr ',' '\n' | sed -n 's|^upperdir=\(/tmp/nspawn-volatile-[^/]*\)/upper$|\1|p')
    echo "$upper" >"$state/volatile"
    if [ "$st" = degraded ]; then
        log "warning: $name booted degraded:"
        timeout 10 nsenter -t "$pid1" -m -p -- /bin/systemctl --failed --no-pager --plain >&2 || true
    fi
    log "$name: systemd is $st after $((($(date +%s%N) - t0) / 1000000)) ms"
    BOOTING=
    trap - EXIT INT TERM
    echo "$pid1"
}

# ---------------------------------------------------------------------------- exec

cmd_exec() {
    need_root
    [ $# -ge 2 ] || usage
    local name=$1 pid1 cg
    shift
    check_name "$name"
    pid1=$(state_get "$name" pid1)
    alive "$pid1" || die "$name is not booted"
    cg=$(state_get "$name" cgroup)
    mkdir -p "$cg/exec"
    # The command joins every namespace of PID 1 (mount, PID, network, UTS, IPC, cgroup)
    # and its root, with a clean environment; its processes go to a cgroup beside the
    # container's (outside systemd's tree, killed by stop with the rest).
    # shellcheck disable=SC2016 # $$ and "$@" are the inner shell's
    exec bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' exec "$cg/exec" \
        nsenter --target "${pid1%% *}" --all -- \
        /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 "$@"
}

# ---------------------------------------------------------------------------- stop

# Kills every process in a cgroup v2 subtree (cgroup.kill where the kernel has it).
kill_cgroup() {
    local cg=$1 f
    local -a pids
    [ -d "$cg" ] || return 0
    if [ -e "$cg/cgroup.kill" ]; then
        echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
    else
        mapfile -t pids < <(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)
        [ ${#pids[@]} -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true
    fi
    for _ in $(seq 50); do
        f=$(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)
        [ -z "$f" ] && return 0
        sleep 0.1
    done
    log "processes left in $cg: $(echo "$f" | tr '\n' ' ')"
    return 1
}

# Removes a cgroup directory tree, deepest first (rmdir is the only way).
remove_cgroup() {
    local cg=$1
    [ -d "$cg" ] || return 0
    find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [ ! -d "$cg" ] || { log "could not remove cgroup $cg"; return 1; }
}

# do_stop NAME GRACEFUL: powers off (if GRACEFUL=1 and it is up), then kills whatever
# is left and removes every trace of the boot. Idempotent.
do_stop() {
    local name=$1 graceful=$2 state launcher pid1 cg cg2 volatile rc=0 i d
    state="$STATE_BASE/$name"
    launcher=$(state_get "$name" launcher)
    pid1=$(state_get "$name" pid1)
    cg=$(state_get "$name" cgroup)
    cg2=$(cgroup2_mount)
    [ -n "$cg" ] || cg="$cg2/$CGROUP_PREFIX$name"
    volatile=$(state_get "$name" volatile)

    if [ "$graceful" = 1 ] && alive "$pid1" && alive "$launcher"; then
        # SIGRTMIN+3 is systemd's "poweroff"; nspawn exits when PID 1 does.
        kill -s SIGRTMIN+3 "${pid1%% *}" 2>/dev/null || true
        for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
            alive "$launcher" || break
            sleep 0.1
        done
        alive "$launcher" && log "$name did not power off in ${STOP_TIMEOUT} s; killing it"
    fi
    # Whatever is left: the launcher's process group, then everything in the cgroup
    # (the container's processes, nspawn, and commands run by exec).
    if alive "$launcher"; then
        kill -KILL -- "-${launcher%% *}" 2>/dev/null || kill -KILL "${launcher%% *}" 2>/dev/null || true
    fi
    kill_cgroup "$cg" || rc=1
    for ((i = 0; i < 50; i++)); do
        alive "$launcher" || break
        sleep 0.1
    done
    alive "$launcher" && { log "systemd-nspawn (${launcher%% *}) is still there"; rc=1; }
    remove_cgroup "$cg" || rc=1
    # nspawn also makes a same-named cgroup in the v1 name=systemd hierarchy of a
    # hybrid host.
    for d in /sys/fs/cgroup/*/"$CGROUP_PREFIX$name"; do
        [ "$d" = "$cg" ] || remove_cgroup "$d" || rc=1
    done
    # nspawn's own mounts live in its private mount namespace and die with it; what
    # remains on the host are two directories it removes only when it exits normally.
    if [[ $volatile == /tmp/nspawn-volatile-* ]] && [ -d "$volatile" ]; then
        remove_tree "$volatile" || rc=1
    fi
    if [ -d "/run/systemd/nspawn/propagate/$name" ]; then
        remove_tree "/run/systemd/nspawn/propagate/$name" || rc=1
    fi
    if [ -e "/run/netns/$name" ] && [ -f "$state/netns" ]; then
        ip netns delete "$name" 2>/dev/null || { umount "/run/netns/$name" 2>/dev/null; rm -f "/run/netns/$name"; }
        [ ! -e "/run/netns/$name" ] || { log "could not delete network namespace $name"; rc=1; }
    fi
    if [ "$rc" -eq 0 ]; then
        rm -rf "$state"
    fi
    return "$rc"
}

cmd_stop() {
    need_root
    [ $# -eq 1 ] || usage
    check_name "$1"
    if [ ! -d "$STATE_BASE/$1" ]; then
        # No state: only cgroups carrying this script's prefix can be ours to remove.
        if compgen -G "/sys/fs/cgroup/*/$CGROUP_PREFIX$1" >/dev/null ||
            [ -d "/sys/fs/cgroup/$CGROUP_PREFIX$1" ]; then
            log "$1 has no state but left cgroups; removing them"
            do_stop "$1" 0
            return
        fi
        log "$1 is not booted"
        return 0
    fi
    do_stop "$1" 1
}

# ---------------------------------------------------------------------------- main

usage() {
    sed -n '2,/^# What is cached/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

main() {
    [ $# -ge 1 ] || usage
    local cmd=$1
    shift
    case "$cmd" in
        build) cmd_build "$@" ;;
        boot) cmd_boot "$@" ;;
        exec) cmd_exec "$@" ;;
        stop) cmd_stop "$@" ;;
        *) usage ;;
    esac
}

main "$@"

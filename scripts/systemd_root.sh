#!/usr/bin/env bash
# PLACEHOLDER header (rewritten below once the boot method is settled)
set -euo pipefail

SUITE=bookworm
CACHE_DIR=${SHUNT_SYSTEMD_ROOT_CACHE:-/var/cache/shunt-tests}
ROOT="$CACHE_DIR/debian12-systemd"
STAMP="$ROOT.stamp"
# Bump when the recipe below changes in a way the package list does not show.
RECIPE_VERSION=1
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
        remove_tree "$BUILD_TMP" || true
    fi
}

cmd_build() {
    need_root
    local want mirror t0 pkgs
    mkdir -p "$CACHE_DIR"
    exec 9>"$CACHE_DIR/.build.lock"
    flock 9
    want=$(printf 'recipe %s\n' "$RECIPE_VERSION"; wanted_packages)
    if [ -f "$STAMP" ] && [ -d "$ROOT" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        log "root is up to date: $ROOT"
        return 0
    fi
    t0=$(date +%s)
    if ! command -v debootstrap >/dev/null; then
        log "installing debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2 ||
            { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2; }
    fi
    mirror=$(host_mirror) || die "no '$SUITE' deb source found in /etc/apt (set SHUNT_DEBIAN_MIRROR)"
    mapfile -t pkgs < <(wanted_packages)

    BUILD_TMP="$ROOT.tmp.$$"
    trap build_cleanup EXIT
    trap 'exit 130' INT TERM
    remove_tree "$ROOT.old" || die "cannot remove $ROOT.old"
    mkdir -p "$CACHE_DIR/debs"
    log "debootstrap $SUITE (minbase + ${pkgs[*]}) into $BUILD_TMP"
    debootstrap --variant=minbase --cache-dir="$CACHE_DIR/debs" \
        --include="$(IFS=,; echo "${pkgs[*]}")" "$SUITE" "$BUILD_TMP" "$mirror" >&2
    umount_below "$BUILD_TMP/proc" || true
    configure_root "$BUILD_TMP"

    rm -f "$STAMP"
    if [ -e "$ROOT" ]; then
        mv "$ROOT" "$ROOT.old"
    fi
    mv "$BUILD_TMP" "$ROOT"
    BUILD_TMP=
    remove_tree "$ROOT.old" || true
    printf '%s\n' "$want" >"$STAMP"
    trap - EXIT INT TERM
    log "built $ROOT in $(($(date +%s) - t0)) s ($(du -sh "$ROOT" | cut -f1))"
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

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

main() {
    [ $# -ge 1 ] || usage
    local cmd=$1
    shift
    case "$cmd" in
        build) cmd_build "$@" ;;
        *) usage ;;
    esac
}

main "$@"

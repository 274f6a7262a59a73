#!/bin/sh
# version-guard.sh WORLDS_DIR CORE_VERSION
#
# Refuse to start Foundry CORE_VERSION (e.g. 13.348) on worlds a newer core has migrated. Foundry writes
# into each world's world.json the core version that last migrated it ("coreVersion"), and an older
# core cannot open migrated data. Runs as the last init step, after copies and snapshots, so no path
# (recreate, copy, shared pool, restore) opens newer data with an older server. A world with a newer
# coreVersion (generation first, then build) stops the start: the reason goes to stderr (the pod's
# termination message) and the exit code is 1. WORLDS_DIR is only read; a missing or empty WORLDS_DIR
# and worlds without a readable coreVersion pass. POSIX sh (busybox ash, dash, bash); uses sed.
set -eu

say() { printf 'version-guard: %s\n' "$*"; }
fail() { printf 'version-guard: error: %s\n' "$*" >&2; exit 1; }

[ "$#" -eq 2 ] || fail "usage: version-guard.sh WORLDS_DIR CORE_VERSION"
case "$1" in
    /*) ;;
    *) fail "WORLDS_DIR must be an absolute path: '$1'" ;;
esac
WORLDS=$1
CORE=$2
case "$CORE" in
    [0-9]*.[0-9]*) ;;
    *) fail "CORE_VERSION must look like 13.348: '$CORE'" ;;
esac
core_gen=${CORE%%.*}
rest=${CORE#*.}
core_build=${rest%%.*}
case "$core_gen$core_build" in
    *[!0-9]*) fail "CORE_VERSION must look like 13.348: '$CORE'" ;;
esac

if ! [ -d "$WORLDS" ]; then
    say "ok: no worlds yet in '$WORLDS'"
    exit 0
fi
checked=0
for manifest in "$WORLDS"/*/world.json; do
    [ -f "$manifest" ] || continue
    world=${manifest%/world.json}
    world=${world##*/}
    found=$(sed -n 's/.*"coreVersion"[[:space:]]*:[[:space:]]*"\([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' "$manifest")
    found=${found%%[!0-9.]*}
    if [ -z "$found" ]; then
        say "skip: world '$world' records no coreVersion"
        continue
    fi
    gen=${found%%.*}
    build=${found#*.}
    checked=$((checked + 1))
    if [ "$gen" -gt "$core_gen" ] || { [ "$gen" -eq "$core_gen" ] && [ "$build" -gt "$core_build" ]; }; then
        fail "world '$world' was migrated by Foundry $found, newer than this server's $CORE; an older core cannot open it. Refusing to start: run Foundry $found or newer, or restore the snapshot taken before the upgrade (status.foundryVersion.snapshot)"
    fi
done
say "ok: $checked world(s) in '$WORLDS' recorded by Foundry $CORE or older"

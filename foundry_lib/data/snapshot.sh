#!/bin/sh
# snapshot.sh SOURCE SNAPSHOT_DIR MARKER_KEY [KEEP]
#
# Copy SOURCE (e.g. the worlds volume) to SNAPSHOT_DIR (e.g. /backups/13.348-to-13.351) once per
# MARKER_KEY (the version change id), before Foundry migrates the data. SOURCE is only read.
# The copy goes to a sibling staging folder SNAPSHOT_DIR.foundry-snapshot-staging, gets the marker
# .foundry-snapshot-complete (holding MARKER_KEY) and is then renamed to SNAPSHOT_DIR in one step, so
# SNAPSHOT_DIR either does not exist or is a complete snapshot. A rerun with the same key is a no-op;
# an interrupted run leaves only the staging folder, which the rerun discards and redoes. An existing
# SNAPSHOT_DIR without our marker, or with another key, is refused untouched. A missing or empty SOURCE
# (an instance that never started) succeeds as "nothing to snapshot".
# SNAPSHOT_DIR's parent holds only this volume's snapshots, named so that they sort oldest first. With
# KEEP (>= 1), the oldest complete snapshots there are removed (renamed aside, then deleted, so a kill
# never leaves a half-deleted snapshot that still looks complete) until KEEP - 1 remain, then the new one
# is taken: at most KEEP stay. Before copying, the filesystem must have room for SOURCE plus a tenth
# (du, df), else the snapshot is refused and Foundry does not start on data it could not back up.
# POSIX sh (busybox ash, dash, bash); uses cp, mv, mkdir, cat, rm (own staging/snapshots only), du, df.
set -eu

say() { printf 'snapshot: %s\n' "$*"; }
fail() { printf 'snapshot: error: %s\n' "$*" >&2; exit 1; }

check_path() {
    case "$2" in
        /*) ;;
        *) fail "$1 must be an absolute path: '$2'" ;;
    esac
    case "$2" in
        *..*) fail "$1 must not contain '..': '$2'" ;;
    esac
}

[ "$#" -eq 3 ] || [ "$#" -eq 4 ] || fail "usage: snapshot.sh SOURCE SNAPSHOT_DIR MARKER_KEY [KEEP]"
check_path SOURCE "$1"
check_path SNAPSHOT_DIR "$2"
SOURCE=$1
SNAPSHOT=$2
KEY=$3
KEEP=${4:-0}
case "$KEEP" in
    '' | *[!0-9]*) fail "KEEP must be a whole number: '$KEEP'" ;;
esac
case "$KEY" in
    '' | *[!A-Za-z0-9._-]*) fail "MARKER_KEY must be letters, digits, '.', '_' or '-': '$KEY'" ;;
esac
while [ "$SOURCE" != "/" ] && [ "${SOURCE%/}" != "$SOURCE" ]; do SOURCE=${SOURCE%/}; done
while [ "$SNAPSHOT" != "/" ] && [ "${SNAPSHOT%/}" != "$SNAPSHOT" ]; do SNAPSHOT=${SNAPSHOT%/}; done
[ "$SOURCE" != "/" ] && [ "$SNAPSHOT" != "/" ] || fail "SOURCE and SNAPSHOT_DIR must not be '/'"
[ "$SOURCE" != "$SNAPSHOT" ] || fail "SOURCE and SNAPSHOT_DIR are the same directory: '$SOURCE'"
case "$SNAPSHOT/" in "$SOURCE"/*) fail "SNAPSHOT_DIR '$SNAPSHOT' is inside SOURCE '$SOURCE'" ;; esac
case "$SOURCE/" in "$SNAPSHOT"/*) fail "SOURCE '$SOURCE' is inside SNAPSHOT_DIR '$SNAPSHOT'" ;; esac

STAGING=$SNAPSHOT.foundry-snapshot-staging
MARKER=.foundry-snapshot-complete

exists() { [ -e "$1" ] || [ -L "$1" ]; }

if exists "$SNAPSHOT"; then
    if [ -f "$SNAPSHOT/$MARKER" ]; then
        done_key=$(cat "$SNAPSHOT/$MARKER")
        if [ "$done_key" = "$KEY" ]; then
            say "skip: '$SNAPSHOT' already holds the snapshot for '$KEY'"
            exit 0
        fi
        fail "'$SNAPSHOT' holds the snapshot for '$done_key', not '$KEY'; choose another folder"
    fi
    fail "'$SNAPSHOT' exists and is not a snapshot made by this script; refusing to touch it"
fi
if exists "$SOURCE" && ! [ -d "$SOURCE" ]; then fail "SOURCE '$SOURCE' is not a directory"; fi
has_data() {
    for entry in "$SOURCE"/* "$SOURCE"/.[!.]* "$SOURCE"/..?*; do
        exists "$entry" && return 0
    done
    return 1
}
if ! [ -d "$SOURCE" ] || ! has_data; then
    say "nothing to snapshot: '$SOURCE' holds no data yet (the instance never started)"
    exit 0
fi
if exists "$STAGING"; then
    say "discard: partial snapshot '$STAGING'"
    rm -rf "$STAGING"
fi
PARENT=${SNAPSHOT%/*}
mkdir -p "$PARENT/"
for gone in "$PARENT"/*.foundry-snapshot-pruning; do
    if exists "$gone"; then rm -rf "$gone"; fi
done

if [ "$KEEP" -gt 0 ]; then
    count=0
    for old in "$PARENT"/*; do
        if [ -f "$old/$MARKER" ]; then count=$((count + 1)); fi
    done
    excess=$((count - KEEP + 1))
    for old in "$PARENT"/*; do
        [ "$excess" -gt 0 ] || break
        [ -f "$old/$MARKER" ] || continue
        mv "$old" "$old.foundry-snapshot-pruning"
        rm -rf "$old.foundry-snapshot-pruning"
        say "prune: removed the old snapshot '$old' (keeping $KEEP)"
        excess=$((excess - 1))
    done
fi

need=$(du -sk "$SOURCE")
need=${need%%[!0-9]*}
free=$(df -Pk "$PARENT" | { read -r _; read -r _ _ _ avail _; printf '%s' "$avail"; })
case "$need$free" in
    '' | *[!0-9]*) say "warning: cannot measure free space on '$PARENT'; copying anyway" ;;
    *)
        want=$((need + need / 10))
        if [ "$free" -lt "$want" ]; then
            fail "not enough free space to snapshot '$SOURCE' ($need KiB, $want KiB with margin) in '$PARENT': $free KiB free; enlarge the volume (spec.storage.size), lower FOUNDRY_SNAPSHOT_KEEP or remove old snapshots, then retry"
        fi
        ;;
esac
cp -a "$SOURCE" "$STAGING"
printf '%s\n' "$KEY" > "$STAGING/$MARKER"
say "copy: '$SOURCE' copied into staging '$STAGING'"
mv "$STAGING" "$SNAPSHOT"
say "done: snapshot '$KEY' of '$SOURCE' is in '$SNAPSHOT'"

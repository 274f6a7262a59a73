#!/bin/sh
# snapshot.sh SOURCE SNAPSHOT_DIR MARKER_KEY
#
# Copy SOURCE (e.g. the worlds volume) to SNAPSHOT_DIR (e.g. /backups/13.348-to-13.351) once per
# MARKER_KEY (the version change id), before Foundry migrates the data. SOURCE is only read.
# The copy goes to a sibling staging folder SNAPSHOT_DIR.foundry-snapshot-staging, gets the marker
# .foundry-snapshot-complete (holding MARKER_KEY) and is then renamed to SNAPSHOT_DIR in one step, so
# SNAPSHOT_DIR either does not exist or is a complete snapshot. A rerun with the same key is a no-op;
# an interrupted run leaves only the staging folder, which the rerun discards and redoes. An existing
# SNAPSHOT_DIR without our marker, or with another key, is refused untouched. A missing SOURCE is an
# error. POSIX sh (busybox ash, dash, bash); uses cp, mv, mkdir, cat, rm (own staging only).
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

[ "$#" -eq 3 ] || fail "usage: snapshot.sh SOURCE SNAPSHOT_DIR MARKER_KEY"
check_path SOURCE "$1"
check_path SNAPSHOT_DIR "$2"
SOURCE=$1
SNAPSHOT=$2
KEY=$3
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
[ -d "$SOURCE" ] || fail "SOURCE '$SOURCE' does not exist or is not a directory"
if exists "$STAGING"; then
    say "discard: partial snapshot '$STAGING'"
    rm -rf "$STAGING"
fi
mkdir -p "${SNAPSHOT%/*}/"
cp -a "$SOURCE" "$STAGING"
printf '%s\n' "$KEY" > "$STAGING/$MARKER"
say "copy: '$SOURCE' copied into staging '$STAGING'"
mv "$STAGING" "$SNAPSHOT"
say "done: snapshot '$KEY' of '$SOURCE' is in '$SNAPSHOT'"

#!/bin/sh
# volume-archive.sh DIR ARCHIVE_DIR [STEP_ID]
#
# Move every entry of DIR into ARCHIVE_DIR (a dated folder the caller picks and keeps stable for one
# transition, e.g. /archive/2026-11-28T063000Z-worlds). Used before new → copied (the old private data
# is archived, then the copy fills DIR) and when an instance is deleted. Never deletes or overwrites:
# an ARCHIVE_DIR holding foreign entries is refused, and a name already in ARCHIVE_DIR stops the run.
# Safe to interrupt and rerun: mv is a rename (keep ARCHIVE_DIR on DIR's filesystem), so each entry is
# in one place or the other and a rerun moves what is left. ARCHIVE_DIR/.foundry-archive-source names
# DIR; ARCHIVE_DIR/.foundry-archive-complete makes reruns no-ops. A missing DIR archives nothing.
# STEP_ID (the transition that asked for it) makes it a one-shot: DIR/.foundry-step-archive-<ID> is
# written when done and later runs with that id do nothing, even if the archive was removed since (a
# rerun would otherwise archive the live data that replaced it).
# DIR's own .foundry-archive-* and .foundry-step-* files stay; .foundry-copy-* markers move with the data, so a later copy
# into DIR starts afresh. POSIX sh (busybox ash, dash, bash); uses mv, mkdir, cat, touch, rm (own files).
set -eu

say() { printf 'volume-archive: %s\n' "$*"; }
fail() { printf 'volume-archive: error: %s\n' "$*" >&2; exit 1; }

check_path() {
    case "$2" in
        /*) ;;
        *) fail "$1 must be an absolute path: '$2'" ;;
    esac
    case "$2" in
        *..*) fail "$1 must not contain '..': '$2'" ;;
    esac
}

[ "$#" -eq 2 ] || [ "$#" -eq 3 ] || fail "usage: volume-archive.sh DIR ARCHIVE_DIR [STEP_ID]"
check_path DIR "$1"
check_path ARCHIVE_DIR "$2"
DIR=$1
ARCHIVE=$2
STEP_ID=${3:-}
case "$STEP_ID" in
    *[!A-Za-z0-9._-]*) fail "STEP_ID must be letters, digits, '.', '_' or '-': '$STEP_ID'" ;;
esac
while [ "$DIR" != "/" ] && [ "${DIR%/}" != "$DIR" ]; do DIR=${DIR%/}; done
while [ "$ARCHIVE" != "/" ] && [ "${ARCHIVE%/}" != "$ARCHIVE" ]; do ARCHIVE=${ARCHIVE%/}; done
[ "$DIR" != "/" ] && [ "$ARCHIVE" != "/" ] || fail "DIR and ARCHIVE_DIR must not be '/'"
[ "$DIR" != "$ARCHIVE" ] || fail "DIR and ARCHIVE_DIR are the same directory: '$DIR'"
case "$ARCHIVE/" in "$DIR"/*) fail "ARCHIVE_DIR '$ARCHIVE' is inside DIR '$DIR'" ;; esac
case "$DIR/" in "$ARCHIVE"/*) fail "DIR '$DIR' is inside ARCHIVE_DIR '$ARCHIVE'" ;; esac

RECORD=$ARCHIVE/.foundry-archive-source
COMPLETE=$ARCHIVE/.foundry-archive-complete

exists() { [ -e "$1" ] || [ -L "$1" ]; }

STEP_DONE=$DIR/.foundry-step-archive-$STEP_ID
mark_done() {
    if [ -n "$STEP_ID" ]; then
        mkdir -p "$DIR"
        touch "$STEP_DONE"
    fi
}
if [ -n "$STEP_ID" ] && exists "$STEP_DONE"; then
    say "skip: step '$STEP_ID' already archived '$DIR'"
    exit 0
fi
if exists "$COMPLETE"; then
    mark_done
    say "skip: '$DIR' was already archived into '$ARCHIVE'"
    exit 0
fi
if exists "$ARCHIVE" && ! [ -d "$ARCHIVE" ]; then fail "ARCHIVE_DIR '$ARCHIVE' exists and is not a directory"; fi
if exists "$DIR" && ! [ -d "$DIR" ]; then fail "DIR '$DIR' exists and is not a directory"; fi

if exists "$RECORD"; then
    started_from=$(cat "$RECORD")
    [ "$started_from" = "$DIR" ] || fail "'$ARCHIVE' already archives '$started_from', not '$DIR'"
    say "resume: unfinished archive of '$DIR' found"
else
    if [ -d "$ARCHIVE" ]; then
        for entry in "$ARCHIVE"/* "$ARCHIVE"/.[!.]* "$ARCHIVE"/..?*; do
            exists "$entry" || continue
            case "${entry##*/}" in .foundry-archive-*) continue ;; esac
            fail "ARCHIVE_DIR '$ARCHIVE' is not empty (it holds '${entry##*/}'); choose another folder"
        done
    fi
    mkdir -p "$ARCHIVE"
    printf '%s\n' "$DIR" > "$RECORD.tmp"
    mv "$RECORD.tmp" "$RECORD"
    say "journal: archive of '$DIR' into '$ARCHIVE' started"
fi

if [ -d "$DIR" ]; then
    for pass in check move; do
        for entry in "$DIR"/* "$DIR"/.[!.]* "$DIR"/..?*; do
            exists "$entry" || continue
            name=${entry##*/}
            case "$name" in .foundry-archive-* | .foundry-step-*) continue ;; esac
            if [ "$pass" = check ]; then
                if exists "$ARCHIVE/$name"; then fail "'$ARCHIVE/$name' already exists; refusing to overwrite it"; fi
            else
                mv "$entry" "$ARCHIVE/$name"
            fi
        done
    done
    say "move: entries of '$DIR' moved into '$ARCHIVE'"
else
    say "move: '$DIR' does not exist, nothing to archive"
fi
touch "$COMPLETE"
rm -f "$RECORD.tmp"
mark_done
say "done: '$DIR' archived into '$ARCHIVE'"

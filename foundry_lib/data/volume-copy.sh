#!/bin/sh
# volume-copy.sh SOURCE TARGET [STEP_ID]
#
# Fill TARGET once from SOURCE, before Foundry starts. Never overwrites: a TARGET that holds anything
# but our own .foundry-copy-* files is refused untouched. Safe to interrupt at any point and rerun:
#   1. journal  TARGET/.foundry-copy-journal (holds SOURCE), written atomically before anything else
#   2. copy     SOURCE's entries into TARGET/.foundry-copy-staging (discarded and redone if interrupted)
#   3. staged   TARGET/.foundry-copy-staged: the staging copy is complete, from here we only move
#   4. move     each staged entry into TARGET with mv (a rename: an entry is in one place or the other,
#               so a rerun just moves what is left; nothing moved is ever discarded). Every name is
#               checked first: one that already exists in TARGET stops the run before any move
#   5. done     TARGET/.foundry-copy-complete; later runs are no-ops
# STEP_ID (the transition that asked for the copy) makes it a one-shot: TARGET/.foundry-step-copy-<ID>
# is written when done and any later run with that id does nothing, even if someone removed the copy
# marker. Before copying, TARGET's filesystem must have room for SOURCE plus a tenth (du, df), else the
# copy is refused before it starts. A missing SOURCE is an error; an empty SOURCE gives an empty, complete TARGET. SOURCE's own
# .foundry-copy-* files are not copied, and a SOURCE whose own copy is unfinished is refused.
# POSIX sh (busybox ash, dash, bash); uses cp, mv, mkdir, rmdir, rm (own staging/markers only), cat,
# touch, du, df.
set -eu

say() { printf 'volume-copy: %s\n' "$*"; }
fail() { printf 'volume-copy: error: %s\n' "$*" >&2; exit 1; }

check_path() {
    case "$2" in
        /*) ;;
        *) fail "$1 must be an absolute path: '$2'" ;;
    esac
    case "$2" in
        *..*) fail "$1 must not contain '..': '$2'" ;;
    esac
}

[ "$#" -eq 2 ] || [ "$#" -eq 3 ] || fail "usage: volume-copy.sh SOURCE TARGET [STEP_ID]"
check_path SOURCE "$1"
check_path TARGET "$2"
SOURCE=$1
TARGET=$2
STEP_ID=${3:-}
case "$STEP_ID" in
    *[!A-Za-z0-9._-]*) fail "STEP_ID must be letters, digits, '.', '_' or '-': '$STEP_ID'" ;;
esac
while [ "$SOURCE" != "/" ] && [ "${SOURCE%/}" != "$SOURCE" ]; do SOURCE=${SOURCE%/}; done
while [ "$TARGET" != "/" ] && [ "${TARGET%/}" != "$TARGET" ]; do TARGET=${TARGET%/}; done
[ "$SOURCE" != "/" ] && [ "$TARGET" != "/" ] || fail "SOURCE and TARGET must not be '/'"
[ "$SOURCE" != "$TARGET" ] || fail "SOURCE and TARGET are the same directory: '$SOURCE'"
case "$TARGET/" in "$SOURCE"/*) fail "TARGET '$TARGET' is inside SOURCE '$SOURCE'" ;; esac
case "$SOURCE/" in "$TARGET"/*) fail "SOURCE '$SOURCE' is inside TARGET '$TARGET'" ;; esac

JOURNAL=$TARGET/.foundry-copy-journal
STAGING=$TARGET/.foundry-copy-staging
STAGED=$TARGET/.foundry-copy-staged
COMPLETE=$TARGET/.foundry-copy-complete

exists() { [ -e "$1" ] || [ -L "$1" ]; }

STEP_DONE=$TARGET/.foundry-step-copy-$STEP_ID
if [ -n "$STEP_ID" ] && exists "$STEP_DONE"; then
    say "skip: step '$STEP_ID' already filled '$TARGET'"
    exit 0
fi

# Refuse before copying when TARGET's filesystem cannot hold SOURCE plus a tenth to spare.
check_space() {
    need=$(du -sk "$SOURCE")
    need=${need%%[!0-9]*}
    free=$(df -Pk "$1" | { read -r _; read -r _ _ _ avail _; printf '%s' "$avail"; })
    case "$need$free" in
        '' | *[!0-9]*) say "warning: cannot measure free space on '$1'; copying anyway"; return 0 ;;
    esac
    want=$((need + need / 10))
    if [ "$free" -lt "$want" ]; then
        fail "not enough free space for '$SOURCE' ($need KiB, $want KiB with margin) in '$1': $free KiB free; enlarge the volume (spec.storage.size) or free space, then retry"
    fi
}

if exists "$COMPLETE"; then
    rm -f "$JOURNAL" "$JOURNAL.tmp" "$STAGED"
    if [ -n "$STEP_ID" ]; then touch "$STEP_DONE"; fi
    say "skip: '$TARGET' was already filled from its source"
    exit 0
fi
[ -d "$SOURCE" ] || fail "SOURCE '$SOURCE' does not exist or is not a directory"
if exists "$SOURCE/.foundry-copy-journal" && ! exists "$SOURCE/.foundry-copy-complete"; then
    fail "SOURCE '$SOURCE' is itself still being filled; retry when its copy is complete"
fi
if exists "$TARGET" && ! [ -d "$TARGET" ]; then fail "TARGET '$TARGET' exists and is not a directory"; fi
mkdir -p "$TARGET"

# Entries of TARGET that are not ours; with no journal, any of them means the target is not ours to fill.
foreign() {
    for entry in "$TARGET"/* "$TARGET"/.[!.]* "$TARGET"/..?*; do
        exists "$entry" || continue
        case "${entry##*/}" in .foundry-copy-* | .foundry-step-*) continue ;; esac
        printf '%s\n' "${entry##*/}"
        return 0
    done
    return 1
}

if exists "$JOURNAL"; then
    started_from=$(cat "$JOURNAL")
    [ "$started_from" = "$SOURCE" ] || fail "an unfinished copy into '$TARGET' was started from '$started_from', not '$SOURCE'"
    say "resume: unfinished copy from '$SOURCE' found"
fi

if ! exists "$STAGED"; then
    if name=$(foreign); then
        fail "TARGET '$TARGET' is not empty (it holds '$name'); refusing to overwrite it"
    fi
    if exists "$STAGING"; then
        say "discard: partial staging copy '$STAGING'"
        rm -rf "$STAGING"
    fi
    check_space "$TARGET"
    if ! exists "$JOURNAL"; then
        printf '%s\n' "$SOURCE" > "$JOURNAL.tmp"
        mv "$JOURNAL.tmp" "$JOURNAL"
        say "journal: copy from '$SOURCE' into '$TARGET' started"
    fi
    mkdir "$STAGING"
    for entry in "$SOURCE"/* "$SOURCE"/.[!.]* "$SOURCE"/..?*; do
        exists "$entry" || continue
        case "${entry##*/}" in .foundry-copy-* | .foundry-step-*) continue ;; esac
        cp -a "$entry" "$STAGING/"
    done
    say "copy: '$SOURCE' copied into staging '$STAGING'"
    touch "$STAGED"
fi

if exists "$STAGING"; then
    for pass in check move; do
        for entry in "$STAGING"/* "$STAGING"/.[!.]* "$STAGING"/..?*; do
            exists "$entry" || continue
            name=${entry##*/}
            if [ "$pass" = check ]; then
                if exists "$TARGET/$name"; then fail "'$TARGET/$name' already exists; refusing to overwrite it"; fi
            else
                mv "$entry" "$TARGET/$name"
            fi
        done
    done
    say "move: staged entries moved into '$TARGET'"
    rmdir "$STAGING"
fi
touch "$COMPLETE"
rm -f "$JOURNAL" "$STAGED"
if [ -n "$STEP_ID" ]; then touch "$STEP_DONE"; fi
say "done: '$TARGET' filled from '$SOURCE'"

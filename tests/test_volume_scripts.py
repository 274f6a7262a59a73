"""The copy, archive and snapshot scripts never lose or overwrite data, even when killed at any step.

Each test runs the script text from `read_script` as `SHELL -c TEXT NAME ARGS...`, the way an init
container does, under /bin/sh, bash and busybox (as in the alpine-based felddy/foundryvtt image). PATH
holds only the commands the scripts may use, so using anything else fails. The kill tests put a
wrapper in front of every command that counts calls and kills the whole script just before call k (a
cp leaves a partial copy behind) or just after it, for every k, then check that a rerun ends exactly
right.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from foundry_lib.adapters.scripts import read_script
from foundry_lib.volumes import Script

COMMANDS = ("cp", "mv", "mkdir", "rmdir", "rm", "cat", "touch", "date", "ls", "find", "du", "df", "sed")
COPY_MARKER = ".foundry-copy-complete"
KILL_WRAPPER = """#!/bin/sh
read n < "$COUNT_FILE"
n=$((n + 1))
echo "$n" > "$COUNT_FILE"
if [ "$n" -eq "$KILL_AT" ]; then
    if [ "$KILL_WHEN" = after ]; then
        {real} "$@"
    elif [ "{name}" = cp ]; then
        for last; do :; done
        {mkdir} -p "$last" && echo partial > "$last/.partial-junk"
    fi
    kill -KILL 0
fi
exec {real} "$@"
"""


@dataclass(frozen=True)
class Shell:
    argv: tuple[str, ...]
    bin_dir: Path
    kill_dir: Path

    def run(
        self,
        script: Script,
        *args: object,
        kill_at: int = 0,
        when: str = "before",
        counter: Path | None = None,
    ):
        env = {"PATH": str(self.bin_dir), "LC_ALL": "C"}
        if counter is not None:
            counter.write_text("0\n")
            env.update(PATH=str(self.kill_dir), COUNT_FILE=str(counter), KILL_AT=str(kill_at), KILL_WHEN=when)
        argv = [*self.argv, "-c", read_script(script), script.value, *map(str, args)]
        return subprocess.run(
            argv, env=env, capture_output=True, text=True, start_new_session=True, timeout=60
        )


@pytest.fixture(params=["sh", "bash", "busybox"])
def shell(request, tmp_path_factory) -> Shell:
    if request.param == "busybox":
        busybox = shutil.which("busybox")
        if busybox is None:
            pytest.skip(
                "busybox is not installed (apt-get install busybox): the felddy/foundryvtt image runs "
                "these scripts under busybox ash, so install it to test that shell"
            )
        argv, real = (busybox, "sh"), dict.fromkeys(COMMANDS, busybox)
    else:
        path = shutil.which(request.param)
        if path is None:
            pytest.skip(f"{request.param} is not installed")
        argv, real = (path,), {name: shutil.which(name) or "" for name in COMMANDS}
    bin_dir = tmp_path_factory.mktemp(f"bin-{request.param}")
    kill_dir = tmp_path_factory.mktemp(f"kill-{request.param}")
    for name, target in real.items():
        (bin_dir / name).symlink_to(target)  # busybox picks the applet from the link's name
        wrapper = kill_dir / name
        wrapper.write_text(KILL_WRAPPER.format(name=name, real=bin_dir / name, mkdir=shutil.which("mkdir")))
        wrapper.chmod(0o755)
    return Shell(argv, bin_dir, kill_dir)


def with_full_disk(shell: Shell, tmp_path: Path, free_kib: int) -> Shell:
    """The same shell with a `df` that reports `free_kib` KiB available (a nearly full volume)."""
    bin_dir = tmp_path / "bin-full-disk"
    bin_dir.mkdir()
    for entry in shell.bin_dir.iterdir():
        if entry.name != "df":
            (bin_dir / entry.name).symlink_to(os.readlink(entry))
    df = bin_dir / "df"
    df.write_text(
        f"#!{shutil.which('sh')}\n"
        "echo 'Filesystem 1024-blocks Used Available Capacity Mounted on'\n"
        f"echo 'nas:/export 1000000 999999 {free_kib} 99% /mnt'\n"
    )
    df.chmod(0o755)
    return replace(shell, bin_dir=bin_dir)


def tree(root: Path) -> dict[str, tuple[object, ...]]:
    """Everything under root: type, content or link target, and permission bits."""
    out: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                out[rel] = ("dir", path.stat().st_mode & 0o7777)
            else:
                out[rel] = ("file", path.read_bytes(), path.stat().st_mode & 0o7777)
    return out


def make_source(root: Path) -> Path:
    """A worlds-like tree with the awkward names a glob loop can miss."""
    files = {
        "alpha/world.json": b'{"id": "alpha"}',
        "alpha/data/actors/000005.ldb": bytes(range(256)),
        "my world/world.json": b"{}",
        ".hidden": b"h",
        "..dots": b"d",
        "-dash": b"-",
        "tool.sh": b"#!/bin/sh\n",
        COPY_MARKER: b"",  # the source's own marker is never copied
    }
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
    (root / "alpha/empty").mkdir()
    (root / "link").symlink_to("alpha")
    (root / ".hidden").chmod(0o600)
    (root / "tool.sh").chmod(0o755)
    os.utime(root / "alpha/world.json", (1_000_000_000, 1_000_000_000))
    os.utime(root / "alpha/data", (1_000_000_000, 1_000_000_000))
    return root


def without(snapshot: dict[str, tuple[object, ...]], *names: str) -> dict[str, tuple[object, ...]]:
    return {rel: value for rel, value in snapshot.items() if rel not in names}


@pytest.fixture
def source(tmp_path) -> Path:
    return make_source(tmp_path / "source")


# --- volume-copy.sh -------------------------------------------------------------------------------


def assert_copied(source: Path, target: Path) -> None:
    assert (target / COPY_MARKER).is_file()
    assert without(tree(target), COPY_MARKER) == without(tree(source), COPY_MARKER)


def test_copy_fills_target_once_keeping_modes_and_times(shell, source, tmp_path):
    before = tree(source)
    result = shell.run(Script.VOLUME_COPY, source, tmp_path / "target")
    assert result.returncode == 0, result.stderr
    assert_copied(source, tmp_path / "target")
    assert tree(source) == before
    assert (tmp_path / "target/alpha/world.json").stat().st_mtime == 1_000_000_000
    assert (tmp_path / "target/alpha/data").stat().st_mtime == 1_000_000_000
    assert all(line.startswith("volume-copy: ") for line in result.stdout.splitlines())


def test_copy_rerun_after_completion_changes_nothing(shell, source, tmp_path):
    target = tmp_path / "target"
    assert shell.run(Script.VOLUME_COPY, source, target).returncode == 0
    (target / "alpha/world.json").write_text("played since")
    (source / "new-in-source").write_text("x")
    after_play = tree(target)
    result = shell.run(Script.VOLUME_COPY, source, target)
    assert result.returncode == 0 and "skip" in result.stdout
    assert tree(target) == after_play


def _half_moved(source: Path, target: Path) -> None:
    staging = target / ".foundry-copy-staging"
    shutil.copytree(source, staging, symlinks=True, ignore=shutil.ignore_patterns(COPY_MARKER))
    for name in ["alpha", ".hidden", "link"]:
        (staging / name).rename(target / name)
    (target / ".foundry-copy-journal").write_text(f"{source}\n")
    (target / ".foundry-copy-staged").touch()


def _partial_staging(source: Path, target: Path) -> None:
    (target / ".foundry-copy-staging/alpha").mkdir(parents=True)
    (target / ".foundry-copy-staging/alpha/world.json").write_text("half")
    (target / ".foundry-copy-journal").write_text(f"{source}\n")


RESUMABLE = {
    "empty-dir": lambda source, target: None,
    "staging-without-journal": lambda source, target: (target / ".foundry-copy-staging/junk").mkdir(
        parents=True
    ),
    "journal-tmp-only": lambda source, target: (target / ".foundry-copy-journal.tmp").write_text("/x"),
    "journal-and-partial-staging": _partial_staging,
    "staged-and-half-moved": _half_moved,
}


@pytest.mark.parametrize("state", RESUMABLE.values(), ids=RESUMABLE.keys())
def test_copy_resumes_an_interrupted_copy_exactly(shell, source, tmp_path, state):
    target = tmp_path / "target"
    target.mkdir()
    state(source, target)
    result = shell.run(Script.VOLUME_COPY, source, target)
    assert result.returncode == 0, result.stderr
    assert_copied(source, target)


def _files(**files: str):
    def build(source: Path, target: Path) -> None:
        for rel, text in files.items():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            (target / rel).write_text(text.replace("SOURCE", str(source)))

    return build


REFUSED_TARGETS = {
    "foreign-world": (_files(**{"existing/world.json": "{}"}), "not empty"),
    "foreign-hidden-file": (_files(**{".config": "x"}), "not empty"),
    "foreign-next-to-journal": (_files(**{".foundry-copy-journal": "SOURCE", "notes": "x"}), "not empty"),
    "journal-from-other-source": (_files(**{".foundry-copy-journal": "/elsewhere"}), "'/elsewhere'"),
    "name-clash-while-moving": (
        _files(
            **{
                ".foundry-copy-journal": "SOURCE",
                ".foundry-copy-staged": "",
                ".foundry-copy-staging/alpha/x": "new",
                "alpha/x": "mine",
            }
        ),
        "refusing to overwrite",
    ),
}


@pytest.mark.parametrize(("state", "message"), REFUSED_TARGETS.values(), ids=REFUSED_TARGETS.keys())
def test_copy_refuses_a_target_it_does_not_own_and_leaves_it_untouched(
    shell, source, tmp_path, state, message
):
    target = tmp_path / "target"
    target.mkdir()
    state(source, target)
    before = tree(target)
    result = shell.run(Script.VOLUME_COPY, source, target)
    assert result.returncode != 0
    assert message in result.stderr
    assert tree(target) == before


def test_copy_of_an_empty_source_completes_empty(shell, tmp_path):
    (tmp_path / "source").mkdir()
    assert shell.run(Script.VOLUME_COPY, tmp_path / "source", tmp_path / "target").returncode == 0
    assert tree(tmp_path / "target") == {
        COPY_MARKER: ("file", b"", (tmp_path / "target" / COPY_MARKER).stat().st_mode & 0o7777)
    }


def test_copy_refuses_a_source_whose_own_copy_is_unfinished(shell, source, tmp_path):
    (source / ".foundry-copy-journal").write_text("/elsewhere")
    (source / COPY_MARKER).unlink()
    result = shell.run(Script.VOLUME_COPY, source, tmp_path / "target")
    assert result.returncode != 0 and "still being filled" in result.stderr
    assert not (tmp_path / "target").exists()


BAD_COPY_ARGS = {
    "relative-source": (["source", "/T/target"], "absolute"),
    "relative-target": (["/T/source", "target"], "absolute"),
    "dotdot": (["/T/source", "/T/x/../target"], "'..'"),
    "same": (["/T/source", "/T/source/"], "same directory"),
    "target-inside-source": (["/T/source", "/T/source/sub"], "inside SOURCE"),
    "source-inside-target": (["/T/source/sub", "/T/source"], "inside TARGET"),
    "missing-source": (["/T/missing", "/T/target"], "does not exist"),
    "one-argument": (["/T/source"], "usage"),
}


@pytest.mark.parametrize(("args", "message"), BAD_COPY_ARGS.values(), ids=BAD_COPY_ARGS.keys())
def test_copy_refuses_bad_arguments_without_touching_anything(shell, source, tmp_path, args, message):
    before = tree(tmp_path)
    result = shell.run(Script.VOLUME_COPY, *(arg.replace("/T", str(tmp_path)) for arg in args))
    assert result.returncode != 0 and message in result.stderr
    assert tree(tmp_path) == before


# --- volume-archive.sh ----------------------------------------------------------------------------

ARCHIVE_MARKERS = (".foundry-archive-complete", ".foundry-archive-source")


def test_archive_moves_everything_including_copy_markers(shell, source, tmp_path):
    before = tree(source)
    result = shell.run(Script.VOLUME_ARCHIVE, source, tmp_path / "archive/2026-11-28T063000Z-worlds")
    assert result.returncode == 0, result.stderr
    archive = tmp_path / "archive/2026-11-28T063000Z-worlds"
    assert tree(source) == {}
    assert without(tree(archive), *ARCHIVE_MARKERS) == before
    assert (archive / ".foundry-archive-source").read_text() == f"{source}\n"


def test_archive_rerun_leaves_new_data_in_place(shell, source, tmp_path):
    archive = tmp_path / "archive"
    assert shell.run(Script.VOLUME_ARCHIVE, source, archive).returncode == 0
    (source / "copied-in-later").write_text("fresh copy")
    before = tree(tmp_path)
    result = shell.run(Script.VOLUME_ARCHIVE, source, archive)
    assert result.returncode == 0 and "skip" in result.stdout
    assert tree(tmp_path) == before


def test_archive_of_a_missing_dir_archives_nothing(shell, tmp_path):
    result = shell.run(Script.VOLUME_ARCHIVE, tmp_path / "never-created", tmp_path / "archive")
    assert result.returncode == 0, result.stderr
    assert sorted(tree(tmp_path / "archive")) == sorted(ARCHIVE_MARKERS)


REFUSED_ARCHIVES = {
    "foreign-archive-dir": (_files(**{"someone-elses": "x"}), "not empty"),
    "archive-of-another-dir": (_files(**{".foundry-archive-source": "/elsewhere"}), "'/elsewhere'"),
    "name-clash-while-moving": (_files(**{".foundry-archive-source": "SOURCE", "alpha": "x"}), "overwrite"),
}


@pytest.mark.parametrize(("state", "message"), REFUSED_ARCHIVES.values(), ids=REFUSED_ARCHIVES.keys())
def test_archive_refuses_a_folder_it_does_not_own(shell, source, tmp_path, state, message):
    archive = tmp_path / "archive"
    archive.mkdir()
    state(source, archive)
    before = tree(tmp_path)
    result = shell.run(Script.VOLUME_ARCHIVE, source, archive)
    assert result.returncode != 0 and message in result.stderr
    assert tree(tmp_path) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dir", "/T/a"], "absolute"),
        (["/T/source", "/T/source/archive"], "inside DIR"),
        (["/T/source", "/T/../a"], "'..'"),
        (["/T/source"], "usage"),
    ],
    ids=["relative", "archive-inside-dir", "dotdot", "one-argument"],
)
def test_archive_refuses_bad_arguments(shell, source, tmp_path, args, message):
    before = tree(tmp_path)
    result = shell.run(Script.VOLUME_ARCHIVE, *(arg.replace("/T", str(tmp_path)) for arg in args))
    assert result.returncode != 0 and message in result.stderr
    assert tree(tmp_path) == before


# --- snapshot.sh ----------------------------------------------------------------------------------

SNAPSHOT_MARKER = ".foundry-snapshot-complete"


def test_snapshot_copies_once_per_key_and_leaves_the_source(shell, source, tmp_path):
    snapshot = tmp_path / "backups/13.348-to-13.351"
    before = tree(source)
    result = shell.run(Script.SNAPSHOT, source, snapshot, "v13.348-13.351")
    assert result.returncode == 0, result.stderr
    assert tree(source) == before
    assert without(tree(snapshot), SNAPSHOT_MARKER) == before
    assert (snapshot / SNAPSHOT_MARKER).read_text() == "v13.348-13.351\n"
    assert (snapshot / "alpha/world.json").stat().st_mtime == 1_000_000_000

    (source / "played-after").write_text("x")
    again = shell.run(Script.SNAPSHOT, source, snapshot, "v13.348-13.351")
    assert again.returncode == 0 and "skip" in again.stdout
    assert without(tree(snapshot), SNAPSHOT_MARKER) == before


def test_snapshot_discards_a_partial_staging_copy(shell, source, tmp_path):
    snapshot = tmp_path / "backups/s1"
    Path(f"{snapshot}.foundry-snapshot-staging/alpha").mkdir(parents=True)
    assert shell.run(Script.SNAPSHOT, source, snapshot, "k1").returncode == 0
    assert without(tree(snapshot), SNAPSHOT_MARKER) == tree(source)
    assert not Path(f"{snapshot}.foundry-snapshot-staging").exists()


REFUSED_SNAPSHOTS = {
    "other-key": (_files(**{SNAPSHOT_MARKER: "k0\n", "alpha/world.json": "old"}), "'k0'"),
    "foreign-dir": (_files(**{"alpha/world.json": "old"}), "not a snapshot"),
}


@pytest.mark.parametrize(("state", "message"), REFUSED_SNAPSHOTS.values(), ids=REFUSED_SNAPSHOTS.keys())
def test_snapshot_refuses_an_existing_folder_it_did_not_make_for_this_key(
    shell, source, tmp_path, state, message
):
    snapshot = tmp_path / "backups/s1"
    snapshot.mkdir(parents=True)
    state(source, snapshot)
    before = tree(tmp_path)
    result = shell.run(Script.SNAPSHOT, source, snapshot, "k1")
    assert result.returncode != 0 and message in result.stderr
    assert tree(tmp_path) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/T/source", "/T/s", ""], "MARKER_KEY"),
        (["/T/source", "/T/s", "a/b"], "MARKER_KEY"),
        (["/T/source", "/T/s", "a b"], "MARKER_KEY"),
        (["/T/source", "s", "k"], "absolute"),
        (["/T/source", "/T/source/s", "k"], "inside SOURCE"),
        (["/T/source", "/T/s"], "usage"),
    ],
    ids=[
        "empty-key",
        "slash-key",
        "space-key",
        "relative",
        "inside-source",
        "two-arguments",
    ],
)
def test_snapshot_refuses_bad_arguments(shell, source, tmp_path, args, message):
    before = tree(tmp_path)
    result = shell.run(Script.SNAPSHOT, *(arg.replace("/T", str(tmp_path)) for arg in args))
    assert result.returncode != 0 and message in result.stderr
    assert tree(tmp_path) == before


# --- killed at every step -------------------------------------------------------------------------


def _archived(t: Path, before: dict[str, tuple[object, ...]]) -> None:
    assert tree(t / "source") == {}
    assert without(tree(t / "archive"), *ARCHIVE_MARKERS) == before


STEP = "worlds-20260101T000000Z"


def _copied_once(t: Path, before: dict[str, tuple[object, ...]]) -> None:
    marker = f".foundry-step-copy-{STEP}"
    assert (t / "target" / marker).is_file()
    assert without(tree(t / "target"), COPY_MARKER, marker) == without(before, COPY_MARKER)


def _archived_once(t: Path, before: dict[str, tuple[object, ...]]) -> None:
    marker = f".foundry-step-archive-{STEP}"
    assert tree(t / "source") == {marker: ("file", b"", (t / "source" / marker).stat().st_mode & 0o7777)}
    assert without(tree(t / "archive"), *ARCHIVE_MARKERS) == before


def _snapshotted(t: Path, before: dict[str, tuple[object, ...]]) -> None:
    assert tree(t / "source") == before
    assert without(tree(t / "snap"), SNAPSHOT_MARKER) == before


KILLABLE = {
    "copy": (
        Script.VOLUME_COPY,
        ["source", "target"],
        lambda t, before: assert_copied(t / "source", t / "target"),
    ),
    "archive": (Script.VOLUME_ARCHIVE, ["source", "archive"], _archived),
    "snapshot": (Script.SNAPSHOT, ["source", "snap", "k1"], _snapshotted),
    "copy-one-shot": (Script.VOLUME_COPY, ["source", "target", STEP], _copied_once),
    "archive-one-shot": (Script.VOLUME_ARCHIVE, ["source", "archive", STEP], _archived_once),
    "snapshot-keeping-two": (Script.SNAPSHOT, ["source", "snap", "k1", "2"], _snapshotted),
}


@pytest.mark.parametrize(("script", "args", "check"), KILLABLE.values(), ids=KILLABLE.keys())
def test_killed_at_any_step_then_rerun_ends_exactly_right(shell, tmp_path, script, args, check):
    def argv(run_dir: Path) -> list[object]:
        return [run_dir / args[0], run_dir / args[1], *args[2:]]

    counter = tmp_path / "calls"
    make_source(tmp_path / "probe/source")
    assert shell.run(script, *argv(tmp_path / "probe"), counter=counter).returncode == 0
    steps = int(counter.read_text())
    assert steps >= 3
    for step in range(1, steps + 1):
        for when in ("before", "after"):  # before: a cp leaves a partial copy; after: the command finished
            run_dir = tmp_path / f"run-{step}-{when}"
            before = tree(make_source(run_dir / "source"))
            killed = shell.run(script, *argv(run_dir), kill_at=step, when=when, counter=counter)
            assert killed.returncode == -9, (step, when, killed.stdout, killed.stderr)
            rerun = shell.run(script, *argv(run_dir))
            assert rerun.returncode == 0, (step, when, rerun.stderr)
            check(run_dir, before)
            assert "skip" in shell.run(script, *argv(run_dir)).stdout, (step, when)


def test_read_script_knows_only_the_shipped_scripts():
    for script in Script:
        assert read_script(script).startswith("#!/bin/sh\n")
    with pytest.raises(ValueError, match="unknown script"):
        read_script("../errors.py")


# --- data safety: free space, pruning, one-shot steps, nothing to snapshot --------------------------


FULL_DISK = {
    "copy": (Script.VOLUME_COPY, ["source", "target"], "target"),
    "snapshot": (Script.SNAPSHOT, ["source", "backups/s1", "k1", "3"], "backups/s1"),
}


@pytest.mark.parametrize(("script", "args", "made"), FULL_DISK.values(), ids=FULL_DISK.keys())
def test_a_copy_that_does_not_fit_is_refused_before_it_starts(shell, source, tmp_path, script, args, made):
    argv = [tmp_path / arg if not arg.isdigit() and arg != "k1" else arg for arg in args]
    (tmp_path / "full").mkdir()
    result = with_full_disk(shell, tmp_path / "full", free_kib=1).run(script, *argv)
    assert result.returncode != 0
    assert "not enough free space" in result.stderr and "1 KiB free" in result.stderr
    assert not (tmp_path / made / "alpha").exists()
    (tmp_path / "roomy").mkdir()
    again = with_full_disk(shell, tmp_path / "roomy", free_kib=10**9).run(script, *argv)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / made / "alpha/world.json").exists()


def _snapshots(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if (p / SNAPSHOT_MARKER).exists())


@pytest.mark.parametrize(
    ("keep", "expected"), [("3", 3), ("1", 1), ("0", 5)], ids=["keep-3", "keep-1", "keep-all"]
)
def test_snapshots_are_pruned_to_the_newest_keep(shell, source, tmp_path, keep, expected):
    backups = tmp_path / "backups"
    for stamp in ("20260101T000000Z", "20260201T000000Z", "20260301T000000Z", "20260401T000000Z"):
        (backups / f"{stamp}-k").mkdir(parents=True)
        (backups / f"{stamp}-k" / SNAPSHOT_MARKER).write_text("k\n")
    (backups / "notes-by-the-gm").mkdir()
    result = shell.run(Script.SNAPSHOT, source, backups / "20260501T000000Z-k", "k5", keep)
    assert result.returncode == 0, result.stderr
    names = _snapshots(backups)
    assert len(names) == expected
    assert names[-1] == "20260501T000000Z-k"  # the new one is always kept
    assert names == sorted(names)[-expected:]  # the oldest went first
    assert (backups / "notes-by-the-gm").is_dir()  # never a folder it did not make
    assert not list(backups.glob("*pruning*"))


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_a_snapshot_of_an_instance_that_never_started_has_nothing_to_do(shell, tmp_path, state):
    if state == "empty":
        (tmp_path / "worlds").mkdir()
    result = shell.run(Script.SNAPSHOT, tmp_path / "worlds", tmp_path / "backups/s1", "k1", "3")
    assert result.returncode == 0, result.stderr
    assert "nothing to snapshot" in result.stdout
    assert not (tmp_path / "backups/s1").exists()


def test_a_one_shot_copy_never_refills_a_played_target(shell, source, tmp_path):
    target = tmp_path / "target"
    assert shell.run(Script.VOLUME_COPY, source, target, "worlds-20260101T000000Z").returncode == 0
    (target / COPY_MARKER).unlink()  # someone tidies up the markers
    shutil.rmtree(target / "alpha")  # and the world is being reorganised
    (target / "played").write_text("since the copy")
    before = tree(target)
    again = shell.run(Script.VOLUME_COPY, source, target, "worlds-20260101T000000Z")
    assert again.returncode == 0 and "skip" in again.stdout
    assert tree(target) == before


def test_a_one_shot_archive_never_archives_the_data_that_replaced_it(shell, source, tmp_path):
    archive = tmp_path / "archive/worlds-20260101T000000Z"
    assert shell.run(Script.VOLUME_ARCHIVE, source, archive, "worlds-20260101T000000Z").returncode == 0
    shutil.rmtree(tmp_path / "archive")  # someone frees space by removing old archives
    (source / "live-world").mkdir()
    (source / "live-world/world.json").write_text("{}")
    before = tree(source)
    again = shell.run(Script.VOLUME_ARCHIVE, source, archive, "worlds-20260101T000000Z")
    assert again.returncode == 0 and "skip" in again.stdout
    assert tree(source) == before
    assert not archive.exists()


def test_clone_into_archive_then_copy_share_one_transition(shell, source, tmp_path):
    mine = tmp_path / "mine"
    (mine / "old-world").mkdir(parents=True)
    step = "worlds-20260101T000000Z"
    assert shell.run(Script.VOLUME_ARCHIVE, mine, tmp_path / "archive", step).returncode == 0
    result = shell.run(Script.VOLUME_COPY, source, mine, step)
    assert result.returncode == 0, result.stderr
    assert (mine / "alpha/world.json").exists() and (tmp_path / "archive/old-world").is_dir()


# --- version-guard.sh -----------------------------------------------------------------------------

PRETTY = (
    '{\n  "id": "w",\n  "title": "W",\n  "system": "dnd5e",\n  "coreVersion": "%s",\n'
    '  "systemVersion": "3.3.1"\n}\n'
)
GUARD_CASES = {
    "older-data": ({"alpha": PRETTY % "12.331"}, "13.348", 0, "ok: 1 world"),
    "same-version": ({"alpha": PRETTY % "13.348"}, "13.348", 0, "ok: 1 world"),
    "newer-build": ({"alpha": PRETTY % "13.351"}, "13.348", 1, "'alpha' was migrated by Foundry 13.351"),
    "newer-generation": ({"beta": PRETTY % "14.359"}, "13.351", 1, "'beta' was migrated by Foundry 14.359"),
    "older-generation-higher-build": ({"alpha": PRETTY % "12.343"}, "13.341", 0, "ok"),
    "one-line-json": (
        {"alpha": '{"id":"alpha","coreVersion":"13.351","system":"pf2e"}'},
        "13.348",
        1,
        "13.351",
    ),
    "no-core-version": ({"alpha": '{"id": "alpha"}'}, "13.348", 0, "records no coreVersion"),
    "one-of-many": ({"a": PRETTY % "13.341", "b": PRETTY % "13.350"}, "13.348", 1, "'b'"),
    "image-revision-arg": ({"alpha": PRETTY % "13.348"}, "13.348.0", 0, "ok"),
}


@pytest.mark.parametrize(("worlds", "core", "code", "said"), GUARD_CASES.values(), ids=GUARD_CASES.keys())
def test_version_guard_refuses_an_older_core_on_newer_worlds(shell, tmp_path, worlds, core, code, said):
    for world, manifest in worlds.items():
        (tmp_path / "worlds" / world).mkdir(parents=True)
        (tmp_path / "worlds" / world / "world.json").write_text(manifest)
    before = tree(tmp_path)
    result = shell.run(Script.VERSION_GUARD, tmp_path / "worlds", core)
    assert result.returncode == code, result.stderr
    assert said in (result.stderr if code else result.stdout)
    if code:
        assert "Refusing to start" in result.stderr
    assert tree(tmp_path) == before  # only reads


def test_version_guard_passes_an_instance_without_worlds(shell, tmp_path):
    result = shell.run(Script.VERSION_GUARD, tmp_path / "never-created", "13.348")
    assert result.returncode == 0 and "no worlds yet" in result.stdout


@pytest.mark.parametrize("core", ["", "latest", "13", "13.x"])
def test_version_guard_refuses_a_bad_core_version(shell, tmp_path, core):
    result = shell.run(Script.VERSION_GUARD, tmp_path, core)
    assert result.returncode != 0 and "CORE_VERSION" in result.stderr

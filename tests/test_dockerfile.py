"""The Dockerfile builds one image per role from a shared build stage, installs exactly what the wheel
test installs (constraints.txt, the same console scripts), runs as a non-root numeric user, and every
image and Promise is tagged with the one version in pyproject.toml, never `latest`."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from conftest import REPO

from foundry_lib.errors import UserError
from foundry_platform.promisegen import check_image, promises_main

DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
SCRIPTS = set(PYPROJECT["project"]["scripts"])
ROLES = {
    "pipelines": None,
    "monitor": "monitor",
    "standby-page": "standby-page",
    "discord-bot": "discord-bot",
}


def _stages() -> dict[str, list[str]]:
    """Stage name → its instructions (continuation lines joined)."""
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if match := re.fullmatch(r"FROM (\S+) AS (\S+)", line):
            current = stages.setdefault(match[2], [f"FROM {match[1]}"])
        else:
            current.append(line)
    return stages


STAGES = _stages()


def test_every_role_has_a_target_built_on_the_shared_runtime() -> None:
    assert set(STAGES) == {"builder", "runtime", *ROLES}
    for role in ROLES:
        assert STAGES[role][0] == "FROM runtime", f"target {role} must build on the shared runtime stage"


def test_a_plain_build_gives_the_pipeline_image() -> None:
    assert list(STAGES)[-1] == "pipelines", "docker build without --target builds the last stage"


def test_runtime_installs_offline_from_the_builder_wheels_and_constraints_txt() -> None:
    builder = " ".join(STAGES["builder"])
    assert "pip wheel --constraint constraints.txt" in builder
    runtime = " ".join(STAGES["runtime"])
    assert "from=builder" in runtime and "--no-index" in runtime
    assert "source=constraints.txt" in runtime and "--constraint" in runtime
    assert not any(i.startswith(("COPY", "ADD")) for i in STAGES["runtime"]), "only wheels reach the runtime"
    assert not re.search(r"apt-get|gcc|build-essential", runtime), "no build tools at runtime"


def test_runtime_runs_as_a_numeric_non_root_user() -> None:
    users = [i.split()[1] for i in STAGES["runtime"] if i.startswith("USER ")]
    assert users and re.fullmatch(r"[1-9]\d*:[1-9]\d*", users[-1])
    assert not any(i.startswith("USER ") for role in ROLES for i in STAGES[role])


@pytest.mark.parametrize(("role", "command"), ROLES.items())
def test_role_starts_a_console_script_the_wheel_installs(role: str, command: str | None) -> None:
    starts = [i for i in STAGES[role] if i.startswith(("CMD", "ENTRYPOINT"))]
    assert starts, f"target {role} starts nothing"
    args = re.findall(r'"([^"]+)"', starts[-1])
    assert args[0] in SCRIPTS, f"{role} starts {args[0]}, not a console script of pyproject.toml"
    if command is not None:
        assert args[1] == command


def _make_dry_run(*args: str) -> str:
    """What `make -n` would run, without running it."""
    return subprocess.run(
        ["make", "-s", "-n", *args], cwd=REPO, capture_output=True, text=True, check=True, timeout=30
    ).stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_images_tags_every_role_with_the_pyproject_version() -> None:
    out = _make_dry_run("images", "REGISTRY=registry.example/team")
    built = dict(re.findall(r"docker build --target (\S+) -t (\S+) \.", out))
    assert set(built) == set(ROLES)
    assert all(
        tag.startswith("registry.example/team/") and tag.endswith(f":{VERSION}") for tag in built.values()
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_promises_uses_the_given_image_and_defaults_to_the_version() -> None:
    def dry(*args: str) -> str:
        return _make_dry_run("promises", "VENV=/nonexistent", *args)

    assert f"--image ghcr.io/foundry-platform/foundry-platform:{VERSION}" in dry()
    assert "--image r.example/fp:1.2.3" in dry("IMAGE=r.example/fp:1.2.3")


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("r.example/fp:1.2.3", None),
        ("r.example:5000/fp:1.2.3", None),
        ("r.example/fp@sha256:" + "a" * 64, None),
        ("r.example/fp:latest", "uses `latest`"),
        ("r.example/fp", "has no tag"),
        ("r.example:5000/fp", "has no tag"),
    ],
)
def test_promises_refuse_an_image_without_a_pinned_tag(image: str, problem: str | None) -> None:
    if problem is None:
        assert check_image(image) == image
    else:
        with pytest.raises(UserError, match=re.escape(problem)):
            check_image(image)


def test_promises_command_names_the_bad_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert promises_main(["--output", str(tmp_path), "--image", "r.example/fp:latest"]) == 2
    assert "--image 'r.example/fp:latest' uses `latest`" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_lists_every_documented_target() -> None:
    """`make help` is how a newcomer finds `make e2e`; a target name with a digit once went missing."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    documented = re.findall(r"^([A-Za-z0-9_-]+):[^\n]*## ", makefile, re.MULTILINE)
    listed = re.findall(
        r"^  make (\S+)",
        subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, check=True).stdout,
        re.MULTILINE,
    )
    assert "e2e" in documented and listed == documented

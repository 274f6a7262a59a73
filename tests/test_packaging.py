"""The wheel is what the image installs: it must carry its package data, install with only its declared
dependencies into a clean virtualenv, and start every console script. The Docker build context must
let in every package the wheel is built from."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from conftest import write_kubeconfig
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from foundry_lib.volumes import Script

REPO = Path(__file__).parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SCRIPTS = sorted(PYPROJECT["project"]["scripts"])
PACKAGES = sorted(p.rstrip("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"])
CONSTRAINTS = REPO / "constraints.txt"
BUILD_INPUTS = ["pyproject.toml", "constraints.txt", PYPROJECT["project"]["readme"], *PACKAGES]
PACKAGE_DATA = ["foundry_lib/data/releases.yaml", *(f"foundry_lib/data/{s.value}" for s in Script)]
PACKAGE_DATA += [
    f"services/standby_page/{f}" for f in ("templates/page.html", "static/page.js", "static/page.css")
]
_TIMEOUT = 300


def _run(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of exactly the Docker build context, so stray files in the tree don't count."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif (REPO / name).is_file():
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", out, source], cwd=source)
    assert built.returncode == 0, f"building the wheel failed:\n{built.stdout}\n{built.stderr}"
    return next(out.glob("foundry_platform-*.whl"))


@pytest.fixture(scope="module")
def venv_bin(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv (no system site-packages) with the wheel and its declared dependencies only."""
    venv = tmp_path_factory.mktemp("venv")
    created = _run([sys.executable, "-m", "venv", "--clear", venv], cwd=venv)
    if created.returncode != 0:
        pytest.skip(f"cannot create a virtualenv here (python3-venv missing?): {created.stderr.strip()}")
    installed = _run(
        [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "-c", CONSTRAINTS, wheel], cwd=venv
    )
    assert installed.returncode == 0, f"installing the wheel failed:\n{installed.stdout}\n{installed.stderr}"
    return venv / "bin"


@pytest.mark.parametrize("member", PACKAGE_DATA)
def test_wheel_carries_package_data(wheel: Path, member: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        assert member in archive.namelist()


@pytest.mark.parametrize("script", SCRIPTS)
def test_console_script_starts_from_the_installed_wheel(venv_bin: Path, script: str) -> None:
    result = _run([venv_bin / script, "--help"], cwd=venv_bin)
    assert result.returncode == 0, f"{script} --help exited {result.returncode}:\n{result.stderr}"
    assert result.stdout.strip(), f"{script} --help printed nothing"


# The commands the images start (Dockerfile ENTRYPOINTs): each must start from the installed wheel.
ROLE_COMMANDS = re.findall(
    r'^ENTRYPOINT \["foundry-platform", "([a-z-]+)"\]$',
    (REPO / "Dockerfile").read_text(encoding="utf-8"),
    re.M,
)


def test_every_service_image_has_a_role_command() -> None:
    assert sorted(ROLE_COMMANDS) == ["discord-bot", "monitor", "standby-page"]


@pytest.mark.parametrize("role", ROLE_COMMANDS)
def test_role_command_starts_from_the_installed_wheel(venv_bin: Path, role: str) -> None:
    result = _run([venv_bin / "foundry-platform", role, "--help"], cwd=venv_bin)
    assert result.returncode == 0, (
        f"foundry-platform {role} --help exited {result.returncode}:\n{result.stderr}"
    )
    assert f"foundry-platform {role}" in result.stdout, result.stdout


@pytest.mark.parametrize("name", BUILD_INPUTS)
def test_docker_build_context_admits_every_build_input(name: str) -> None:
    ignore = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignore[ignore.index("*") :].count(f"!{name}") == 1, f".dockerignore must let in {name}"


def _pins() -> dict[str, str]:
    pins = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


DECLARED = [
    *PYPROJECT["project"]["dependencies"],
    *(dep for extra in PYPROJECT["project"]["optional-dependencies"].values() for dep in extra),
]


@pytest.mark.parametrize("requirement", DECLARED)
def test_constraints_pin_every_declared_dependency_within_its_range(requirement: str) -> None:
    """CI, `make install` and the Dockerfile install from constraints.txt: a range changed in
    pyproject.toml without re-pinning (make constraints) would install something never tested."""
    req = Requirement(requirement)
    pinned = _pins().get(canonicalize_name(req.name))
    assert pinned is not None, f"constraints.txt does not pin {req.name}: run make constraints"
    assert req.specifier.contains(pinned, prereleases=True), (
        f"constraints.txt pins {req.name}=={pinned} outside {req.specifier}: run make constraints"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthz(process: subprocess.Popen[str], port: int) -> int:
    """The status of GET /healthz once the service listens (it must within the deadline)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited {process.returncode}:\n{process.communicate()[1]}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as err:
            return err.code
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered /healthz on 127.0.0.1:{port} within 30 s")


@pytest.fixture(scope="module")
def simulated(venv_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The installed simulator over examples/: the smoke run of `foundry-platform simulate`."""
    state = tmp_path_factory.mktemp("state")
    args = ["simulate", "--state", state, "--now", "2026-11-28T20:00:00Z", "--set", "FOUNDRY_NFS_SERVER=nas"]
    result = _run([venv_bin / "foundry-platform", *args, REPO / "examples"], cwd=state)
    assert result.returncode == 0, f"simulate exited {result.returncode}:\n{result.stderr}"
    assert list((state / "statestore").rglob("*.yaml")), "the simulator wrote nothing to the state store"
    return state


def test_installed_simulator_runs_the_examples(simulated: Path) -> None:
    assert (simulated / "statestore").is_dir()


# Each service as its image starts it, on loopback: the role's command, its port flag, extra args.
SERVICES = {
    "standby-page": ["--host", "127.0.0.1", "--port"],
    "monitor": ["--host", "127.0.0.1", "--metrics-port"],
    "discord-bot": ["--host", "127.0.0.1", "--no-gateway", "--port"],
}


@pytest.mark.parametrize("role", SERVICES)
def test_installed_service_answers_healthz_on_loopback(
    venv_bin: Path, simulated: Path, tmp_path: Path, role: str
) -> None:
    port = _free_port()
    # The standby page serves the simulated cluster; the monitor's API is a closed loopback port, so
    # it starts, its first cycle fails and /healthz still answers (a first cycle has three intervals).
    # The bot, without a gateway connection, needs its token variable and namespaces, not Discord.
    extra = ["--state", str(simulated)] if role == "standby-page" else []
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    if role == "discord-bot":
        env |= {"DISCORD_TOKEN": "smoke-test", "FOUNDRY_DISCORD_NAMESPACES": "tabletop"}
    if role in ("monitor", "discord-bot"):
        env["KUBECONFIG"] = str(
            write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{_free_port()}", token="t")
        )
    process = subprocess.Popen(
        [str(venv_bin / "foundry-platform"), role, *SERVICES[role], str(port), *extra],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _healthz(process, port) == 200
    finally:
        process.terminate()
        process.communicate(timeout=30)

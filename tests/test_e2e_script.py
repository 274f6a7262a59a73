"""scripts/e2e.sh (`make e2e`) cannot run here (no Docker engine): its pure parts run against stub
docker/kind/kubectl/make that record their arguments. Strict mode, a timeout on every wait, the
order of the steps, the images it loads, and a cluster deleted even when a step fails."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import REPO

SCRIPT = REPO / "scripts" / "e2e.sh"
TEXT = SCRIPT.read_text(encoding="utf-8")
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")

# A kubectl that answers like a cluster where everything works; the switch takes effect on `patch`.
KUBECTL = r"""#!/usr/bin/env bash
echo "kubectl $*" >> "$STUB_LOG"
[[ "$*" == *"${FAIL_ON:-@never@}"* ]] && exit 1
active=$(cat "$STUB_STATE" 2>/dev/null || echo campaign-alpha)
case "$*" in
  "patch fl/guild"*) echo campaign-beta > "$STUB_STATE" ;;
  "get promise "*) printf Available ;;
  "get destinations -o name") echo destination/worker-1 ;;
  "get httproutes"*) printf 'httproute/a\nhttproute/b\n' ;;
  *"get fl/guild"*activeInstance*) printf %s "$active" ;;
  *"get fi/campaign-alpha"*isActive*) [[ $active == campaign-alpha ]] && printf true || printf false ;;
  *"get fi/campaign-beta"*isActive*) [[ $active == campaign-beta ]] && printf true || printf false ;;
esac
exit 0
"""
RECORDER = '#!/usr/bin/env bash\necho "$(basename "$0") $*" >> "$STUB_LOG"\n'


def _run(tmp_path: Path, *, fail_on: str | None = None) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, text in {"kubectl": KUBECTL, "kind": RECORDER, "docker": RECORDER, "make": RECORDER}.items():
        (stubs / name).write_text(text, encoding="utf-8")
        (stubs / name).chmod(0o755)
    env = {
        "PATH": f"{stubs}:{os.environ['PATH']}",
        "STUB_LOG": str(tmp_path / "log"),
        "STUB_STATE": str(tmp_path / "state"),
        "TIMEOUT": "5s",
    }
    if fail_on:
        env["FAIL_ON"] = fail_on
    result = subprocess.run(
        [str(SCRIPT)], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    log = (tmp_path / "log").read_text(encoding="utf-8").splitlines() if (tmp_path / "log").exists() else []
    return result, log


def test_the_script_is_strict() -> None:
    assert TEXT.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in TEXT
    assert os.access(SCRIPT, os.X_OK)


def test_every_wait_has_a_timeout() -> None:
    waits = [line for line in TEXT.splitlines() if re.search(r"kubectl (wait|.*rollout status)", line)]
    assert waits
    assert all("--timeout=" in line for line in waits), [w for w in waits if "--timeout=" not in w]
    assert all(re.match(r"\s*retry_until \d+ ", line) for line in TEXT.splitlines() if "retry_until " in line
               and not line.lstrip().startswith(("#", "retry_until()")))  # fmt: skip


def test_a_full_run_creates_installs_checks_a_switch_and_deletes_the_cluster(tmp_path: Path) -> None:
    result, log = _run(tmp_path)
    assert result.returncode == 0, result.stderr
    assert log[0] == "kind create cluster --name foundry-e2e --wait 5s"
    assert log[-1] == "kind delete cluster --name foundry-e2e"
    loaded = [line.split()[3] for line in log if line.startswith("kind load docker-image")]
    assert loaded == [
        f"ghcr.io/foundry-platform/{name}:{VERSION}"
        for name in ("foundry-platform", "foundry-platform-monitor", "foundry-platform-standby-page")
    ]
    order = [
        "make images",
        "kubectl apply -k deploy/base -l kratix.io/promise-version",  # the Promises first: their
        "kubectl get namespace foundry-system",  # dependencies create the services' namespace
        "kubectl apply -k deploy/base",
        "kubectl apply -k deploy/examples/gateway",
        "kubectl apply -f deploy/examples/tenant/license.yaml -f deploy/examples/tenant/instances.yaml",
        "kubectl patch fl/guild *",
    ]
    positions = [
        next(
            i
            for i, line in enumerate(log)
            if line == step or (step.endswith("*") and line.startswith(step[:-1]))
        )
        for step in order
    ]
    assert positions == sorted(positions)
    assert "e2e passed" in result.stderr


def test_the_gateway_is_the_repositorys_example_not_one_of_its_own() -> None:
    own = [d for d in yaml.safe_load_all((REPO / "scripts" / "e2e-gateway.yaml").read_text()) if d]
    assert [d["kind"] for d in own] == ["GatewayClass"]
    (example,) = [
        d for d in yaml.safe_load_all((REPO / "deploy/examples/gateway/gateway.yaml").read_text()) if d
    ]
    assert example["spec"]["gatewayClassName"] == own[0]["metadata"]["name"]


def test_a_failing_step_still_deletes_the_cluster_and_says_what_failed(tmp_path: Path) -> None:
    result, log = _run(tmp_path, fail_on="apply -k deploy/base")
    assert result.returncode != 0
    assert log[-1] == "kind delete cluster --name foundry-e2e"
    assert not any(line.startswith("kubectl patch") for line in log)


@pytest.mark.parametrize(
    ("command", "code", "message"),
    [
        ("n=0; retry_until 10 thing eval '((++n >= 3))'; echo tries=$n", 0, "tries=3"),
        ("retry_until 1 'the moon' false", 1, "e2e: timed out after 1s waiting for the moon"),
    ],
)
def test_retry_until_retries_then_gives_up_naming_what_it_waited_for(
    command: str, code: int, message: str
) -> None:
    script = f"source {SCRIPT}; sleep() {{ :; }}; {command}"
    result = subprocess.run(
        [str(BASH), "-c", script], cwd=REPO, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == code
    assert message in result.stdout + result.stderr


def test_missing_tools_are_named(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {"PATH": f"{empty}:/usr/bin:/bin"}
    script = f"source {SCRIPT}; require surely-not-a-tool-here"
    result = subprocess.run(
        [str(BASH), "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert (result.returncode, result.stderr.strip()) == (
        1,
        "e2e: surely-not-a-tool-here is required on the PATH",
    )

"""The Kratix edge and the error rule: what a pipeline leaves behind for each kind of outcome."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from foundry_lib.adapters.kratix import KratixIO
from foundry_lib.errors import TransientError, UserError, WaitError
from foundry_lib.kube import FOUNDRY_INSTANCE, SECRET, KubeAPI, KubeObject
from foundry_lib.outcome import EnsureSecret, Outcome, WorkflowControl
from foundry_platform.simulator.memory_kube import MemoryKube
from foundry_platform.simulator.state import ClusterState
from pipelines.runtime import entrypoint, run_workflow

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
OBJ = {
    "apiVersion": "foundry.platform/v1alpha1",
    "kind": "FoundryInstance",
    "metadata": {"name": "alpha", "namespace": "tabletop"},
    "spec": {"licenseRef": {"name": "guild"}},
}
DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}


@pytest.fixture
def kratix(tmp_path: Path) -> Path:
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "object.yaml").write_text(yaml.safe_dump(OBJ))
    return tmp_path


@pytest.fixture
def kube(tmp_path: Path) -> MemoryKube:
    state = ClusterState(tmp_path / "cluster")
    state.put(FOUNDRY_INSTANCE, dict(OBJ))
    return MemoryKube(state)


def _run(kratix: Path, kube: KubeAPI, outcome_or_error: Outcome | Exception, dry_run: bool = False) -> int:
    def decide(obj: KubeObject, api: KubeAPI, env: Mapping[str, str], now: datetime) -> Outcome:
        if isinstance(outcome_or_error, Exception):
            raise outcome_or_error
        return outcome_or_error

    env = {"KRATIX_DRY_RUN": "true"} if dry_run else {}
    return run_workflow(decide, io=KratixIO(kratix, env), kube=kube, kind=FOUNDRY_INSTANCE, now=NOW)


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text()) if path.exists() else None


def _published(kube: MemoryKube) -> dict[str, Any]:
    return (kube.get(FOUNDRY_INSTANCE, "tabletop", "alpha") or {}).get("status") or {}


def test_success_writes_outputs_status_and_carries_out_effects(kratix: Path, kube: MemoryKube) -> None:
    outcome = Outcome(
        outputs={"deployment.yaml": [DEPLOYMENT]},
        status={"message": "ok"},
        effects=(EnsureSecret("tabletop", "alpha-admin", "adminKey"),),
    )
    assert _run(kratix, kube, outcome) == 0
    assert _read(kratix / "output" / "deployment.yaml") == DEPLOYMENT
    assert _read(kratix / "metadata" / "status.yaml") == {"message": "ok"}
    assert not (kratix / "metadata" / "workflow-control.yaml").exists()
    assert kube.get(SECRET, "tabletop", "alpha-admin") is not None


def test_retry_after_is_written_as_workflow_control(kratix: Path, kube: MemoryKube) -> None:
    outcome = Outcome(
        outputs={}, status={}, control=WorkflowControl(retry_after=timedelta(minutes=5), message="w")
    )
    assert _run(kratix, kube, outcome) == 0
    assert _read(kratix / "metadata" / "workflow-control.yaml") == {"retryAfter": "5m", "message": "w"}


def test_user_error_publishes_suspends_and_writes_no_output(kratix: Path, kube: MemoryKube) -> None:
    error = UserError("spec.foundryVersion: bad", reason="InvalidRequest")
    assert _run(kratix, kube, error) == 0
    assert not (kratix / "output").exists() or not any((kratix / "output").iterdir())
    assert _read(kratix / "metadata" / "workflow-control.yaml") == {
        "suspend": True,
        "message": "spec.foundryVersion: bad",
    }
    for status in (_read(kratix / "metadata" / "status.yaml"), _published(kube)):
        assert status["message"] == "spec.foundryVersion: bad"
        assert status["conditions"][0]["status"] == "False"


def test_a_wait_writes_status_and_retry_after_but_no_output(kratix: Path, kube: MemoryKube) -> None:
    error = WaitError("waiting for alpha to stop", reason="SourceRunning", retry_after=timedelta(seconds=30))
    assert _run(kratix, kube, error) == 0
    assert not (kratix / "output").exists() or not any((kratix / "output").iterdir())
    assert _read(kratix / "metadata" / "workflow-control.yaml") == {
        "retryAfter": "30s",
        "message": "waiting for alpha to stop",
    }
    status = _read(kratix / "metadata" / "status.yaml")
    assert status["message"] == "waiting for alpha to stop"
    assert status["conditions"][0]["reason"] == "SourceRunning"


def test_transient_error_publishes_and_exits_non_zero_without_files(kratix: Path, kube: MemoryKube) -> None:
    assert _run(kratix, kube, TransientError("API said 503")) == 1
    assert not (kratix / "metadata" / "status.yaml").exists()
    assert "API said 503" in _published(kube)["message"]


def test_a_bug_says_so_without_the_traceback_as_the_only_explanation(
    kratix: Path, kube: MemoryKube, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(kratix, kube, KeyError("boom")) == 1
    assert "internal error" in _published(kube)["message"]
    assert "KeyError" in capsys.readouterr().err


def test_dry_run_renders_without_api_side_effects(kratix: Path, kube: MemoryKube) -> None:
    outcome = Outcome(
        outputs={"deployment.yaml": [DEPLOYMENT]},
        status={"message": "ok"},
        effects=(EnsureSecret("tabletop", "alpha-admin", "adminKey"),),
        publish_status=True,
    )
    assert _run(kratix, kube, outcome, dry_run=True) == 0
    assert _read(kratix / "output" / "deployment.yaml") == DEPLOYMENT
    assert kube.get(SECRET, "tabletop", "alpha-admin") is None
    assert _published(kube) == {}
    assert _run(kratix, kube, UserError("nope"), dry_run=True) == 0
    assert _published(kube) == {}


def test_console_script_help_and_missing_cluster_config(
    kratix: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    main = entrypoint(lambda *a: Outcome(outputs={}, status={}), FOUNDRY_INSTANCE, "test pipeline")
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0 and "/kratix" in capsys.readouterr().out
    monkeypatch.setenv("KRATIX_ROOT", str(kratix))
    monkeypatch.setenv("KUBECONFIG", str(kratix / "no-such-kubeconfig"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 1
    assert "cannot reach the Kubernetes API" in capsys.readouterr().err


def test_published_status_replaces_nested_keys_like_kratix_does() -> None:
    from pipelines.runtime import replacing_patch

    old = {"volumes": {"plugins": {"mode": "shared", "source": {"instance": "a"}}}, "message": "x"}
    new = {"volumes": {"plugins": {"mode": "new"}}}
    assert replacing_patch(old, new) == {"volumes": {"plugins": {"mode": "new", "source": None}}}

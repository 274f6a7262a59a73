"""The Kratix edge and the error rule: what a pipeline leaves behind for each kind of outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from foundry_lib.adapters.kratix import KratixIO
from foundry_lib.errors import ConflictError, ForbiddenError, TransientError, UserError, WaitError
from foundry_lib.kube import FOUNDRY_INSTANCE, SECRET, KubeAPI, KubeObject
from foundry_lib.outcome import EnsureSecret, Outcome, WorkflowControl
from foundry_platform.simulator.memory_kube import MemoryKube
from foundry_platform.simulator.state import ClusterState
from pipelines.runtime import BUG_MESSAGE, entrypoint, run_workflow

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


class Recording(MemoryKube):
    """MemoryKube that keeps every status patch it served, and can fail the first list call."""

    def __init__(self, state: ClusterState, fail_with: Exception | None = None) -> None:
        super().__init__(state)
        self.status_patches: list[dict[str, Any]] = []
        self.fail_with = fail_with

    def list(self, kind: Any, namespace: str, labels: Mapping[str, str] | None = None) -> list[KubeObject]:
        if self.fail_with is not None:
            raise self.fail_with
        return super().list(kind, namespace, labels)

    def merge_patch_status(self, kind: Any, namespace: str, name: str, status: KubeObject) -> KubeObject:
        self.status_patches.append(dict(status))
        return super().merge_patch_status(kind, namespace, name, status)


def _listing(api: KubeAPI) -> Outcome:
    api.list(FOUNDRY_INSTANCE, "tabletop")
    return Outcome(outputs={"deployment.yaml": [DEPLOYMENT]}, status={"message": "ok"})


@dataclass(frozen=True)
class Path_:
    case: str
    action: str
    error: Exception | None  # raised by decide (through the API when it is a KubeAPI failure)
    from_api: bool
    code: int
    control: dict[str, Any] | None
    reason: str | None  # of the condition in status.yaml (None: no status.yaml)
    says: str  # in the message
    api_patches: list[dict[str, Any]]


WAIT = WaitError("waiting for beta to detach", reason="PoolInUse", retry_after=timedelta(seconds=30))
FORBIDDEN = ForbiddenError("list", "foundryinstances", "tabletop")
BUG = {"message": BUG_MESSAGE}
PATHS = [
    Path_(
        "refusal-suspends",
        "configure",
        UserError("spec.x: bad", reason="InvalidRequest"),
        False,
        0,
        {"suspend": True, "message": "spec.x: bad"},
        "InvalidRequest",
        "spec.x: bad",
        [],
    ),
    Path_(
        "refused-delete-requeues",
        "delete",
        UserError("in use", reason="InUse"),
        False,
        0,
        {"retryAfter": "15s"},
        "InUse",
        "in use (next try in 15s, attempt 1)",
        [],
    ),
    Path_(
        "wait-requeues-with-its-delay",
        "configure",
        WAIT,
        False,
        0,
        {"retryAfter": "30s"},
        "PoolInUse",
        "waiting for beta to detach (next try in 30s",
        [],
    ),
    Path_("wait-in-a-delete", "delete", WAIT, False, 0, {"retryAfter": "30s"}, "PoolInUse", "attempt 1", []),
    Path_(
        "5xx-requeues",
        "configure",
        TransientError("HTTP 503"),
        True,
        0,
        {"retryAfter": "15s"},
        "TransientError",
        "temporary failure, will retry: HTTP 503",
        [],
    ),
    Path_(
        "409-requeues",
        "configure",
        ConflictError("HTTP 409"),
        True,
        0,
        {"retryAfter": "15s"},
        "TransientError",
        "HTTP 409",
        [],
    ),
    Path_(
        "failed-delete-requeues",
        "delete",
        TransientError("timed out"),
        True,
        0,
        {"retryAfter": "15s"},
        "TransientError",
        "timed out",
        [],
    ),
    Path_(
        "403-is-platform-misconfigured",
        "configure",
        FORBIDDEN,
        True,
        0,
        {"retryAfter": "15s"},
        "PlatformMisconfigured",
        "may not list foundryinstances in namespace tabletop",
        [],
    ),
    Path_("bug-exits-1-with-message-only", "configure", KeyError("boom"), False, 1, None, None, "", [BUG]),
    Path_("ownership-violation-is-a-bug", "configure", None, False, 1, None, None, "", [BUG]),
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.case)
def test_every_error_becomes_status_control_and_exit_code(tmp_path: Path, kratix: Path, path: Path_) -> None:
    state = ClusterState(tmp_path / "cluster")
    state.put(FOUNDRY_INSTANCE, dict(OBJ))
    kube = Recording(state, path.error if path.from_api else None)

    def decide(obj: KubeObject, api: KubeAPI, env: Mapping[str, str], now: datetime) -> Outcome:
        if path.error is not None and not path.from_api:
            raise path.error
        if path.case == "ownership-violation-is-a-bug":
            return Outcome(outputs={}, status={"isActive": True})  # the license pipeline's key
        return _listing(api)

    env = {"KRATIX_WORKFLOW_ACTION": path.action}
    code = run_workflow(decide, io=KratixIO(kratix, env), kube=kube, kind=FOUNDRY_INSTANCE, now=NOW)

    assert code == path.code
    assert not (kratix / "output").exists() or not any((kratix / "output").iterdir())
    control = _read(kratix / "metadata" / "workflow-control.yaml")
    assert (control and {k: v for k, v in control.items() if k != "message"}) == (
        path.control and {k: v for k, v in path.control.items() if k != "message"}
    )
    status = _read(kratix / "metadata" / "status.yaml")
    if path.reason is None:
        assert status is None
    else:
        [cond] = status["conditions"]
        assert cond["type"] == ("Deleted" if path.action == "delete" else "Accepted")
        assert (cond["status"], cond["reason"]) == ("False", path.reason)
        assert path.says in status["message"] and cond["message"] == status["message"]
        if control is not None:
            assert control["message"] == status["message"]
    assert kube.status_patches == path.api_patches
    assert all("conditions" not in patch for patch in kube.status_patches)


def test_backoff_doubles_from_the_recorded_attempt_and_stops_at_ten_minutes(
    kratix: Path, kube: MemoryKube
) -> None:
    delays = []
    for _ in range(8):
        assert _run(kratix, kube, TransientError("HTTP 500")) == 0
        delays.append(_read(kratix / "metadata" / "workflow-control.yaml")["retryAfter"])
        status = _read(kratix / "metadata" / "status.yaml")
        kube.merge_patch_status(FOUNDRY_INSTANCE, "tabletop", "alpha", status)  # what Kratix applies
        (kratix / "input" / "object.yaml").write_text(
            yaml.safe_dump(kube.get(FOUNDRY_INSTANCE, "tabletop", "alpha"))
        )
    assert delays == ["15s", "30s", "1m", "2m", "4m", "8m", "10m", "10m"]
    assert _run(kratix, kube, Outcome(outputs={}, status={"message": "ok"})) == 0
    assert _read(kratix / "metadata" / "status.yaml") == {"message": "ok", "retry": {"attempts": 0}}


def test_a_bug_says_so_without_the_traceback_as_the_only_explanation(
    kratix: Path, kube: MemoryKube, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(kratix, kube, KeyError("boom")) == 1
    assert _published(kube) == {"message": BUG_MESSAGE}
    assert "KeyError" in capsys.readouterr().err


def test_a_published_status_never_carries_conditions(kratix: Path, kube: MemoryKube) -> None:
    outcome = Outcome(
        outputs={},
        status={"message": "ok", "hostname": "h", "conditions": [{"type": "Accepted", "status": "True"}]},
        publish_status=True,
    )
    assert _run(kratix, kube, outcome) == 0
    assert _published(kube) == {"message": "ok", "hostname": "h"}
    assert _read(kratix / "metadata" / "status.yaml")["conditions"] == [
        {"type": "Accepted", "status": "True"}
    ]


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

"""The simulator honours Kratix workflow control (retryAfter on the simulated clock, suspend), the
manual-reconciliation label and deletion as finalizer + delete workflow, as Kratix does."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from foundry_lib.kube import FOUNDRY_LICENSE, KubeAPI, KubeObject
from foundry_lib.outcome import MANUAL_RECONCILIATION as MANUAL
from foundry_lib.outcome import Outcome, WorkflowControl
from foundry_platform.cli import main as cli_main
from foundry_platform.simulator.engine import Engine
from foundry_platform.simulator.kratix_status import SUSPENDED_LABEL as SUSPENDED
from foundry_platform.simulator.kratix_status import kratix_conditions
from pipelines.registry import WORKFLOWS

T0 = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
LICENSE = {
    "apiVersion": "foundry.platform/v1alpha1",
    "kind": "FoundryLicense",
    "metadata": {"name": "guild", "namespace": "tabletop"},
    "spec": {"licenseSecretRef": {"name": "s", "key": "k"}, "baseDomain": "vtt.example.com"},
}


def _engine(state: Path, now: datetime, control: WorkflowControl | None, runs: list[datetime]) -> Engine:
    def decide(obj: KubeObject, kube: KubeAPI, env: Mapping[str, str], at: datetime) -> Outcome:
        runs.append(at)
        return Outcome(
            outputs={"x.yaml": [{"apiVersion": "v1", "kind": "ConfigMap"}]}, status={}, control=control
        )

    registry = {**WORKFLOWS, "foundry-license-configure": (decide, FOUNDRY_LICENSE)}
    return Engine(state, now, {}, registry)


def _simulate(
    state: Path, now: datetime, control: WorkflowControl | None, runs: list[datetime], apply: bool
) -> None:
    engine = _engine(state, now, control, runs)
    if apply:
        engine.apply(LICENSE)
    engine.settle()
    engine.save()


def test_retry_after_reruns_only_once_the_simulated_clock_passes_it(tmp_path: Path) -> None:
    runs: list[datetime] = []
    wait = WorkflowControl(retry_after=timedelta(minutes=10), message="waiting for players to leave")
    _simulate(tmp_path, T0, wait, runs, apply=True)
    assert runs == [T0]
    _simulate(tmp_path, T0 + timedelta(minutes=5), wait, runs, apply=False)
    assert runs == [T0]  # not due yet
    _simulate(tmp_path, T0 + timedelta(minutes=11), None, runs, apply=False)
    assert runs == [T0, T0 + timedelta(minutes=10)]  # run when it fell due, not when we looked
    _simulate(tmp_path, T0 + timedelta(minutes=30), None, runs, apply=False)
    assert len(runs) == 2  # succeeded: nothing left to do


def test_a_suspended_workflow_waits_for_a_spec_change(tmp_path: Path) -> None:
    runs: list[datetime] = []
    suspend = WorkflowControl(suspend=True, message="refused")
    _simulate(tmp_path, T0, suspend, runs, apply=True)
    _simulate(tmp_path, T0 + timedelta(hours=1), suspend, runs, apply=True)  # same spec: no rerun
    assert runs == [T0]
    changed = {**LICENSE, "spec": {**LICENSE["spec"], "baseDomain": "other.example.com"}}
    engine = _engine(tmp_path, T0 + timedelta(hours=2), None, runs)
    engine.apply(changed)
    engine.settle()
    assert runs == [T0, T0 + timedelta(hours=2)]


def test_a_retrying_run_writes_no_work(tmp_path: Path) -> None:
    runs: list[datetime] = []
    _simulate(tmp_path, T0, WorkflowControl(retry_after=timedelta(minutes=1)), runs, apply=True)
    assert not (tmp_path / "statestore" / "foundry-license").exists()
    _simulate(tmp_path, T0 + timedelta(minutes=2), None, runs, apply=False)
    assert (tmp_path / "statestore" / "foundry-license" / "tabletop" / "guild" / "render" / "x.yaml").exists()


def _deleting_engine(
    state: Path, now: datetime, delete_control: WorkflowControl | None, runs: list[str]
) -> Engine:
    """Configure succeeds; delete answers with `delete_control` (None: succeeds)."""

    def configure(obj: KubeObject, kube: KubeAPI, env: Mapping[str, str], at: datetime) -> Outcome:
        runs.append("configure")
        return Outcome(outputs={"x.yaml": []}, status={"message": "configured"})

    def delete(obj: KubeObject, kube: KubeAPI, env: Mapping[str, str], at: datetime) -> Outcome:
        runs.append("delete")
        message = delete_control.message if delete_control else "deleted"
        return Outcome(outputs=None, status={"message": message}, control=delete_control)

    registry = {
        **WORKFLOWS,
        "foundry-license-configure": (configure, FOUNDRY_LICENSE),
        "foundry-license-delete": (delete, FOUNDRY_LICENSE),
    }
    return Engine(state, now, {}, registry)


def _guild(engine: Engine) -> KubeObject | None:
    return engine.state.get(FOUNDRY_LICENSE, "tabletop", "guild")


def test_the_manual_reconciliation_label_reruns_configure_and_kratix_removes_it(tmp_path: Path) -> None:
    runs: list[str] = []
    engine = _deleting_engine(tmp_path, T0, None, runs)
    engine.apply(LICENSE)
    engine.settle()
    engine.kube.merge_patch(FOUNDRY_LICENSE, "tabletop", "guild", {"metadata": {"labels": {MANUAL: "true"}}})
    engine.settle()
    assert runs == ["configure", "configure"]
    assert MANUAL not in ((_guild(engine) or {})["metadata"].get("labels") or {})
    status = (_guild(engine) or {})["status"]
    assert status["observedGeneration"] == 1
    assert {"ConfigureWorkflowCompleted", "WorksSucceeded", "Reconciled"} <= set(kratix_conditions(status))


def test_a_deleted_object_stays_until_its_delete_workflow_succeeds(tmp_path: Path) -> None:
    runs: list[str] = []
    wait = WorkflowControl(retry_after=timedelta(minutes=10), message="waiting for dependents")
    engine = _deleting_engine(tmp_path, T0, wait, runs)
    engine.apply(LICENSE)
    engine.settle()
    engine.delete(LICENSE)
    engine.settle()
    kept = _guild(engine)
    assert kept is not None and kept["metadata"]["deletionTimestamp"] and kept["metadata"]["finalizers"]
    assert kept["metadata"]["labels"][SUSPENDED] == "true"
    assert engine.attention() == [
        "waiting: FoundryLicense tabletop/guild: delete runs again at 2026-11-28T20:10:00Z: "
        "waiting for dependents"
    ]
    engine.save()
    later = _deleting_engine(tmp_path, T0 + timedelta(minutes=30), None, runs)
    later.settle()  # the retry fell due at 20:10; it succeeds now
    assert runs == ["configure", "delete", "delete"]
    assert _guild(later) is None
    assert later.attention() == []


def test_a_suspended_delete_is_reported_stuck_and_not_rerun_by_time(tmp_path: Path) -> None:
    runs: list[str] = []
    suspend = WorkflowControl(suspend=True, message="still used by alpha")
    engine = _deleting_engine(tmp_path, T0, suspend, runs)
    engine.apply(LICENSE)
    engine.settle()
    engine.delete(LICENSE)
    engine.settle()
    engine.now = T0 + timedelta(days=1)
    engine.settle()
    assert runs == ["configure", "delete"]
    [stuck] = engine.attention()
    assert stuck.startswith("STUCK: FoundryLicense tabletop/guild:") and "still used by alpha" in stuck
    conditions = kratix_conditions((_guild(engine) or {})["status"])
    assert conditions["DeleteWorkflowCompleted"]["reason"] == "DeleteWorkflowSuspended"
    # Kratix runs a suspended delete again when the manual-reconciliation label is set
    # (reconcileSuspendedWorkflow, dynamic_resource_request_controller.go), and only then.
    engine.kube.merge_patch(FOUNDRY_LICENSE, "tabletop", "guild", {"metadata": {"labels": {MANUAL: "true"}}})
    engine.settle()
    assert runs == ["configure", "delete", "delete"]


def test_simulate_with_no_files_runs_what_fell_due(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs: list[datetime] = []
    _simulate(tmp_path, T0, WorkflowControl(retry_after=timedelta(minutes=10)), runs, apply=True)
    argv = ["simulate", "--state", str(tmp_path), "--now", "2026-11-28T21:00:00Z"]
    with pytest.raises(SystemExit) as done:
        cli_main(argv)
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "ran FoundryLicense tabletop/guild configure/render" in out


def test_a_status_patch_with_conditions_wipes_kratix_conditions(tmp_path: Path) -> None:
    """Why no writer but status.yaml may send `conditions`: a merge patch replaces the whole array."""
    runs: list[str] = []
    engine = _deleting_engine(tmp_path, T0, None, runs)
    engine.apply(LICENSE)
    engine.settle()
    accepted = {"type": "Accepted", "status": "False", "reason": "X", "message": "m"}
    engine.kube.merge_patch_status(FOUNDRY_LICENSE, "tabletop", "guild", {"conditions": [accepted]})
    assert (_guild(engine) or {})["status"]["conditions"] == [accepted]
    assert kratix_conditions((_guild(engine) or {})["status"]) == {}

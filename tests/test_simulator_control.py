"""The simulator honours Kratix workflow control: retryAfter against the simulated clock, suspend."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from foundry_lib.kube import FOUNDRY_LICENSE, KubeAPI, KubeObject
from foundry_lib.outcome import Outcome, WorkflowControl
from foundry_platform.simulator.engine import Engine
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

"""Deletes resume by themselves: they wait with retryAfter, and objects being deleted block nothing.

Table tests of the pure decisions, then the simulator: a whole tenant deleted in one step completes,
and a delete waiting on a dependent completes once the dependent lets go.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_volumes_e2e import LICENSE, ROOT, instance

from foundry_lib.errors import WaitError
from foundry_lib.instance_delete import DeleteFacts, plan_instance_delete
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_lib.license_delete import LicenseDeleteFacts, plan_license_delete
from foundry_platform.simulator.engine import Engine

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
NS = "guild"
GONE = {"deletionTimestamp": "2026-11-28T19:59:00Z"}


def _inst(
    name: str, license_name: str = "guild", *, deleting: bool = False, **volumes: Any
) -> dict[str, Any]:
    meta = {"name": name, "namespace": NS, **(GONE if deleting else {})}
    return {"metadata": meta, "spec": {"licenseRef": {"name": license_name}, "volumes": volumes}}


@pytest.mark.parametrize(
    ("case", "instances", "waits_for"),
    [
        ("no-instances", [], None),
        ("a-live-user-blocks", [_inst("alpha"), _inst("beta")], "alpha, beta"),
        ("users-being-deleted-do-not-block", [_inst("alpha", deleting=True)], None),
        ("only-live-users-are-named", [_inst("alpha", deleting=True), _inst("beta")], "beta"),
        ("another-license-s-instance-does-not-count", [_inst("alpha", "other")], None),
    ],
)
def test_license_delete(case: str, instances: list[dict[str, Any]], waits_for: str | None) -> None:
    facts = LicenseDeleteFacts("guild", instances)
    if waits_for is None:
        assert plan_license_delete(facts).outputs is None
        return
    with pytest.raises(WaitError) as waiting:
        plan_license_delete(facts)
    assert waiting.value.reason == "LicenseInUse"
    assert f"still used by {waits_for}:" in waiting.value.message
    assert "completes by itself" in waiting.value.message


POOL_USER = {"plugins": {"mode": "shared", "source": {"instance": "alpha"}}}


@pytest.mark.parametrize(
    ("case", "others", "waits_for"),
    [
        ("no-dependents", [_inst("beta")], None),
        ("a-live-dependent-blocks", [_inst("gamma", **POOL_USER)], "gamma (plugins)"),
        ("a-dependent-being-deleted-does-not-block", [_inst("gamma", deleting=True, **POOL_USER)], None),
    ],
)
def test_instance_delete(case: str, others: list[dict[str, Any]], waits_for: str | None) -> None:
    facts = DeleteFacts("alpha", NS, "guild", {}, others, retain_claims=True, now=NOW)
    if waits_for is None:
        assert plan_instance_delete(facts).outputs is None
        return
    with pytest.raises(WaitError) as waiting:
        plan_instance_delete(facts)
    assert (waiting.value.reason, waiting.value.retry_after) == ("PoolInUse", timedelta(seconds=15))
    assert waits_for in waiting.value.message


def _tenant(tmp_path: Path) -> Engine:
    engine = Engine(tmp_path / "state", NOW, {"FOUNDRY_NFS_SERVER": "nas", "FOUNDRY_NFS_INSTANCE_ROOT": ROOT})
    for doc in (
        LICENSE,
        instance("alpha", plugins={"mode": "shared"}),
        instance("beta", {"mode": "copied", "source": {"instance": "alpha"}}),
        instance("gamma", plugins={"mode": "shared", "source": {"instance": "alpha"}}),
    ):
        engine.apply(doc)
        engine.settle()
    return engine


def _left(engine: Engine) -> list[str]:
    return sorted(
        o["metadata"]["name"]
        for kind in (FOUNDRY_LICENSE, FOUNDRY_INSTANCE)
        for o in engine.state.of_kind(kind)
    )


def test_deleting_a_whole_tenant_in_one_step_completes(tmp_path: Path) -> None:
    engine = _tenant(tmp_path)
    for doc in (LICENSE, instance("alpha"), instance("beta"), instance("gamma")):
        engine.delete(doc)
    engine.settle()
    assert _left(engine) == []
    left = [
        str(p.relative_to(engine.root / "statestore")) for p in (engine.root / "statestore").rglob("*.yaml")
    ]
    assert left == ["dependencies/foundry-license/static/foundry-license-dependencies.yaml"]  # the Promise's
    assert {r.result for r in engine.runs if r.action == "delete"} == {"succeeded"}


def test_a_delete_waiting_for_its_dependent_completes_once_it_lets_go(tmp_path: Path) -> None:
    engine = _tenant(tmp_path)
    engine.delete(instance("alpha"))
    engine.settle()
    alpha = engine.state.get(FOUNDRY_INSTANCE, NS, "alpha")
    assert alpha is not None and "gamma (plugins)" in alpha["status"]["message"]
    assert [r.result for r in engine.runs if r.action == "delete"] == ["retry"]  # waits, never suspends

    engine.apply(instance("gamma"))  # gamma detaches from alpha's pool
    engine.settle()
    engine.now += timedelta(minutes=15)  # whatever re-runs the delete, retryAfter has fallen due by now
    engine.settle()
    assert engine.state.get(FOUNDRY_INSTANCE, NS, "alpha") is None
    assert _left(engine) == ["beta", "gamma", "guild"]

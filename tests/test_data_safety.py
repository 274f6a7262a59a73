"""Worlds are never opened by two servers, copied while written, or opened by an older core; refused
edits change nothing. Each case runs the real pipelines through the simulator (Kratix's engine).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_lib.outcome import MANUAL_RECONCILIATION
from foundry_platform.simulator.engine import Engine

T0 = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
NS = "tabletop"


def license_(active: str | None = "alpha", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "licenseSecretRef": {"name": "guild-license", "key": "licenseKey"},
        "credentialsSecretRef": {"name": "guild-account"},
        "baseDomain": "vtt.example.com",
        "switchover": {"whenPlayersConnected": "force"},  # no monitor here: switch without waiting
        **spec,
    }
    if active:
        body["activeInstanceName"] = active
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryLicense",
        "metadata": {"name": "guild", "namespace": NS},
        "spec": body,
    }


def instance(name: str, *, worlds: Any = None, plugins: Any = None, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryInstance",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "licenseRef": {"name": "guild"},
            "volumes": {"worlds": worlds or {"mode": "new"}, "plugins": plugins or {"mode": "new"}},
            **spec,
        },
    }


SHARED = {"mode": "shared"}
ON_ALPHA = {"mode": "shared", "source": {"instance": "alpha"}}
COPY_ALPHA = {"mode": "copied", "source": {"instance": "alpha"}}


class Sim:
    def __init__(self, root: Path, **env: str) -> None:
        self.engine = Engine(root, T0, env)
        self.root = root

    def apply(self, *docs: dict[str, Any]) -> None:
        for doc in docs:
            self.engine.apply(copy.deepcopy(doc))
            self.engine.now += timedelta(seconds=1)  # creation order is visible
        self.engine.settle()

    def later(self, seconds: int = 60) -> None:
        self.engine.now += timedelta(seconds=seconds)
        self.engine.settle()

    def rerun(self, name: str) -> None:
        """What the license or any nudge does: Kratix's manual-reconciliation label."""
        self.engine.kube.merge_patch(
            FOUNDRY_INSTANCE, NS, name, {"metadata": {"labels": {MANUAL_RECONCILIATION: "true"}}}
        )
        self.engine.settle()

    def monitor_sees_started(self, name: str, version: str | None = None) -> None:
        """The monitor's keys: Foundry answers, and started (checkedAt - uptime) just now."""
        self.engine.now += timedelta(minutes=5)
        at = self.engine.now.strftime("%Y-%m-%dT%H:%M:%SZ")
        foundry = {"reachable": True, "checkedAt": at, "startedAt": at, "version": version}
        observed = {"foundry": {k: v for k, v in foundry.items() if v is not None}}
        self.engine.kube.merge_patch_status(FOUNDRY_INSTANCE, NS, name, observed)

    def status(self, name: str) -> dict[str, Any]:
        obj = self.engine.state.get(FOUNDRY_INSTANCE, NS, name)
        assert obj is not None, name
        return dict(obj["status"])

    def license_status(self) -> dict[str, Any]:
        obj = self.engine.state.get(FOUNDRY_LICENSE, NS, "guild")
        assert obj is not None
        return dict(obj["status"])

    def reason(self, name: str) -> str:
        return next(c["reason"] for c in self.status(name)["conditions"] if c["type"] == "Accepted")

    def work(self, name: str, file: str) -> list[dict[str, Any]] | None:
        path = self.root / "statestore" / "foundry-instance" / NS / name / "render" / file
        return [d for d in yaml.safe_load_all(path.read_text()) if d] if path.exists() else None

    def replicas(self, name: str) -> int | None:
        """What the applied Work asks for; None when no Work was ever written."""
        docs = self.work(name, "deployment.yaml")
        return None if docs is None else int(docs[0]["spec"]["replicas"])

    def init(self, name: str) -> dict[str, list[str]]:
        docs = self.work(name, "deployment.yaml")
        assert docs is not None, name
        pod = docs[0]["spec"]["template"]["spec"]
        return {c["name"]: c["command"][4:] for c in pod.get("initContainers", [])}

    def hostnames(self) -> dict[str, str]:
        path = self.root / "statestore" / "foundry-license" / NS / "guild" / "render" / "routes.yaml"
        routes = [d for d in yaml.safe_load_all(path.read_text()) if d]
        return {
            r["metadata"]["labels"]["app.kubernetes.io/instance"]: r["spec"]["hostnames"][0] for r in routes
        }


@pytest.fixture
def sim(tmp_path: Path) -> Sim:
    return Sim(tmp_path)


# --- one server per pool, counting every running server (issue 11 item 6, issue 10 item 7) ---------

REFUSED_EDITS = {
    "refused (unknown version)": {"foundryVersion": "13.999"},
    "invalid (unknown field)": {"bogus": True},
}


@pytest.mark.parametrize("edit", REFUSED_EDITS.values(), ids=REFUSED_EDITS.keys())
@pytest.mark.parametrize("kind", ["worlds", "plugins"])
def test_a_refused_server_that_still_runs_keeps_its_pool_peer_stopped(sim: Sim, kind: str, edit: Any) -> None:
    alpha = instance("alpha", **{kind: SHARED})
    sim.apply(license_("alpha"), alpha, instance("beta", **{kind: ON_ALPHA}))
    assert (sim.replicas("alpha"), sim.replicas("beta")) == (1, 0)
    broken = copy.deepcopy(alpha)
    broken["spec"].update(edit)
    sim.apply(broken)  # refused: alpha's last Work, which runs, stays applied
    sim.apply(license_("beta"))
    assert (sim.replicas("alpha"), sim.replicas("beta")) == (1, 0)  # never two servers on one pool
    assert sim.reason("beta") == "PoolPeerRunning" and "alpha" in sim.status("beta")["message"]
    sim.apply(alpha)  # fixed: alpha stops and wakes beta
    assert (sim.replicas("alpha"), sim.replicas("beta")) == (0, 1)
    assert sim.status("alpha")["replicas"] == 0 and sim.status("beta")["replicas"] == 1


def test_pool_members_mount_plugins_read_write_and_run_one_at_a_time(sim: Sim) -> None:
    sim.apply(license_("alpha"), instance("alpha", plugins=SHARED), instance("gamma", plugins=ON_ALPHA))
    mounts = sim.work("gamma", "deployment.yaml")[0]["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert not any(m.get("readOnly") for m in mounts["volumeMounts"])
    assert (sim.replicas("alpha"), sim.replicas("gamma")) == (1, 0)
    sim.apply(license_("gamma"))
    assert (sim.replicas("alpha"), sim.replicas("gamma")) == (0, 1)


def test_lowering_max_instances_stops_the_newest_but_never_the_routed_one(sim: Sim) -> None:
    sim.apply(license_("gamma", restrictions={"maxInstances": 3}))
    sim.apply(instance("alpha"), instance("beta"), instance("gamma"))
    assert [sim.replicas(n) for n in ("alpha", "beta", "gamma")] == [1, 1, 1]
    sim.apply(license_("gamma", restrictions={"maxInstances": 2}))
    assert [sim.replicas(n) for n in ("alpha", "beta", "gamma")] == [1, 0, 1]
    assert sim.reason("beta") == "InstanceLimitReached"
    assert "stopped" in sim.status("beta")["message"] and "maxInstances" in sim.status("beta")["message"]
    sim.apply(instance("delta"))  # refused beyond the limit: renders nothing at all
    assert sim.replicas("delta") is None and sim.reason("delta") == "InstanceLimitReached"


# --- copies only from stopped sources, never from newer data (issue 10 item 5, issue 11 item 7) ----


def test_a_copy_waits_until_its_source_stops_then_completes(sim: Sim) -> None:
    sim.apply(license_("alpha"), instance("alpha"))
    sim.apply(instance("beta", worlds=COPY_ALPHA))
    assert sim.replicas("beta") is None  # nothing rendered: no copy of a live database
    assert sim.reason("beta") == "SourceRunning" and "'alpha'" in sim.status("beta")["message"]
    assert sim.engine.books[f"foundryinstances/{NS}/beta"]["retryAt"]  # retries on its own
    sim.apply(license_(None, standby={"scaleToZero": True}))  # alpha is stopped
    assert sim.replicas("alpha") == 0
    assert "copy-worlds" in sim.init("beta") and sim.status("beta")["volumes"]["worlds"]["mode"] == "copied"


def test_a_copy_from_data_a_newer_core_opened_is_refused(sim: Sim) -> None:
    sim.apply(license_(None, standby={"scaleToZero": True}), instance("alpha", foundryVersion="13.351"))
    sim.apply(instance("beta", worlds=COPY_ALPHA, foundryVersion="13.348"))
    assert sim.replicas("beta") is None and sim.reason("beta") == "SourceDataNewer"
    assert "13.351" in sim.status("beta")["message"]


# --- the data guard and pool versions (issue 11 item 7) ----------------------------------------------


def test_every_start_is_guarded_by_the_worlds_recorded_core_version(sim: Sim) -> None:
    sim.apply(license_("alpha"), instance("alpha", foundryVersion="13.348"))
    steps = sim.init("alpha")
    assert list(steps)[-1] == "version-guard"  # last: after any copy or snapshot
    assert steps["version-guard"] == ["/mnt/0/data", "13.348"]


def test_a_pool_dependent_follows_the_owner_and_a_different_version_is_refused(sim: Sim) -> None:
    quiet = license_(None, standby={"scaleToZero": True})
    sim.apply(quiet, instance("alpha", worlds=SHARED, foundryVersion="13.348", autoUpdate="none"))
    sim.apply(instance("beta", worlds=ON_ALPHA))
    assert sim.status("beta")["foundryVersion"]["resolved"] == "13.348"  # follows its owner
    sim.apply(instance("alpha", worlds=SHARED, foundryVersion="13.351", autoUpdate="none"))
    assert (
        sim.status("beta")["foundryVersion"]["resolved"] == "13.351"
    )  # the owner's upgrade brought it along
    sim.apply(instance("beta", worlds=ON_ALPHA, foundryVersion="14.359"))
    assert sim.reason("beta") == "PoolVersionMismatch" and "13.351" in sim.status("beta")["message"]
    assert sim.status("beta")["foundryVersion"]["resolved"] == "13.351"


# --- snapshots and one-shot steps (issue 10 item 6, issue 11 item 9) ---------------------------------


def test_a_version_change_snapshots_once_and_says_where(sim: Sim) -> None:
    sim.apply(license_("alpha"), instance("alpha", foundryVersion="13.348"))
    sim.apply(instance("alpha", foundryVersion="13.351"))
    assert "snapshot-worlds" in sim.init("alpha")
    snapshot = sim.status("alpha")["foundryVersion"]["snapshot"]
    assert snapshot["keep"] == 3 and snapshot["step"] == "pending"
    assert snapshot["folders"]["worlds"] == "pvc://tabletop/foundry-alpha-worlds/backups/data"
    assert snapshot["locations"]["worlds"].startswith(snapshot["folders"]["worlds"] + "/")
    sim.monitor_sees_started("alpha", version="13.348")  # the old pod answered: not done
    sim.rerun("alpha")
    assert "snapshot-worlds" in sim.init("alpha")
    sim.monitor_sees_started("alpha", version="13.351")
    sim.rerun("alpha")
    assert "snapshot-worlds" not in sim.init("alpha")  # done: not rendered again
    assert sim.status("alpha")["foundryVersion"]["snapshot"]["step"] == "done"


def test_snapshots_keep_the_platform_setting(tmp_path: Path) -> None:
    sim = Sim(tmp_path, FOUNDRY_SNAPSHOT_KEEP="5")
    sim.apply(license_("alpha"), instance("alpha", foundryVersion="13.348"))
    sim.apply(instance("alpha", foundryVersion="13.351"))
    assert sim.init("alpha")["snapshot-worlds"][3] == "5"


def test_copy_steps_are_one_shot_and_leave_once_foundry_started(sim: Sim) -> None:
    sim.apply(license_(None, standby={"scaleToZero": True}), instance("alpha"))
    sim.apply(instance("beta", worlds=COPY_ALPHA))
    step_id = sim.init("beta")["copy-worlds"][2]
    sim.rerun("beta")
    assert sim.init("beta")["copy-worlds"][2] == step_id  # rendered with the same id until done
    sim.monitor_sees_started("beta")
    sim.rerun("beta")
    assert "copy-worlds" not in sim.init("beta")
    assert sim.status("beta")["volumes"]["worlds"]["sourceLocation"]  # the relation stays recorded


def test_a_csi_clone_keeps_its_data_source_on_every_run(tmp_path: Path) -> None:
    sim = Sim(tmp_path, FOUNDRY_CSI_CLONE="true")
    sim.apply(license_(None), instance("alpha"), instance("beta", worlds=COPY_ALPHA))
    sim.apply(license_(None, standby={"scaleToZero": True}))
    claims = {c["metadata"]["name"]: c["spec"] for c in sim.work("beta", "storage.yaml") or []}
    first = claims["foundry-beta-worlds"]["dataSource"]
    sim.rerun("beta")
    claims = {c["metadata"]["name"]: c["spec"] for c in sim.work("beta", "storage.yaml") or []}
    assert (
        claims["foundry-beta-worlds"]["dataSource"]
        == first
        == {
            "kind": "PersistentVolumeClaim",
            "name": "foundry-alpha-worlds",
        }
    )


# --- refused edits change nothing anywhere (issue 11 item 10) ----------------------------------------


def test_a_refused_license_edit_does_not_reach_its_instances(sim: Sim) -> None:
    lic = license_("alpha", defaults={"resources": {"memory": "1Gi"}})
    sim.apply(lic, instance("alpha"))
    edited = license_("nobody", defaults={"resources": {"memory": "3Gi"}})
    sim.apply(edited)  # refused: unknown active instance
    assert sim.license_status()["accepted"]["spec"]["defaults"]["resources"]["memory"] == "1Gi"
    sim.rerun("alpha")
    assert sim.status("alpha")["effective"]["memory"]["value"] == "1Gi"


def test_a_refused_instance_edit_keeps_its_route(sim: Sim) -> None:
    sim.apply(license_("alpha"), instance("alpha"))
    assert sim.hostnames() == {"alpha": "alpha.vtt.example.com"}
    sim.apply(instance("alpha", hostname="elsewhere.vtt.example.com", foundryVersion="13.999"))
    sim.apply(license_("alpha", standby={"scaleToZero": False}))  # any license run
    assert sim.hostnames() == {"alpha": "alpha.vtt.example.com"}
    assert sim.status("alpha")["accepted"]["generation"] == 1


def test_the_demo_shows_a_copy_that_completes(tmp_path: Path) -> None:
    from conftest import REPO
    from test_simulator import simulate

    assert simulate(tmp_path / "state", REPO / "examples") == 0
    sim = Sim(tmp_path / "state")  # reads the state the demo left
    gamma = sim.engine.state.get(FOUNDRY_INSTANCE, NS, "campaign-gamma")
    assert gamma is not None and gamma["status"]["volumes"]["worlds"]["mode"] == "copied"
    assert "copy-worlds" in sim.init("campaign-gamma")


def test_attaching_to_a_pool_archives_once_and_keeps_the_step_until_foundry_started(sim: Sim) -> None:
    quiet = license_(None, standby={"scaleToZero": True})
    sim.apply(quiet, instance("alpha", worlds=SHARED), instance("beta"))
    sim.apply(instance("beta", worlds=ON_ALPHA))  # new → shared dependent: its private worlds are archived
    first = sim.init("beta")["archive-worlds"]
    assert first[0] == "/mnt/0/data" and "/archive/worlds-" in first[1]
    sim.rerun("beta")
    assert sim.init("beta")["archive-worlds"] == first  # same transition, same folder, same id
    sim.monitor_sees_started("beta")
    sim.rerun("beta")
    assert "archive-worlds" not in sim.init("beta")
    assert sim.status("beta")["volumes"]["worlds"]["archive"].endswith(first[2])

"""Volume modes end to end in the simulator: copy, share, detach, refuse — and never lose data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from test_simulator import simulate, snapshot, statestore

from foundry_lib.kube import FOUNDRY_INSTANCE
from foundry_platform.simulator.state import ClusterState

NS = "guild"
ROOT = "/volume1/foundry/instances"
LICENSE = {
    "apiVersion": "foundry.platform/v1alpha1",
    "kind": "FoundryLicense",
    "metadata": {"name": "guild", "namespace": NS},
    "spec": {
        "licenseSecretRef": {"name": "guild-license", "key": "licenseKey"},
        "credentialsSecretRef": {"name": "guild-account"},
        "baseDomain": "guild.example.com",
        "activeInstanceName": "alpha",
        "sharedNfsRoot": "/volume1/foundry/shared/guild",
        "defaults": {"storage": {"backend": "nfs"}, "foundryVersion": "13.x"},
        "switchover": {"whenPlayersConnected": "force"},  # no monitor here: switch without waiting
    },
}
ENV = ("--set", f"FOUNDRY_NFS_INSTANCE_ROOT={ROOT}")
# No instance routed and standby scaled to zero: no server runs, so copies never wait for a source.
QUIET = {
    **LICENSE,
    "spec": {
        **{k: v for k, v in LICENSE["spec"].items() if k != "activeInstanceName"},
        "standby": {"scaleToZero": True},
    },
}


def instance(
    name: str, worlds: dict[str, Any] | None = None, plugins: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryInstance",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "licenseRef": {"name": "guild"},
            "volumes": {"worlds": worlds or {"mode": "new"}, "plugins": plugins or {"mode": "new"}},
        },
    }


class Cluster:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.state = tmp_path / "state"
        self.count = 0

    def apply(self, *docs: dict[str, Any], delete: bool = False) -> None:
        self.count += 1
        path = self.tmp / f"step-{self.count}.yaml"
        path.write_text(yaml.safe_dump_all(list(docs)))
        extra = (*ENV, "--delete") if delete else ENV
        assert simulate(self.state, path, extra=extra) == 0

    def status(self, name: str) -> dict[str, Any]:
        obj = ClusterState(self.state).get(FOUNDRY_INSTANCE, NS, name)
        assert obj is not None, name
        return obj["status"]

    def deployment(self, name: str) -> dict[str, Any]:
        return statestore(self.state)[f"foundry-instance/{NS}/{name}/render/deployment.yaml"][0]

    def pod(self, name: str) -> dict[str, Any]:
        return self.deployment(name)["spec"]["template"]["spec"]

    def mount(self, name: str, path: str) -> dict[str, Any]:
        return next(m for m in self.pod(name)["containers"][0]["volumeMounts"] if m["mountPath"] == path)

    def init(self, name: str) -> dict[str, list[str]]:
        return {c["name"]: c["command"][4:] for c in self.pod(name).get("initContainers", [])}


@pytest.fixture
def cluster(tmp_path: Path) -> Cluster:
    c = Cluster(tmp_path)
    c.apply(QUIET, instance("alpha"))
    c.apply(
        instance(
            "beta",
            {"mode": "copied", "source": {"instance": "alpha"}},
            {"mode": "copied", "source": {"instance": "alpha"}},
        )
    )
    c.apply(instance("alpha", plugins={"mode": "shared"}))
    c.apply(instance("gamma", plugins={"mode": "shared", "source": {"instance": "alpha"}}))
    return c


def test_a_copy_is_filled_from_its_source_before_foundry_starts(cluster: Cluster) -> None:
    steps = cluster.init("beta")
    assert steps["copy-worlds"][:2] == ["/mnt/0/guild/alpha/worlds", "/mnt/0/guild/beta/worlds"]
    assert steps["copy-plugins"][:2] == ["/mnt/0/guild/alpha/plugins", "/mnt/0/guild/beta/plugins"]
    assert steps["copy-worlds"][2].startswith("worlds-")  # the one-shot id of the transition
    assert cluster.status("beta")["volumes"]["worlds"]["mode"] == "copied"


def test_converting_to_shared_publishes_the_pool_in_place(cluster: Cluster) -> None:
    plugins = cluster.status("alpha")["volumes"]["plugins"]
    assert plugins["mode"] == "shared"
    assert plugins["location"] == f"nfs://nas.example.internal{ROOT}/guild/alpha/plugins"


def test_a_dependent_mounts_the_owners_plugins_read_write(cluster: Cluster) -> None:
    # LevelDB packs cannot be opened read-only: pools are protected by exclusivity, not mount flags.
    mount = cluster.mount("gamma", "/data/Data/modules")
    assert mount == {
        "name": mount["name"],
        "mountPath": "/data/Data/modules",
        "subPath": "guild/alpha/plugins/modules",
    }
    owner = cluster.mount("alpha", "/data/Data/modules")
    assert "readOnly" not in owner


def test_owner_cannot_leave_its_pool_until_the_dependent_detaches(cluster: Cluster) -> None:
    before = snapshot(cluster.state / "statestore" / "foundry-instance" / NS / "alpha")
    cluster.apply(instance("alpha", plugins={"mode": "new"}))
    assert snapshot(cluster.state / "statestore" / "foundry-instance" / NS / "alpha") == before
    message = cluster.status("alpha")["message"]
    assert "gamma" in message and "spec.volumes.plugins" in message
    cluster.apply(instance("gamma", plugins={"mode": "new"}))  # gamma detaches; alpha resumes by itself
    plugins = cluster.status("alpha")["volumes"]["plugins"]
    assert plugins["mode"] == "new"
    assert plugins["location"] == f"nfs://nas.example.internal{ROOT}/guild/alpha/plugins"  # data stays put


def test_detaching_a_copy_keeps_its_data_path(cluster: Cluster) -> None:
    before = cluster.status("beta")["volumes"]["worlds"]["location"]
    cluster.apply(instance("beta", {"mode": "new"}, {"mode": "copied", "source": {"instance": "alpha"}}))
    after = cluster.status("beta")["volumes"]["worlds"]
    assert (after["mode"], after["location"]) == ("new", before)
    assert "copy-worlds" not in cluster.init("beta") and "copy-plugins" in cluster.init("beta")


def test_a_copy_cannot_become_shared_in_place(cluster: Cluster) -> None:
    before = snapshot(cluster.state / "statestore" / "foundry-instance" / NS / "beta")
    cluster.apply(instance("beta", {"mode": "shared"}, {"mode": "copied", "source": {"instance": "alpha"}}))
    assert snapshot(cluster.state / "statestore" / "foundry-instance" / NS / "beta") == before
    message = cluster.status("beta")["message"]
    assert "spec.volumes.worlds" in message and "Allowed from copied" in message


def test_deleting_a_pool_owner_waits_for_its_dependents(cluster: Cluster) -> None:
    cluster.apply(instance("alpha", plugins={"mode": "shared"}), delete=True)
    alpha = ClusterState(cluster.state).get(FOUNDRY_INSTANCE, NS, "alpha")
    assert alpha is not None and "gamma" in alpha["status"]["message"]
    assert (cluster.state / "statestore" / "foundry-instance" / NS / "alpha").exists()
    cluster.apply(instance("gamma", plugins={"mode": "new"}))
    assert ClusterState(cluster.state).get(FOUNDRY_INSTANCE, NS, "alpha") is None


def test_cloning_into_an_existing_volume_archives_the_old_data_first(cluster: Cluster) -> None:
    cluster.apply(
        instance(
            "gamma",
            {"mode": "copied", "source": {"instance": "alpha"}},
            {"mode": "shared", "source": {"instance": "alpha"}},
        )
    )
    steps = cluster.init("gamma")
    assert [s for s in steps if s != "prepare-data"][:2] == ["archive-worlds", "copy-worlds"]
    source, archive, step_id = steps["archive-worlds"]
    assert steps["copy-worlds"][2] == step_id  # archive and copy belong to one transition
    assert source == "/mnt/0/guild/gamma/worlds" and archive.startswith("/mnt/0/guild/gamma/archive/worlds-")
    recorded = cluster.status("gamma")["volumes"]["worlds"]["archive"]
    cluster.apply(
        instance(
            "gamma",
            {"mode": "copied", "source": {"instance": "alpha"}},
            {"mode": "shared", "source": {"instance": "alpha"}},
        )
    )
    assert cluster.status("gamma")["volumes"]["worlds"]["archive"] == recorded  # same folder on every run


def test_instances_sharing_a_worlds_pool_never_run_together(tmp_path: Path) -> None:
    c = Cluster(tmp_path)
    c.apply(
        LICENSE,
        instance("alpha", {"mode": "shared"}),
        instance("beta", {"mode": "shared", "source": {"instance": "alpha"}}),
    )
    replicas = {n: c.deployment(n)["spec"]["replicas"] for n in ("alpha", "beta")}
    assert replicas == {"alpha": 1, "beta": 0}
    switched = {**LICENSE, "spec": {**LICENSE["spec"], "activeInstanceName": "beta"}}
    c.apply(switched)
    replicas = {n: c.deployment(n)["spec"]["replicas"] for n in ("alpha", "beta")}
    assert replicas == {"alpha": 0, "beta": 1}
    assert c.mount("beta", "/data/Data/worlds")["subPath"] == "alpha/worlds"  # the pool under the shared root


@pytest.mark.parametrize(
    ("case", "volumes", "message"),
    [
        (
            "missing source",
            {"worlds": {"mode": "copied", "source": {"instance": "nobody"}}},
            "not an instance",
        ),
        ("self as source", {"worlds": {"mode": "copied", "source": {"instance": "delta"}}}, "itself"),
        (
            "attach to a non-owner",
            {"plugins": {"mode": "shared", "source": {"instance": "beta"}}},
            "does not own",
        ),
        ("escaping pool path", {"worlds": {"mode": "shared", "source": {"path": "../../other"}}}, "'..'"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_sources_are_refused_and_deploy_nothing(
    cluster: Cluster, case: str, volumes: dict[str, Any], message: str
) -> None:
    cluster.apply(instance("delta", volumes.get("worlds"), volumes.get("plugins")))
    assert not (cluster.state / "statestore" / "foundry-instance" / NS / "delta").exists()
    assert message in cluster.status("delta")["message"]

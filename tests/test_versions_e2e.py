"""Foundry versions end to end in the simulator: what runs, what is refused, what is snapshotted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_volumes_e2e import LICENSE, Cluster, instance


def versioned(name: str, version: str, auto: str = "none", **annotations: str) -> dict[str, Any]:
    doc = instance(name)
    doc["spec"].update(foundryVersion=version, autoUpdate=auto)
    if annotations:
        doc["metadata"]["annotations"] = annotations
    return doc


def image(c: Cluster, name: str) -> str:
    return str(c.pod(name)["containers"][0]["image"])


def condition(c: Cluster, name: str, kind: str) -> dict[str, Any]:
    return next(x for x in c.status(name)["conditions"] if x["type"] == kind)


@pytest.fixture
def cluster(tmp_path: Path) -> Cluster:
    c = Cluster(tmp_path)
    c.apply(LICENSE, versioned("alpha", "13.x"))
    return c


def test_generation_selector_deploys_the_newest_stable_build(cluster: Cluster) -> None:
    assert image(cluster, "alpha") == "ghcr.io/felddy/foundryvtt:13.351.0"
    assert cluster.status("alpha")["foundryVersion"]["resolved"] == "13.351"
    assert "snapshot-worlds" not in cluster.init("alpha")  # first start: nothing to protect


def test_a_downgrade_is_refused_and_the_newer_server_keeps_running(cluster: Cluster) -> None:
    cluster.apply(versioned("alpha", "13.348"))
    assert image(cluster, "alpha") == "ghcr.io/felddy/foundryvtt:13.351.0"
    message = cluster.status("alpha")["message"]
    assert "spec.foundryVersion" in message and "13.351" in message


def test_a_downgrade_with_the_restore_annotation_is_allowed(cluster: Cluster) -> None:
    cluster.apply(versioned("alpha", "13.348", **{"foundry.platform/allow-downgrade": "13.348"}))
    assert image(cluster, "alpha") == "ghcr.io/felddy/foundryvtt:13.348.0"


def test_auto_update_build_never_jumps_a_generation(cluster: Cluster) -> None:
    cluster.apply(versioned("alpha", "latest", auto="build"))
    assert image(cluster, "alpha") == "ghcr.io/felddy/foundryvtt:13.351.0"
    update = condition(cluster, "alpha", "UpdateAvailable")
    assert update["status"] == "True" and "14." in update["message"]


def test_a_real_upgrade_snapshots_worlds_and_plugins_once(tmp_path: Path) -> None:
    c = Cluster(tmp_path)
    c.apply(LICENSE, versioned("alpha", "13.348"))
    c.apply(versioned("alpha", "13.351"))
    assert image(c, "alpha") == "ghcr.io/felddy/foundryvtt:13.351.0"
    steps = c.init("alpha")
    source, target, key, keep = steps["snapshot-worlds"]
    assert key == "13.348-to-13.351" and source == "/mnt/0/guild/alpha/worlds" and keep == "3"
    assert target.startswith("/mnt/0/guild/alpha/backups/worlds/") and target.endswith("-13.348-to-13.351")
    assert "snapshot-plugins" in steps
    version = c.status("alpha")["foundryVersion"]
    assert (version["previous"], version["snapshot"]["from"], version["snapshot"]["to"]) == (
        "13.348",
        "13.348",
        "13.351",
    )
    assert version["snapshot"]["locations"]["worlds"].endswith("-13.348-to-13.351")
    assert version["snapshot"]["folders"]["worlds"].endswith("/guild/alpha/backups/worlds")
    assert version["snapshot"]["keep"] == 3
    first = c.deployment("alpha")
    c.apply(versioned("alpha", "13.351"))  # a rerun without a version change renders the very same step
    assert c.deployment("alpha") == first


def test_a_generation_upgrade_needs_the_spec_to_ask(cluster: Cluster) -> None:
    cluster.apply(versioned("alpha", "14.x"))
    assert image(cluster, "alpha") == "ghcr.io/felddy/foundryvtt:14.361.0"
    assert cluster.init("alpha")["snapshot-worlds"][2] == "13.351-to-14.361"


def test_allowed_versions_are_enforced(tmp_path: Path) -> None:
    c = Cluster(tmp_path)
    restricted = {**LICENSE, "spec": {**LICENSE["spec"], "restrictions": {"allowedVersions": ["13.x"]}}}
    c.apply(restricted, versioned("alpha", "14.359"))
    assert not (c.state / "statestore" / "foundry-instance" / "guild" / "alpha").exists()
    message = c.status("alpha")["message"]
    assert "13.x" in message and "14.359" in message

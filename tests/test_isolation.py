"""Issue 11, each item in plain words, through the simulator: tenants cannot reach each other."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from isolation_world import SHARED_ROOT, World, instance_doc, license_doc, secret

NFS = {"backend": "nfs"}
POOL = {"mode": "shared"}


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


# -- 1. shared roots ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("root", "accepted"),
    [
        pytest.param(f"{SHARED_ROOT}/red", True, id="the namespace's own folder"),
        pytest.param(f"{SHARED_ROOT}/red/guild", True, id="a folder below it"),
        pytest.param(f"{SHARED_ROOT}/blue/guild", False, id="another namespace's folder"),
        pytest.param(SHARED_ROOT, False, id="the allowed root itself, above every namespace"),
        pytest.param("/srv/foundry/instances/blue", False, id="the private instance root"),
        pytest.param("/etc", False, id="anywhere else"),
        pytest.param(f"{SHARED_ROOT}/red/../blue", False, id="not normalised"),
        pytest.param(f"{SHARED_ROOT}//red", False, id="double slash"),
    ],
)
def test_a_license_shared_root_must_be_its_namespaces_folder_under_an_allowed_root(
    world: World, root: str, accepted: bool
) -> None:
    world.apply(secret("red"), license_doc("red", sharedNfsRoot=root))
    message = world.message("license", "red", "guild")
    assert (world.runs("red", "guild")[-1] == "succeeded") is accepted, message
    if not accepted:
        assert "sharedNfsRoot" in message
        if ".." not in root and "//" not in root:
            assert f"{SHARED_ROOT}/red" in message  # names the allowed folder


def test_the_same_names_in_two_namespaces_get_different_pool_folders(world: World) -> None:
    for ns in ("red", "blue"):
        world.apply(
            secret(ns),
            license_doc(ns, sharedNfsRoot=f"{SHARED_ROOT}/{ns}"),
            instance_doc(ns, "alpha", storage=NFS, volumes={"worlds": POOL}),
        )
    red, blue = (
        world.status("instance", ns, "alpha")["volumes"]["worlds"]["location"] for ns in ("red", "blue")
    )
    assert red == f"nfs://nas{SHARED_ROOT}/red/alpha/worlds"
    assert blue == f"nfs://nas{SHARED_ROOT}/blue/alpha/worlds"


# -- 2. pool identity ----------------------------------------------------------------------------------


@pytest.fixture
def path_pool(world: World) -> World:
    """alpha owns a worlds pool; beta attaches to the same folder by path, not by naming alpha."""
    world.apply(
        secret("red"),
        license_doc("red", sharedNfsRoot=f"{SHARED_ROOT}/red", activeInstanceName="alpha"),
        instance_doc("red", "alpha", storage=NFS, volumes={"worlds": POOL}),
    )
    world.apply(
        instance_doc(
            "red",
            "beta",
            storage=NFS,
            volumes={"worlds": {"mode": "shared", "source": {"path": "alpha/worlds"}}},
        )
    )
    return world


def test_an_instance_attached_by_path_to_a_pool_never_runs_beside_its_owner(path_pool: World) -> None:
    replicas = {n: path_pool.deployment("red", n)["spec"]["replicas"] for n in ("alpha", "beta")}  # type: ignore[index]
    assert replicas == {"alpha": 1, "beta": 0}


def test_the_owner_of_a_pool_attached_by_path_cannot_leave_it(path_pool: World) -> None:
    before = path_pool.snapshot("instance", "red", "alpha")
    path_pool.apply(instance_doc("red", "alpha", storage=NFS, volumes={"worlds": {"mode": "new"}}))
    assert "beta" in path_pool.message("instance", "red", "alpha")
    assert path_pool.snapshot("instance", "red", "alpha") == before


def test_deleting_the_owner_of_a_pool_attached_by_path_waits_for_the_dependent(path_pool: World) -> None:
    path_pool.delete(instance_doc("red", "alpha"))
    assert path_pool.get("instance", "red", "alpha") is not None
    assert "beta" in path_pool.message("instance", "red", "alpha")


# -- 3. hostnames ----------------------------------------------------------------------------------------


def test_a_hostname_another_tenant_serves_is_refused_without_saying_whose(world: World) -> None:
    world.apply(secret("red"), license_doc("red"), instance_doc("red", "alpha"))
    world.apply(secret("blue"), license_doc("blue"), instance_doc("blue", "alpha"))
    assert world.hostnames() == ["alpha.games.example.com"]
    assert world.routes()[0]["metadata"]["namespace"] == "red"
    message = world.message("license", "blue", "guild")
    assert "already taken" in message and "red" not in message


def test_a_hostname_override_cannot_hijack_a_served_hostname(world: World) -> None:
    world.apply(secret("red"), license_doc("red"), instance_doc("red", "alpha"))
    world.apply(
        secret("blue"),
        license_doc("blue", baseDomain="blue.example.com"),
        instance_doc("blue", "mine", hostname="alpha.games.example.com"),
    )
    assert world.hostnames() == ["alpha.games.example.com"]
    assert world.routes()[0]["metadata"]["namespace"] == "red"


def test_the_first_claimant_keeps_its_hostname_and_the_next_gets_it_when_freed(world: World) -> None:
    world.apply(secret("red"), license_doc("red"), instance_doc("red", "alpha"))
    world.apply(secret("blue"), license_doc("blue"), instance_doc("blue", "alpha"))
    world.apply(license_doc("red", activeInstanceName="alpha"))  # red's license runs again: keeps it
    assert [r["metadata"]["namespace"] for r in world.routes()] == ["red"]
    world.delete(instance_doc("red", "alpha"))
    assert [r["metadata"]["namespace"] for r in world.routes()] == ["blue"]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        pytest.param({"baseDomain": "games.example.org"}, "spec.baseDomain", id="base domain not allowed"),
        pytest.param({"baseDomain": "10.0.0.1"}, "spec.baseDomain", id="an IP address"),
        pytest.param({"baseDomain": "a" * 64 + ".example.com"}, "spec.baseDomain", id="a label over 63"),
    ],
)
def test_a_base_domain_the_platform_does_not_serve_is_refused(
    world: World, spec: dict[str, str], field: str
) -> None:
    world.apply(secret("red"), license_doc("red", **spec))
    assert world.runs("red", "guild")[-1] == "suspended"
    assert field in world.message("license", "red", "guild")


@pytest.mark.parametrize(
    "hostname",
    [
        pytest.param("evil.example.org", id="outside the allowed domains"),
        pytest.param("192.168.0.1", id="an IP address"),
        pytest.param(("a" * 63 + ".") * 4 + "example.com", id="over 253 characters"),
    ],
)
def test_an_instance_hostname_the_platform_does_not_serve_is_refused_and_not_routed(
    world: World, hostname: str
) -> None:
    world.apply(secret("red"), license_doc("red"), instance_doc("red", "alpha", hostname=hostname))
    assert world.runs("red", "alpha")[-1] == "suspended"
    assert "spec.hostname" in world.message("instance", "red", "alpha")
    assert hostname not in world.hostnames()


# -- 4. moving an instance ---------------------------------------------------------------------------------


def test_moving_an_instance_to_another_license_moves_its_route(world: World) -> None:
    world.apply(
        secret("red"),
        license_doc("red", "one"),
        license_doc("red", "two"),
        instance_doc("red", "alpha", "one"),
    )
    world.apply(instance_doc("red", "alpha", "two"))
    routes = world.routes()
    assert [
        (r["metadata"]["labels"]["foundry.platform/license"], r["spec"]["hostnames"]) for r in routes
    ] == [("two", ["alpha.games.example.com"])]


# -- 5. names ---------------------------------------------------------------------------------------------


def test_two_tenants_whose_names_join_alike_get_their_own_reference_grants(world: World) -> None:
    world.apply(
        secret("a-b"),
        license_doc("a-b", "c"),
        secret("a"),
        license_doc("a", "b-c", baseDomain="x.example.com"),
    )
    grants = [d["metadata"]["name"] for _, d in world.all_work() if d["kind"] == "ReferenceGrant"]
    assert len(grants) == len(set(grants)) == 2


# -- 8. storage changes on a live instance ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then", "words"),
    [
        pytest.param({"backend": "pvc"}, {"backend": "nfs"}, "copied", id="pvc to nfs: says how to migrate"),
        pytest.param({"backend": "nfs"}, {"backend": "pvc"}, "copied", id="nfs to pvc"),
        pytest.param({"size": "20Gi"}, {"size": "10Gi"}, "cannot shrink", id="shrink"),
    ],
)
def test_a_live_instance_keeps_its_storage(
    world: World, first: dict[str, str], then: dict[str, str], words: str
) -> None:
    world.apply(secret("red"), license_doc("red"), instance_doc("red", "alpha", storage=first))
    before = world.snapshot("instance", "red", "alpha")
    world.apply(instance_doc("red", "alpha", storage=then))
    assert words in world.message("instance", "red", "alpha")
    assert world.snapshot("instance", "red", "alpha") == before


def test_growing_a_volume_is_fine(world: World) -> None:
    world.apply(secret("red"), license_doc("red"), instance_doc("red", "alpha", storage={"size": "10Gi"}))
    world.apply(instance_doc("red", "alpha", storage={"size": "20Gi"}))
    assert world.runs("red", "alpha")[-1] == "succeeded"


# -- 11. a pool owner with dependents cannot become a copy ---------------------------------------------


def test_a_pool_owner_with_dependents_cannot_move_to_copied(world: World) -> None:
    world.apply(
        secret("red"),
        license_doc("red", sharedNfsRoot=f"{SHARED_ROOT}/red", activeInstanceName="alpha"),
        instance_doc("red", "alpha", storage=NFS, volumes={"worlds": POOL}),
        instance_doc("red", "gamma", storage=NFS),
    )
    world.apply(
        instance_doc(
            "red",
            "beta",
            storage=NFS,
            volumes={"worlds": {"mode": "shared", "source": {"instance": "alpha"}}},
        )
    )
    before = world.snapshot("instance", "red", "alpha")
    world.apply(
        instance_doc(
            "red",
            "alpha",
            storage=NFS,
            volumes={"worlds": {"mode": "copied", "source": {"instance": "gamma"}}},
        )
    )
    assert "depend on this pool (beta)" in world.message("instance", "red", "alpha")
    assert world.snapshot("instance", "red", "alpha") == before


# -- 12. quantities ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resources", "field"),
    [
        pytest.param({"memory": "0"}, "spec.resources.memory", id="memory 0"),
        pytest.param({"memory": "1k"}, "spec.resources.memory", id="memory 1k"),
        pytest.param({"memory": "256Mi"}, "spec.resources.memory", id="memory below 512Mi"),
        pytest.param({"cpu": "0"}, "spec.resources.cpu", id="cpu 0"),
    ],
)
def test_quantities_a_server_cannot_run_with_are_refused(
    world: World, resources: dict[str, str], field: str
) -> None:
    world.apply(secret("red"), license_doc("red"), instance_doc("red", "alpha", resources=resources))
    assert field in world.message("instance", "red", "alpha")
    assert world.deployment("red", "alpha") is None


def test_an_empty_volume_size_is_refused(world: World) -> None:
    world.apply(secret("red"), license_doc("red"), instance_doc("red", "alpha", storage={"size": "0Gi"}))
    assert "spec.storage.size" in world.message("instance", "red", "alpha")


# -- refused edits leave nothing behind (issue 11 item 10) ------------------------------------------------


def test_a_refused_license_edit_never_reaches_its_instances(world: World) -> None:
    world.apply(secret("red"), license_doc("red"), instance_doc("red", "alpha"))
    refused = license_doc("red", activeInstanceName="nobody", defaults={"resources": {"memory": "4Gi"}})
    world.apply(refused)
    assert world.runs("red", "guild")[-1] == "suspended"
    world.apply(instance_doc("red", "alpha", proxyPort=8443))  # the instance runs again for its own reasons
    deployment = world.deployment("red", "alpha")
    assert deployment is not None
    assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] != "4Gi"


@pytest.mark.parametrize(
    ("second", "accepted"),
    [
        pytest.param(f"{SHARED_ROOT}/red/guild", False, id="the same folder"),
        pytest.param(f"{SHARED_ROOT}/red/guild/party", False, id="inside the older license's folder"),
        pytest.param(f"{SHARED_ROOT}/red", False, id="around the older license's folder"),
        pytest.param(f"{SHARED_ROOT}/red/party", True, id="beside it"),
    ],
)
def test_two_licenses_of_a_namespace_keep_their_pools_apart(
    world: World, second: str, accepted: bool
) -> None:
    world.apply(secret("red"), license_doc("red", "guild", sharedNfsRoot=f"{SHARED_ROOT}/red/guild"))
    world.engine.now += timedelta(minutes=1)
    world.apply(license_doc("red", "party", sharedNfsRoot=second))
    assert (world.runs("red", "party")[-1] == "succeeded") is accepted
    assert accepted or "license 'guild'" in world.message("license", "red", "party")
    assert world.runs("red", "guild")[-1] == "succeeded"


def test_two_running_servers_never_share_a_plugins_pool(world: World) -> None:
    world.apply(
        secret("red"),
        license_doc("red", sharedNfsRoot=f"{SHARED_ROOT}/red", activeInstanceName="alpha"),
        instance_doc("red", "alpha", storage=NFS, volumes={"plugins": POOL}),
        instance_doc(
            "red",
            "beta",
            storage=NFS,
            volumes={"plugins": {"mode": "shared", "source": {"path": "alpha/plugins"}}},
        ),
    )
    running = [
        n for n in ("alpha", "beta") if (world.deployment("red", n) or {}).get("spec", {}).get("replicas")
    ]
    assert running == ["alpha"]

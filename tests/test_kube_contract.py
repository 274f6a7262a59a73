"""The KubeAPI contract, run against both implementations so the simulator cannot drift from a cluster.

`MemoryKube` (the simulator) and `KubernetesAPI` (the real client, over HTTP to kmock's Kubernetes
emulator) must answer every call here alike. The contract is what a real API server guarantees:
where kmock's emulator is laxer than a real server (it stores bodies and applies patches as plain
JSON), that point is checked on MemoryKube alone, at the end of this module.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kmock
import pytest
from conftest import emulated_api, serve_kinds

from foundry_lib.errors import AlreadyExistsError, NotFoundError
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_KINDS, SECRET, Kind, KubeAPI
from foundry_platform.simulator.memory_kube import MemoryKube, Write
from foundry_platform.simulator.state import ClusterState

NS, OTHER_NS = "tabletop", "elsewhere"
KINDS = [FOUNDRY_INSTANCE, SECRET]
SECRET_DATA = {"adminKey": base64.b64encode(b"s3cret").decode()}
call = asyncio.to_thread  # the emulator serves on the test's event loop; the client blocks


@pytest.fixture(params=["MemoryKube", "KubernetesAPI"])
def kube(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KubeAPI]:
    if request.param == "MemoryKube":
        yield MemoryKube(ClusterState(tmp_path))
        return
    emulator: kmock.KubernetesEmulator = request.getfixturevalue("kmock")
    serve_kinds(emulator, (*FOUNDRY_KINDS, SECRET))
    api = emulated_api(emulator)
    yield api
    api.close()


@pytest.fixture
def memory(tmp_path: Path) -> MemoryKube:
    return MemoryKube(ClusterState(tmp_path))


def _body(kind: Kind, name: str, namespace: str = NS, **labels: str) -> dict[str, Any]:
    # metadata.namespace is always sent, as the pipelines do: a real server fills it from the URL,
    # kmock's emulator does not.
    meta = {"name": name, "namespace": namespace, "labels": labels}
    if kind == SECRET:
        return {"metadata": meta, "type": "Opaque", "data": SECRET_DATA}
    return {"metadata": meta, "spec": {"licenseRef": {"name": "guild"}, "foundryVersion": "13.x"}}


def _payload(obj: dict[str, Any]) -> Any:
    """What a kind carries besides metadata. Secret values are compared by key only: the simulator
    never stores a value (ClusterState redacts them on purpose), a real server returns them."""
    return sorted(obj["data"]) if obj["kind"] == "Secret" else obj["spec"]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
async def test_create_then_get_returns_the_object_with_its_type(kube: KubeAPI, kind: Kind) -> None:
    body = _body(kind, "alpha", team="red")
    created = await call(kube.create, kind, NS, body)
    fetched = await call(kube.get, kind, NS, "alpha")
    assert fetched == created
    assert (created["apiVersion"], created["kind"]) == (kind.api_version, kind.kind)
    assert (created["metadata"]["name"], created["metadata"]["namespace"]) == ("alpha", NS)
    assert created["metadata"]["labels"] == {"team": "red"}
    assert _payload(created) == _payload({"kind": kind.kind, **body})


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
async def test_returned_objects_are_copies_not_the_stored_state(kube: KubeAPI, kind: Kind) -> None:
    body = _body(kind, "alpha", team="red")
    created = await call(kube.create, kind, NS, body)
    fetched = await call(kube.get, kind, NS, "alpha")
    assert fetched is not None
    for obj in (body, created, fetched):
        obj["metadata"]["labels"]["team"] = "mutated"
    after = await call(kube.get, kind, NS, "alpha")
    assert after is not None and after["metadata"]["labels"] == {"team": "red"}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
async def test_create_twice_raises_already_exists_but_another_namespace_is_free(
    kube: KubeAPI, kind: Kind
) -> None:
    await call(kube.create, kind, NS, _body(kind, "alpha"))
    with pytest.raises(AlreadyExistsError):
        await call(kube.create, kind, NS, _body(kind, "alpha"))
    elsewhere = await call(kube.create, kind, OTHER_NS, _body(kind, "alpha", OTHER_NS))
    assert elsewhere["metadata"]["namespace"] == OTHER_NS


@pytest.mark.parametrize(
    ("kind", "namespace", "name"),
    [
        (FOUNDRY_INSTANCE, NS, "ghost"),
        (FOUNDRY_INSTANCE, OTHER_NS, "alpha"),
        (SECRET, NS, "alpha"),
    ],
    ids=["never-created", "other-namespace", "other-kind"],
)
async def test_get_of_a_missing_object_is_none(kube: KubeAPI, kind: Kind, namespace: str, name: str) -> None:
    await call(kube.create, FOUNDRY_INSTANCE, NS, _body(FOUNDRY_INSTANCE, "alpha"))
    assert await call(kube.get, kind, namespace, name) is None


@pytest.mark.parametrize(
    ("verb", "kind"),
    [("merge_patch", FOUNDRY_INSTANCE), ("merge_patch", SECRET), ("merge_patch_status", FOUNDRY_INSTANCE)],
    ids=["merge_patch-instance", "merge_patch-secret", "merge_patch_status-instance"],
)
async def test_patching_a_missing_object_raises_not_found_and_creates_nothing(
    kube: KubeAPI, verb: str, kind: Kind
) -> None:
    with pytest.raises(NotFoundError):
        await call(getattr(kube, verb), kind, NS, "ghost", {"metadata": {"labels": {"a": "b"}}})
    assert await call(kube.get, kind, NS, "ghost") is None


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
async def test_delete_removes_or_marks_under_finalizers_and_a_missing_object_is_already_gone(
    kube: KubeAPI, kind: Kind
) -> None:
    await call(kube.create, kind, NS, _body(kind, "alpha"))
    await call(kube.create, kind, OTHER_NS, _body(kind, "alpha", OTHER_NS))
    held = _body(kind, "held")
    held["metadata"]["finalizers"] = ["kratix.io/workflows-cleanup"]
    await call(kube.create, kind, NS, held)
    assert await call(kube.delete, kind, NS, "alpha") is True
    assert await call(kube.get, kind, NS, "alpha") is None
    assert await call(kube.get, kind, OTHER_NS, "alpha") is not None  # only that namespace's
    assert await call(kube.delete, kind, NS, "alpha") is False  # already gone: not an error
    assert await call(kube.delete, kind, NS, "ghost") is False
    assert await call(kube.delete, kind, NS, "held") is True
    marked = await call(kube.get, kind, NS, "held")
    assert marked is not None and marked["metadata"]["finalizers"] == ["kratix.io/workflows-cleanup"]
    assert marked["metadata"].get("deletionTimestamp")


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
async def test_merge_patch_null_deletes_a_label_and_keeps_the_rest(kube: KubeAPI, kind: Kind) -> None:
    body = _body(kind, "alpha", team="red", keep="yes")
    await call(kube.create, kind, NS, body)
    patch = {"metadata": {"labels": {"team": None, "tier": "gold"}}}
    patched = await call(kube.merge_patch, kind, NS, "alpha", patch)
    assert patched["metadata"]["labels"] == {"keep": "yes", "tier": "gold"}
    assert _payload(patched) == _payload({"kind": kind.kind, **body})
    assert await call(kube.get, kind, NS, "alpha") == patched


@pytest.mark.parametrize(
    ("before", "patch", "after"),
    [
        (None, {"hostname": "a.example.com"}, {"hostname": "a.example.com"}),
        ({"hostname": "a", "message": "old"}, {"message": "new"}, {"hostname": "a", "message": "new"}),
        ({"hostname": "a", "message": "old"}, {"message": None}, {"hostname": "a"}),
        (
            {"volumes": {"worlds": {"mode": "new"}, "plugins": {"mode": "shared"}}},
            {"volumes": {"worlds": {"ready": True}}},
            {"volumes": {"worlds": {"mode": "new", "ready": True}, "plugins": {"mode": "shared"}}},
        ),
        (
            {"volumes": {"worlds": {"mode": "new", "ready": True}}},
            {"volumes": {"worlds": {"ready": None}}},
            {"volumes": {"worlds": {"mode": "new"}}},
        ),
        (
            {"conditions": [{"type": "Accepted"}, {"type": "UpdateAvailable"}]},
            {"conditions": [{"type": "Accepted", "status": "True"}]},
            {"conditions": [{"type": "Accepted", "status": "True"}]},
        ),
    ],
    ids=["first-status", "key-replaced", "null-deletes", "nested-maps-merge", "nested-null", "list-replaced"],
)
async def test_merge_patch_status_is_rfc7386_on_status_only(
    kube: KubeAPI, before: dict[str, Any] | None, patch: dict[str, Any], after: dict[str, Any]
) -> None:
    body = _body(FOUNDRY_INSTANCE, "alpha", team="red")
    await call(kube.create, FOUNDRY_INSTANCE, NS, body)
    if before is not None:
        await call(kube.merge_patch_status, FOUNDRY_INSTANCE, NS, "alpha", before)
    patched = await call(kube.merge_patch_status, FOUNDRY_INSTANCE, NS, "alpha", patch)
    assert patched["status"] == after
    assert (patched["spec"], patched["metadata"]["labels"]) == (body["spec"], {"team": "red"})
    assert await call(kube.get, FOUNDRY_INSTANCE, NS, "alpha") == patched


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (None, ["a", "b", "c"]),
        ({}, ["a", "b", "c"]),
        ({"team": "red"}, ["a", "c"]),
        ({"team": "red", "tier": "gold"}, ["c"]),
        ({"team": "green"}, []),
    ],
    ids=["no-selector", "empty-selector", "one-label", "two-labels", "no-match"],
)
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
async def test_list_filters_by_namespace_and_labels(
    kube: KubeAPI, kind: Kind, labels: dict[str, str] | None, expected: list[str]
) -> None:
    for name, namespace, have in [
        ("a", NS, {"team": "red"}),
        ("b", NS, {"team": "blue"}),
        ("c", NS, {"team": "red", "tier": "gold"}),
        ("d", OTHER_NS, {"team": "red", "tier": "gold"}),
    ]:
        await call(kube.create, kind, namespace, _body(kind, name, namespace, **have))
    found = await call(kube.list, kind, NS, labels)
    assert sorted(obj["metadata"]["name"] for obj in found) == expected
    assert all((obj["apiVersion"], obj["kind"]) == (kind.api_version, kind.kind) for obj in found)


# Real-server guarantees kmock's emulator does not emulate, so they are checked on MemoryKube alone.
# kmock applies `status` sent to the main resource, keeps `status` and `stringData` from a create
# as sent, and sets no creationTimestamp; a real API server does none of that.


def test_merge_patch_never_changes_status(memory: MemoryKube) -> None:
    # A CRD with the status subresource ignores `status` in a main-resource PATCH.
    memory.create(FOUNDRY_INSTANCE, NS, _body(FOUNDRY_INSTANCE, "alpha"))
    memory.merge_patch_status(FOUNDRY_INSTANCE, NS, "alpha", {"hostname": "a"})
    patched = memory.merge_patch(
        FOUNDRY_INSTANCE, NS, "alpha", {"metadata": {"labels": {"x": "y"}}, "status": {"hostname": "b"}}
    )
    assert patched["status"] == {"hostname": "a"}
    assert patched["metadata"]["labels"] == {"x": "y"}


def test_a_secret_created_with_string_data_has_those_keys_under_data(memory: MemoryKube) -> None:
    # The pipelines create generated Secrets with stringData; a server stores it as data.
    body = {"metadata": {"name": "admin", "namespace": NS}, "stringData": {"adminKey": "s3cret"}}
    created = memory.create(SECRET, NS, body)
    assert sorted(created["data"]) == ["adminKey"]
    assert "stringData" not in created


def test_create_ignores_status(memory: MemoryKube) -> None:
    body = {**_body(FOUNDRY_INSTANCE, "alpha"), "status": {"isActive": True}}
    memory.create(FOUNDRY_INSTANCE, NS, body)
    assert "status" not in (memory.get(FOUNDRY_INSTANCE, NS, "alpha") or {})


def test_create_sets_creation_timestamp(memory: MemoryKube) -> None:
    created = memory.create(FOUNDRY_INSTANCE, NS, _body(FOUNDRY_INSTANCE, "alpha"))
    assert created["metadata"].get("creationTimestamp")


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
async def test_list_all_sees_every_namespace(kube: KubeAPI, kind: Kind) -> None:
    for name, namespace in [("a", NS), ("b", OTHER_NS), ("a", OTHER_NS)]:
        await call(kube.create, kind, namespace, _body(kind, name, namespace))
    found = await call(kube.list_all, kind)
    assert sorted((o["metadata"]["namespace"], o["metadata"]["name"]) for o in found) == [
        (OTHER_NS, "a"),
        (OTHER_NS, "b"),
        (NS, "a"),
    ]
    assert all((obj["apiVersion"], obj["kind"]) == (kind.api_version, kind.kind) for obj in found)


def test_a_delete_is_journaled_as_the_client_sends_it(memory: MemoryKube) -> None:
    memory.create(FOUNDRY_INSTANCE, NS, _body(FOUNDRY_INSTANCE, "alpha"))
    assert memory.delete(FOUNDRY_INSTANCE, NS, "alpha") is True
    path = f"/apis/foundry.platform/v1alpha1/namespaces/{NS}/foundryinstances/alpha"
    assert memory.writes[-1] == Write("DELETE", path, {})

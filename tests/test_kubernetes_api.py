"""The Kubernetes adapter against kmock's HTTP Kubernetes emulator, through the real client.

The client is synchronous and the emulator is asyncio, so each call runs in a worker thread
(`asyncio.to_thread`) while the emulator serves on the test's event loop.
"""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import kmock
import pytest
from conftest import emulated_api, serve_kinds, write_kubeconfig
from kubernetes import client

from foundry_lib.adapters.kubernetes_api import ApiRequestError, KubernetesAPI
from foundry_lib.errors import (
    AlreadyExistsError,
    ConflictError,
    ForbiddenError,
    FoundryError,
    NotFoundError,
    TransientError,
)
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_KINDS, SECRET, Kind

NS = "foundry-games"
SECRET_VALUE = "hunter2-admin-key"
CRD_PATH = f"/apis/foundry.platform/v1alpha1/namespaces/{NS}/foundryinstances"
SECRET_DATA = {"adminKey": base64.b64encode(SECRET_VALUE.encode()).decode()}


@pytest.fixture
def emulator(kmock: kmock.KubernetesEmulator) -> kmock.KubernetesEmulator:
    serve_kinds(kmock, (*FOUNDRY_KINDS, SECRET))
    return kmock


@pytest.fixture
def api(emulator: kmock.KubernetesEmulator) -> Iterator[KubernetesAPI]:
    adapter = emulated_api(emulator)
    yield adapter
    adapter.close()


def _body(kind: Kind, name: str, labels: dict[str, str]) -> dict[str, object]:
    meta = {"name": name, "namespace": NS, "labels": labels}
    if kind == SECRET:
        return {"metadata": meta, "type": "Opaque", "data": SECRET_DATA}
    return {"metadata": meta, "spec": {"owner": "gm", "version": "13.345"}}


@pytest.mark.parametrize("kind", [FOUNDRY_INSTANCE, SECRET], ids=lambda k: k.kind)
async def test_create_get_list_patch_round_trip(
    api: KubernetesAPI, emulator: kmock.KubernetesEmulator, kind: Kind
) -> None:
    created = await asyncio.to_thread(api.create, kind, NS, _body(kind, "alpha", {"team": "red"}))
    await asyncio.to_thread(api.create, kind, NS, _body(kind, "beta", {"team": "blue"}))
    assert (created["apiVersion"], created["kind"]) == (kind.api_version, kind.kind)

    fetched = await asyncio.to_thread(api.get, kind, NS, "alpha")
    listed = await asyncio.to_thread(api.list, kind, NS, {"team": "red"})
    everything = await asyncio.to_thread(api.list, kind, NS)
    assert fetched == created
    assert [obj["metadata"]["name"] for obj in listed] == ["alpha"]
    assert list(emulator["get"])[-2].params == {"labelSelector": "team=red"}
    assert sorted(obj["metadata"]["name"] for obj in everything) == ["alpha", "beta"]

    patch = {"metadata": {"labels": {"team": None, "tier": "gold"}}}
    patched = await asyncio.to_thread(api.merge_patch, kind, NS, "alpha", patch)
    assert patched["metadata"]["labels"] == {"tier": "gold"}
    assert await asyncio.to_thread(api.get, kind, NS, "alpha") == patched


async def test_merge_patch_status_round_trip(api: KubernetesAPI, emulator: kmock.KubernetesEmulator) -> None:
    await asyncio.to_thread(api.create, FOUNDRY_INSTANCE, NS, _body(FOUNDRY_INSTANCE, "alpha", {}))
    await asyncio.to_thread(api.merge_patch_status, FOUNDRY_INSTANCE, NS, "alpha", {"players": 3})
    result = await asyncio.to_thread(api.merge_patch_status, FOUNDRY_INSTANCE, NS, "alpha", {"mode": "on"})
    assert result["status"] == {"players": 3, "mode": "on"}
    assert list(emulator["patch"])[-1].subresource == "status"
    assert list(emulator["patch"])[-1].data == {"status": {"mode": "on"}}


@pytest.mark.parametrize(
    ("verb", "kind", "path"),
    [
        ("merge_patch", FOUNDRY_INSTANCE, f"{CRD_PATH}/a"),
        ("merge_patch", SECRET, f"/api/v1/namespaces/{NS}/secrets/a"),
        ("merge_patch_status", FOUNDRY_INSTANCE, f"{CRD_PATH}/a/status"),
    ],
    ids=["instance", "secret", "instance-status"],
)
async def test_patches_are_sent_as_json_merge_patch(
    api: KubernetesAPI, emulator: kmock.KubernetesEmulator, verb: str, kind: Kind, path: str
) -> None:
    await asyncio.to_thread(api.create, kind, NS, _body(kind, "a", {}))
    await asyncio.to_thread(getattr(api, verb), kind, NS, "a", {"x": "y"})
    [request] = emulator["patch"]
    assert request.url.path == path
    assert request.headers["Content-Type"] == "application/merge-patch+json"


@pytest.mark.parametrize("kind", [FOUNDRY_INSTANCE, SECRET], ids=lambda k: k.kind)
async def test_missing_object_is_none_on_get_and_not_found_on_patch(api: KubernetesAPI, kind: Kind) -> None:
    assert await asyncio.to_thread(api.get, kind, NS, "ghost") is None
    with pytest.raises(NotFoundError, match=f"merge-patch {kind.kind} {NS}/ghost"):
        await asyncio.to_thread(api.merge_patch, kind, NS, "ghost", {"spec": {}})


async def test_delete_removes_or_marks_and_a_missing_object_is_already_gone(
    api: KubernetesAPI, emulator: kmock.KubernetesEmulator
) -> None:
    key = "foundry.platform/v1alpha1/foundryinstances"
    emulator.objects[key, NS, "plain"] = _body(FOUNDRY_INSTANCE, "plain", {})
    kept = _body(FOUNDRY_INSTANCE, "kept", {})
    kept["metadata"]["finalizers"] = ["kratix.io/work-cleanup"]  # type: ignore[index]
    emulator.objects[key, NS, "kept"] = kept
    assert await asyncio.to_thread(api.delete, FOUNDRY_INSTANCE, NS, "plain") is True
    assert await asyncio.to_thread(api.get, FOUNDRY_INSTANCE, NS, "plain") is None
    assert await asyncio.to_thread(api.delete, FOUNDRY_INSTANCE, NS, "plain") is False  # 404: gone
    assert await asyncio.to_thread(api.delete, FOUNDRY_INSTANCE, NS, "ghost") is False
    # Finalizers keep the object, marked, until their owner (Kratix) removes them.
    assert await asyncio.to_thread(api.delete, FOUNDRY_INSTANCE, NS, "kept") is True
    marked = await asyncio.to_thread(api.get, FOUNDRY_INSTANCE, NS, "kept")
    assert marked is not None and marked["metadata"].get("deletionTimestamp")
    assert [r.method.upper() for r in emulator["delete"]] == ["DELETE"] * 4


async def test_create_twice_raises_already_exists(api: KubernetesAPI) -> None:
    await asyncio.to_thread(api.create, SECRET, NS, _body(SECRET, "creds", {}))
    with pytest.raises(AlreadyExistsError, match=f"create Secret {NS}/creds"):
        await asyncio.to_thread(api.create, SECRET, NS, _body(SECRET, "creds", {}))


@pytest.mark.parametrize(
    ("method", "call", "expected"),
    [
        ("post", lambda api: api.create(SECRET, NS, _body(SECRET, "spare", {})), f"create Secret {NS}/spare"),
        ("get", lambda api: api.get(SECRET, NS, "creds"), f"get Secret {NS}/creds"),
        ("get", lambda api: api.list(SECRET, NS), f"list Secret {NS}/*"),
        (
            "patch",
            lambda api: api.merge_patch(SECRET, NS, "creds", {"data": SECRET_DATA}),
            f"merge-patch Secret {NS}/creds",
        ),
    ],
    ids=["create", "get", "list", "merge-patch"],
)
async def test_server_error_is_transient_and_hides_bodies(
    api: KubernetesAPI,
    emulator: kmock.KubernetesEmulator,
    method: str,
    call: Callable[[KubernetesAPI], object],
    expected: str,
) -> None:
    emulator.objects["v1/secrets", NS, "creds"] = _body(SECRET, "creds", {})
    echo = {"kind": "Status", "code": 500, "message": f"boom {SECRET_VALUE} {SECRET_DATA}"}
    emulator[method] << 500 << echo
    with pytest.raises(TransientError) as caught:
        await asyncio.to_thread(call, api)
    assert f"{expected} failed: HTTP 500" in str(caught.value)
    assert SECRET_VALUE not in str(caught.value)
    assert SECRET_DATA["adminKey"] not in str(caught.value)


def _list_instances(api: KubernetesAPI) -> object:
    return api.list(FOUNDRY_INSTANCE, NS)


def _patch_status(api: KubernetesAPI) -> object:
    return api.merge_patch_status(FOUNDRY_INSTANCE, NS, "creds", {"message": "x"})


def _patch_secret(api: KubernetesAPI) -> object:
    return api.merge_patch(SECRET, NS, "creds", {"metadata": {"labels": {"a": "b"}}})


def _delete_instance(api: KubernetesAPI) -> object:
    return api.delete(FOUNDRY_INSTANCE, NS, "creds")


@pytest.mark.parametrize(
    ("code", "call", "error", "says"),
    [
        (409, _patch_secret, ConflictError, f"merge-patch Secret {NS}/creds: conflict"),
        (429, _list_instances, TransientError, "HTTP 429"),
        (503, _patch_status, TransientError, "HTTP 503"),
        (403, _list_instances, ForbiddenError, f"may not list foundryinstances in namespace {NS}"),
        (403, _patch_status, ForbiddenError, f"may not patch foundryinstances/status in namespace {NS}"),
        (403, _patch_secret, ForbiddenError, f"may not patch secrets in namespace {NS}: grant it"),
        (401, _list_instances, ForbiddenError, "rejected the pipeline's credentials (HTTP 401)"),
        (422, _patch_secret, ApiRequestError, "refused: HTTP 422"),
        (403, _delete_instance, ForbiddenError, f"may not delete foundryinstances in namespace {NS}"),
        (503, _delete_instance, TransientError, f"delete FoundryInstance {NS}/creds failed: HTTP 503"),
        (409, _delete_instance, ConflictError, f"delete FoundryInstance {NS}/creds: conflict"),
    ],
    ids=[
        "409-conflict",
        "429",
        "503",
        "403-list",
        "403-status",
        "403-patch",
        "401",
        "422-is-a-bug",
        "403-delete",
        "503-delete",
        "409-delete",
    ],
)
async def test_error_statuses_map_to_what_the_runtime_does_about_them(
    api: KubernetesAPI,
    emulator: kmock.KubernetesEmulator,
    code: int,
    call: Callable[[KubernetesAPI], object],
    error: type[FoundryError],
    says: str,
) -> None:
    emulator.objects["v1/secrets", NS, "creds"] = _body(SECRET, "creds", {})
    emulator.objects["foundry.platform/v1alpha1/foundryinstances", NS, "creds"] = _body(
        FOUNDRY_INSTANCE, "creds", {}
    )
    (
        emulator[{_list_instances: "get", _delete_instance: "delete"}.get(call, "patch")]
        << code
        << {"kind": "Status", "code": code, "message": f"no {SECRET_VALUE}"}
    )
    with pytest.raises(error) as caught:
        await asyncio.to_thread(call, api)
    assert type(caught.value) is error and says in str(caught.value)
    assert SECRET_VALUE not in str(caught.value)
    if isinstance(caught.value, ForbiddenError):
        assert caught.value.status == code and caught.value.namespace == NS


def test_unreachable_server_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configuration = client.Configuration(host=f"http://127.0.0.1:{port}")
    api = KubernetesAPI(client.ApiClient(configuration), timeout=2)
    try:
        with pytest.raises(TransientError, match=f"create Secret {NS}/creds failed") as caught:
            api.create(SECRET, NS, _body(SECRET, "creds", {}))
    finally:
        api.close()
    assert SECRET_DATA["adminKey"] not in str(caught.value)


def _closed_port_in_cluster(configuration: client.Configuration) -> None:
    """A pod's own cluster that answers nothing, so a call that goes there fails."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        configuration.host = f"http://127.0.0.1:{sock.getsockname()[1]}"


async def test_an_explicit_kubeconfig_wins_over_the_pods_own_cluster(
    emulator: kmock.KubernetesEmulator, tmp_path: Path
) -> None:
    """The standby page on a workload cluster reads the platform cluster through --kubeconfig; its
    pod's service account must not silently take over."""
    kubeconfig = write_kubeconfig(tmp_path / "config", str(emulator.url), token="pl4tform")
    api = KubernetesAPI.from_environment(config_file=str(kubeconfig), in_cluster=_closed_port_in_cluster)
    try:
        assert await asyncio.to_thread(api.get, FOUNDRY_INSTANCE, NS, "ghost") is None
    finally:
        api.close()
    [request] = emulator["get"]
    assert request.headers["Authorization"] == "Bearer pl4tform"


def test_without_a_kubeconfig_a_pod_uses_its_own_cluster() -> None:
    api = KubernetesAPI.from_environment(in_cluster=_closed_port_in_cluster, timeout=2)
    try:
        with pytest.raises(TransientError):
            api.get(FOUNDRY_INSTANCE, NS, "ghost")
    finally:
        api.close()


async def test_from_environment_falls_back_to_kubeconfig(
    emulator: kmock.KubernetesEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    kubeconfig = write_kubeconfig(tmp_path / "config", str(emulator.url), token="t0ken")
    api = KubernetesAPI.from_environment(config_file=str(kubeconfig))
    try:
        assert await asyncio.to_thread(api.get, FOUNDRY_INSTANCE, NS, "ghost") is None
    finally:
        api.close()
    [request] = emulator["get"]
    assert request.headers["Authorization"] == "Bearer t0ken"

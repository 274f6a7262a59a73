"""The simulator's Kubernetes API: RFC 7386 merge patch, API errors, selectors, and Secrets without values."""

from __future__ import annotations

import base64
import copy

import pytest
import yaml

from foundry_lib.errors import AlreadyExistsError, NotFoundError
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, SECRET
from foundry_platform.simulator.memory_kube import MemoryKube, merge_patch
from foundry_platform.simulator.state import ClusterState, redact

PLANTED = "hunter2-license-key-PLANTED"


# RFC 7386 Appendix A, every example, plus nested creation.
@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
        ({"a": {"x": 1, "y": {"z": 2}}}, {"a": {"y": {"w": 3}}}, {"a": {"x": 1, "y": {"z": 2, "w": 3}}}),
        ({"a": 1}, {}, {"a": 1}),
    ],
    ids=[f"rfc-{n}" for n in range(1, 16)] + ["nested-merge", "empty-patch"],
)
def test_merge_patch(target, patch, result):
    before = (copy.deepcopy(target), copy.deepcopy(patch))
    assert merge_patch(target, patch) == result
    assert (target, patch) == before  # inputs untouched


@pytest.fixture
def kube(tmp_path):
    return MemoryKube(ClusterState(tmp_path))


def _instance(name, **labels):
    return {"metadata": {"name": name, "labels": labels}, "spec": {"licenseRef": {"name": "lic"}}}


def test_create_fills_identity_and_get_returns_it(kube):
    created = kube.create(FOUNDRY_INSTANCE, "guild", _instance("camp"))
    assert (created["apiVersion"], created["kind"]) == ("foundry.platform/v1alpha1", "FoundryInstance")
    assert created["metadata"]["namespace"] == "guild"
    assert kube.get(FOUNDRY_INSTANCE, "guild", "camp") == created


def test_create_twice_is_already_exists_but_other_namespace_is_fine(kube):
    kube.create(FOUNDRY_INSTANCE, "guild", _instance("camp"))
    with pytest.raises(AlreadyExistsError):
        kube.create(FOUNDRY_INSTANCE, "guild", _instance("camp"))
    kube.create(FOUNDRY_INSTANCE, "other", _instance("camp"))
    kube.create(FOUNDRY_LICENSE, "guild", _instance("camp"))  # same name, other kind


@pytest.mark.parametrize(
    "call",
    [
        lambda k: k.merge_patch(FOUNDRY_INSTANCE, "guild", "ghost", {"spec": {}}),
        lambda k: k.merge_patch_status(FOUNDRY_INSTANCE, "guild", "ghost", {"phase": "x"}),
        lambda k: k.merge_patch(FOUNDRY_INSTANCE, "other", "camp", {"spec": {}}),
        lambda k: k.merge_patch(FOUNDRY_LICENSE, "guild", "camp", {"spec": {}}),
    ],
    ids=["patch", "patch-status", "other-namespace", "other-kind"],
)
def test_missing_objects(kube, call):
    kube.create(FOUNDRY_INSTANCE, "guild", _instance("camp"))
    assert kube.get(FOUNDRY_INSTANCE, "guild", "ghost") is None
    with pytest.raises(NotFoundError):
        call(kube)


def test_get_returns_a_copy(kube):
    kube.create(FOUNDRY_INSTANCE, "guild", _instance("camp"))
    kube.get(FOUNDRY_INSTANCE, "guild", "camp")["spec"]["licenseRef"]["name"] = "changed"
    assert kube.get(FOUNDRY_INSTANCE, "guild", "camp")["spec"]["licenseRef"]["name"] == "lic"


def test_merge_patch_leaves_status_to_the_status_subresource(kube):
    kube.create(FOUNDRY_INSTANCE, "guild", _instance("camp"))
    kube.merge_patch_status(FOUNDRY_INSTANCE, "guild", "camp", {"isActive": True, "players": 2})
    kube.merge_patch(
        FOUNDRY_INSTANCE, "guild", "camp", {"spec": {"proxyPort": 8443}, "status": {"isActive": False}}
    )
    patched = kube.merge_patch_status(FOUNDRY_INSTANCE, "guild", "camp", {"players": None})
    assert patched["spec"] == {"licenseRef": {"name": "lic"}, "proxyPort": 8443}
    assert patched["status"] == {"isActive": True}


@pytest.mark.parametrize(
    ("namespace", "labels", "names"),
    [
        ("guild", None, ["a", "b", "c"]),
        ("guild", {}, ["a", "b", "c"]),
        ("guild", {"team": "red"}, ["a", "b"]),
        ("guild", {"team": "red", "tier": "gold"}, ["b"]),
        ("guild", {"team": "blue"}, []),
        ("other", None, ["a"]),
        ("other", {"team": "red"}, []),
        ("empty", None, []),
    ],
    ids=[
        "all",
        "empty-selector",
        "one-label",
        "two-labels",
        "no-match",
        "other-ns",
        "other-ns-label",
        "none",
    ],
)
def test_list_filters_by_namespace_and_labels(kube, namespace, labels, names):
    kube.create(FOUNDRY_INSTANCE, "guild", _instance("a", team="red"))
    kube.create(FOUNDRY_INSTANCE, "guild", _instance("b", team="red", tier="gold"))
    kube.create(FOUNDRY_INSTANCE, "guild", _instance("c"))
    kube.create(FOUNDRY_INSTANCE, "other", _instance("a", team="blue"))
    kube.create(FOUNDRY_LICENSE, "guild", _instance("lic", team="red"))
    found = kube.list(FOUNDRY_INSTANCE, namespace, labels)
    assert sorted(o["metadata"]["name"] for o in found) == names


def _secret(name="license"):
    encoded = base64.b64encode(PLANTED.encode()).decode()
    return {"metadata": {"name": name}, "data": {"key": encoded}, "stringData": {"other": PLANTED}}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (
            {"kind": "Secret", "data": {"b": "eA=="}, "stringData": {"a": "x"}},
            {"kind": "Secret", "data": {"a": "", "b": ""}},
        ),
        (
            {"kind": "Secret", "metadata": {"name": "s"}},
            {"kind": "Secret", "metadata": {"name": "s"}, "data": {}},
        ),
        ({"kind": "ConfigMap", "data": {"a": "x"}}, {"kind": "ConfigMap", "data": {"a": "x"}}),
    ],
    ids=["values-dropped-keys-kept", "no-data", "not-a-secret"],
)
def test_redact(obj, expected):
    assert redact(obj) == expected


def test_secret_values_are_never_stored(kube):
    created = kube.create(SECRET, "guild", _secret())
    patched = kube.merge_patch(
        SECRET, "guild", "license", {"data": {"third": "eA=="}, "stringData": {"x": PLANTED}}
    )
    assert created["data"] == {"key": "", "other": ""}
    assert patched["data"] == {"key": "", "other": "", "third": "", "x": ""} and "stringData" not in patched
    assert PLANTED not in repr(kube.state.objects)


def test_save_writes_no_secret_value(tmp_path, kube):
    kube.create(SECRET, "guild", _secret())
    kube.create(FOUNDRY_LICENSE, "guild", _instance("lic"))
    # Plant a value straight into memory too: save() itself must redact, whatever put() did.
    kube.state.objects[("secrets", "guild", "planted")] = {"kind": "Secret", **_secret("planted")}
    kube.state.objects[("secrets", "guild", "planted")]["metadata"]["namespace"] = "guild"
    kube.state.save()
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        "objects/foundrylicenses/guild/lic.yaml",
        "objects/secrets/guild/license.yaml",
        "objects/secrets/guild/planted.yaml",
    ]
    secret_b64 = base64.b64encode(PLANTED.encode()).decode()
    for path in files:
        text = path.read_text()
        assert PLANTED not in text and secret_b64 not in text, path
    assert yaml.safe_load(files[2].read_text())["data"] == {"key": "", "other": ""}
    reloaded = MemoryKube(ClusterState(tmp_path))
    assert reloaded.get(FOUNDRY_LICENSE, "guild", "lic") == kube.get(FOUNDRY_LICENSE, "guild", "lic")


def test_secret_file_with_values_is_not_served(tmp_path):
    folder = tmp_path / "objects" / "secrets" / "guild"
    folder.mkdir(parents=True)
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "guild"}}
    (folder / "s.yaml").write_text(yaml.safe_dump({**body, "stringData": {"key": PLANTED}}))
    assert PLANTED not in repr(MemoryKube(ClusterState(tmp_path)).get(SECRET, "guild", "s"))

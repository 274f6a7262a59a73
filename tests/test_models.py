"""parse_request: every field of DESIGN §3 parses, and every refusal names the exact field path."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foundry_lib.errors import UserError
from foundry_lib.models import FoundryActivationRequestSpec as ACT
from foundry_lib.models import FoundryInstanceSpec as INST
from foundry_lib.models import FoundryLicenseSpec as LIC
from foundry_lib.models import parse_request
from foundry_lib.models.common import AutoUpdate, StorageBackend
from foundry_lib.models.license import Approval, WhenPlayersConnected
from foundry_lib.volumes import Mode

MINIMAL = {
    LIC: {"licenseSecretRef": {"name": "lic-secret", "key": "license"}, "baseDomain": "dungeons.example.com"},
    INST: {"licenseRef": {"name": "dungeons"}},
    ACT: {"instanceRef": {"name": "campaign-alpha"}, "requestedBy": {"source": "discord"}},
}
FULL_LICENSE = {
    **MINIMAL[LIC],
    "credentialsSecretRef": {"name": "foundry-account"},
    "activeInstanceName": "campaign-alpha",
    "switchover": {"whenPlayersConnected": "block", "gracePeriod": "20m"},
    "activation": {"approval": "autoWhenIdle", "idleFor": "5m", "requestTTL": "2h"},
    "defaults": {"foundryVersion": "13.347.0", "proxySSL": False, "autoUpdate": "build"},
    "restrictions": {"maxInstances": 3, "allowedVersions": ["13.x", "latest"]},
    "sharedNfsRoot": "/volume1/foundry/shared/dungeons-guild",
    "standby": {"scaleToZero": True},
    "ownership": {
        "discordUserId": "123",
        "allowedActivators": [{"discordRoleId": "987"}, {"discordUserId": "5"}],
        "allowedUsers": [{"discordUserId": "6"}],
    },
}
FULL_LICENSE["defaults"] |= {"resources": {"cpu": "500m", "memory": "2Gi"}, "storage": {"backend": "nfs"}}
FULL_INSTANCE = {
    **MINIMAL[INST],
    "foundryVersion": "13.348",
    "autoUpdate": "generation",
    "hostname": "play.example.org",
    "proxySSL": True,
    "proxyPort": 8443,
    "resources": {"cpu": "2", "memory": "4Gi"},
    "storage": {"backend": "pvc", "size": "20Gi", "storageClassName": "fast-ssd"},
    "adminKeySecretRef": {"name": "admin", "key": "key"},
    "volumes": {
        "worlds": {"mode": "copied", "source": {"instance": "campaign-beta"}},
        "plugins": {"mode": "shared", "source": {"path": "guild/modules"}},
    },
}


def _parse(model, extra, name="campaign-alpha"):
    obj = {"metadata": {"name": name, "namespace": "guild"}, "spec": {**MINIMAL[model], **extra}}
    return parse_request(obj, model)


def _refusal(model, extra, name="campaign-alpha") -> UserError:
    with pytest.raises(UserError) as info:
        _parse(model, extra, name)
    return info.value


def _json(model):
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


FULL_ACTIVATION = {
    **MINIMAL[ACT],
    "requestedBy": {"source": "standby-page", "discordUserId": "42", "displayName": "Bob"},
    "reason": "session starts at 8pm",
    "decision": {"approved": True, "by": "discord:123", "at": "2024-01-01T20:00:00Z", "roles": ["987"]},
}


@pytest.mark.parametrize(
    ("model", "spec"),
    [(LIC, FULL_LICENSE), (INST, FULL_INSTANCE), (ACT, FULL_ACTIVATION)],
    ids=["lic", "inst", "act"],
)
def test_every_field_of_the_design_parses_and_round_trips(model, spec):
    assert _json(_parse(model, spec).spec) == spec


def test_parsed_values_are_typed():
    lic = _parse(LIC, FULL_LICENSE).spec
    assert lic.desired_active == "campaign-alpha"
    assert lic.switchover.when_players_connected is WhenPlayersConnected.BLOCK
    assert lic.activation.approval is Approval.AUTO_WHEN_IDLE and lic.defaults.auto_update is AutoUpdate.BUILD
    assert lic.defaults.storage is not None and lic.defaults.storage.backend is StorageBackend.NFS
    assert _parse(INST, FULL_INSTANCE).spec.volumes.worlds.mode is Mode.COPIED


def test_defaults_follow_the_design():
    lic = _parse(LIC, {"activeInstanceName": ""}).spec
    assert lic.desired_active is None
    assert _json(lic.switchover) == {"whenPlayersConnected": "grace", "gracePeriod": "15m"}
    assert _json(lic.activation) == {"approval": "manual", "idleFor": "10m", "requestTTL": "1h"}
    assert _json(_parse(INST, {}).spec.volumes) == {"worlds": {"mode": "new"}, "plugins": {"mode": "new"}}


def test_metadata_is_carried():
    meta = {"name": "c", "labels": {"a": "b"}, "annotations": {"x": "y"}, "generation": 3}
    req = parse_request({"metadata": meta, "spec": MINIMAL[INST], "status": {"k": 1}}, INST)
    assert (req.name, req.namespace, req.generation, req.status) == ("c", "default", 3, {"k": 1})
    assert (req.labels, req.annotations) == ({"a": "b"}, {"x": "y"})


def _nest(path, value):
    """`a.b[0].c` → {"a": {"b": [{"c": value}]}}."""
    for part in reversed(path.split(".")):
        name, _, index = part.partition("[")
        value = {name: [value] if index else value}
    return value


def _merged(base, extra):
    out = dict(base)
    for key, value in extra.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merged(out[key], value) if both else value
    return out


def _clause(err: UserError, field: str) -> str:
    """The part of the message about `field` (messages are `path: problem; path: problem`)."""
    return next((c for c in err.message.split("; ") if c.startswith(f"{field}: ")), "")


ACCEPTED = [
    *((INST, "foundryVersion", v) for v in ("13.348", "13.348.0", "13.x", "latest")),
    (INST, "volumes.worlds.mode", "shared"),
    (INST, "volumes.plugins", {"mode": "copied", "source": {"path": "maps/v1"}}),
    (INST, "hostname", "play.example.com"),
    *((INST, "proxyPort", p) for p in (1, 65535)),
    *((LIC, "restrictions.maxInstances", m) for m in (1, 1000)),
    *((LIC, "switchover.gracePeriod", d) for d in ("15m", "1h30m", "90s")),
]


@pytest.mark.parametrize(("model", "path", "value"), ACCEPTED, ids=[f"{p}={v}" for _, p, v in ACCEPTED])
def test_accepted(model, path, value):
    _parse(model, _merged(MINIMAL[model], _nest(path, value)))


POOL_ESCAPES = ["../x", "/abs", "a/../../b", "a\\b", "a\x00b"]
BAD_LABELS = {"upper": "Alpha", "under": "a_b", "64": "a" * 64, "lead": "-a", "trail": "a-", "empty": ""}
UNKNOWN = "unknown field"
POOL = "not a valid pool path"
ONE = "exactly one of instance or path"
# (model, field path under spec, value put there in an otherwise valid spec, words the message says about it)
REFUSED = [
    (INST, "bogus", 1, UNKNOWN),
    (INST, "licenseRef.namespace", "x", UNKNOWN),
    (INST, "volumes.assets", {}, UNKNOWN),
    (INST, "volumes.worlds.size", 1, UNKNOWN),
    (INST, "volumes.plugins.source.url", "x", UNKNOWN),
    (INST, "resources.gpu", "1", UNKNOWN),
    (INST, "storage.bogus", 1, UNKNOWN),
    (INST, "adminKeySecretRef.value", "hunter2", UNKNOWN),
    (LIC, "licenseSecretRef.value", "hunter2", UNKNOWN),
    (LIC, "switchover.x", 1, UNKNOWN),
    (LIC, "activation.requestTtl", "1h", UNKNOWN),
    (LIC, "defaults.resources.gpu", 1, UNKNOWN),
    (LIC, "restrictions.x", 1, UNKNOWN),
    (LIC, "standby.x", 1, UNKNOWN),
    (LIC, "ownership.allowedActivators[0].x", 1, UNKNOWN),
    (LIC, "credentialsSecretRef.key", "k", UNKNOWN),
    (ACT, "decision.extra", 1, UNKNOWN),
    (ACT, "requestedBy.x", 1, UNKNOWN),
    (ACT, "instanceRef.x", 1, UNKNOWN),
    *((INST, "licenseRef.name", v, "DNS-1123") for v in ("Alpha", "a_b", "-a", "a-")),
    *((INST, "licenseRef.name", v, "character") for v in ("a" * 64, "")),
    *((LIC, "switchover.gracePeriod", d, "a duration like") for d in ("15 minutes", "-1m", "1d", "")),
    (LIC, "activation.idleFor", "1d", "a duration like"),
    (LIC, "activation.requestTTL", "1d", "a duration like"),
    *((INST, "foundryVersion", v, "13.x") for v in ("13", "v13", "13.x.1", " 13.x", "13.x\n")),
    (LIC, "defaults.foundryVersion", "v13", "latest"),
    (LIC, "restrictions.allowedVersions[0]", "13", "13.348"),
    (LIC, "ownership.allowedActivators[0]", {}, "exactly one"),
    (LIC, "ownership.allowedUsers[0]", {"discordRoleId": "1", "discordUserId": "2"}, "exactly one"),
    (LIC, "ownership.allowedActivators[0]", {"discordRoleId": "1", "discordUserId": "2"}, "exactly one"),
    (INST, "volumes.worlds.source", {}, ONE),
    (INST, "volumes.worlds.source", {"instance": "b", "path": "p"}, ONE),
    (INST, "volumes.worlds", {"mode": "new", "source": {"path": "p"}}, "mode new takes no source"),
    (INST, "volumes.plugins", {"mode": "copied"}, "needs a source"),
    *((INST, f"volumes.{kind}.source.path", p, POOL) for kind in ("worlds", "plugins") for p in POOL_ESCAPES),
    (INST, "adminKeySecretRef.key", "hunter2 value", "Secret key"),
    (LIC, "licenseSecretRef.name", "Hunter2", "DNS name"),
    *((INST, "hostname", h, "DNS name") for h in ("Play.example.com", "-a.com", "a_b.com", "a..b")),
    (INST, "hostname", "a" * 254, "at most 253"),
    *((INST, "proxyPort", p, "greater than or equal to 1") for p in (0, -1)),
    (INST, "proxyPort", 65536, "less than or equal to 65535"),
    (LIC, "restrictions.maxInstances", 0, "greater than or equal to 1"),
    (LIC, "restrictions.maxInstances", 1001, "less than or equal to 1000"),
    (LIC, "baseDomain", None, "valid string"),
]


@pytest.mark.parametrize(
    ("model", "path", "value", "words"), REFUSED, ids=[f"{p}={v!r}"[:60] for _, p, v, _ in REFUSED]
)
def test_refused_with_field_path(model, path, value, words):
    err = _refusal(model, _merged(MINIMAL[model], _nest(path, value)))
    field = f"spec.{path}"
    assert words in _clause(err, field), err.message
    assert err.field == field or "; " in err.message
    assert "unter2" not in err.message  # secret-looking values are never echoed


@pytest.mark.parametrize(
    ("model", "spec", "field"),
    [
        (INST, {}, "spec.licenseRef"),
        (INST, {**MINIMAL[INST], "adminKeySecretRef": {"name": "a"}}, "spec.adminKeySecretRef.key"),
        (LIC, {"licenseSecretRef": {"name": "s", "key": "k"}}, "spec.baseDomain"),
        (ACT, {"instanceRef": {"name": "a"}}, "spec.requestedBy"),
    ],
    ids=["license-ref", "secret-key", "base-domain", "requested-by"],
)
def test_missing_required_field_is_named(model, spec, field):
    with pytest.raises(UserError) as info:
        parse_request({"metadata": {"name": "a"}, "spec": spec}, model)
    assert info.value.message == f"{field}: required field is missing"


def test_unknown_key_named_like_a_type_keeps_its_path():
    assert _refusal(INST, {"str": 1}).field == "spec.str"


@pytest.mark.parametrize("name", BAD_LABELS.values(), ids=BAD_LABELS.keys())
def test_bad_metadata_name(name):
    err = _refusal(INST, {}, name=name)
    assert (err.field, err.reason) == ("metadata.name", "InvalidName")
    assert err.message.startswith("metadata.name: ")


def test_metadata_name_with_trailing_newline_is_refused():
    assert _refusal(INST, {}, name="abc\n").field == "metadata.name"


HOSTILE = {"10kb": "x" * 10_000, "yaml": "x\nkind: Secret", "html": "<script>alert(1)</script>"}
HOSTILE_FIELDS = {
    "version": lambda v: {"foundryVersion": v},
    "hostname": lambda v: {"hostname": v},
    "ref": lambda v: {"licenseRef": {"name": v}},
    "pool": lambda v: {"volumes": {"worlds": {"mode": "shared", "source": {"path": v}}}},
    "secret-key": lambda v: {"adminKeySecretRef": {"name": "a", "key": v}},
    "enum": lambda v: {"autoUpdate": v},
}


def _assert_bounded(err: UserError) -> None:
    """Messages stay readable: no 10 KB echo, no flood of clauses."""
    assert len(err.message) < 1000
    assert "x" * 101 not in err.message


@pytest.mark.parametrize("field", HOSTILE_FIELDS)
@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_are_refused_with_bounded_messages(field, value):
    _assert_bounded(_refusal(INST, HOSTILE_FIELDS[field](value)))


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_unknown_keys_are_not_echoed_raw(value):
    err = _refusal(INST, {value: 1})
    _assert_bounded(err)
    assert "\n" not in err.message and "<script>" not in err.message


@pytest.mark.parametrize("meta", ["x", {"name": "a", "labels": "x"}, {"name": "a", "generation": "x"}])
def test_malformed_metadata_is_a_user_error(meta):
    with pytest.raises(UserError):
        parse_request({"metadata": meta, "spec": MINIMAL[INST]}, INST)


def test_shared_root_refuses_parent_segments():
    assert _refusal(LIC, {"sharedNfsRoot": "/srv/shared/../../etc"}).field == "spec.sharedNfsRoot"


def test_boolean_is_not_a_port():
    assert _refusal(INST, {"proxyPort": True}).field == "spec.proxyPort"


def _keys(obj):
    if isinstance(obj, dict):
        yield from obj
    for child in obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list) else ():
        yield from _keys(child)


FIELD_NAMES = sorted({*_keys([FULL_LICENSE, FULL_INSTANCE, MINIMAL[ACT]]), "decision", "approved", "by"})
LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
LEAVES |= st.sampled_from(["new", "copied", "shared", "13.x", "15m", "a", "../x"])
JSONISH = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(model=st.sampled_from([LIC, INST, ACT]), extra=st.dictionaries(st.sampled_from(FIELD_NAMES), JSONISH))
def test_arbitrary_specs_only_raise_user_error(model, extra):
    try:
        _parse(model, extra)
    except UserError as err:
        assert err.message.startswith(f"{err.field}: ")

"""Effective instance values: the instance's own field, else the license default, else the platform's."""

from __future__ import annotations

import pytest

from foundry_lib.effective import Origin, effective_spec
from foundry_lib.models import FoundryInstanceSpec, FoundryLicenseSpec
from foundry_lib.models.common import StorageBackend
from foundry_lib.settings import PlatformSettings

PLATFORM = PlatformSettings(
    default_cpu="250m",
    default_memory="512Mi",
    storage_backend=StorageBackend.NFS,
    storage_class="slow-hdd",
    worlds_volume_size="20Gi",
)
LICENSE = {"licenseSecretRef": {"name": "s", "key": "k"}, "baseDomain": "example.com"}

# (attribute, status key, path in the instance spec and in the license defaults, instance, license, platform)
# License None: the license has no default for this field, so the platform's value applies.
FIELDS = [
    ("foundry_version", "foundryVersion", "foundryVersion", "13.348", "13.x", "latest"),
    ("auto_update", "autoUpdate", "autoUpdate", "build", "generation", "none"),
    ("proxy_ssl", "proxySSL", "proxySSL", False, False, True),
    ("proxy_port", "proxyPort", "proxyPort", 8443, None, 443),
    ("cpu", "cpu", "resources.cpu", "2", "1", "250m"),
    ("memory", "memory", "resources.memory", "4Gi", "2Gi", "512Mi"),
    ("storage_backend", "storageBackend", "storage.backend", "pvc", "pvc", "nfs"),
    ("storage_class", "storageClassName", "storage.storageClassName", "fast", "medium", "slow-hdd"),
    ("worlds_size", "storageSize", "storage.size", "50Gi", "30Gi", "20Gi"),
]


def _nest(path: str, value: object) -> dict:
    head, _, rest = path.partition(".")
    return {head: _nest(rest, value) if rest else value}


def _cases():
    for attr, key, path, inst, lic, platform in FIELDS:
        instance, defaults = _nest(path, inst), {} if lic is None else _nest(path, lic)
        # The license default is set in the instance case too: the instance must still win.
        yield pytest.param(attr, key, instance, defaults, inst, Origin.INSTANCE, id=f"{attr}-instance")
        if lic is not None:
            yield pytest.param(attr, key, {}, defaults, lic, Origin.LICENSE, id=f"{attr}-license")
        yield pytest.param(attr, key, {}, {}, platform, Origin.PLATFORM, id=f"{attr}-platform")


CASES = list(_cases())


def _effective(instance: dict, defaults: dict, settings: PlatformSettings = PLATFORM):
    spec = FoundryInstanceSpec.model_validate({"licenseRef": {"name": "lic"}, **instance})
    license_spec = FoundryLicenseSpec.model_validate({**LICENSE, "defaults": defaults})
    return effective_spec(spec, license_spec, settings)


@pytest.mark.parametrize(("attr", "key", "instance", "defaults", "value", "origin"), CASES)
def test_instance_wins_over_license_over_platform(attr, key, instance, defaults, value, origin):
    picked = getattr(_effective(instance, defaults), attr)
    assert (picked.value, picked.origin) == (value, origin)


@pytest.mark.parametrize(("attr", "key", "instance", "defaults", "value", "origin"), CASES)
def test_status_shows_value_and_origin(attr, key, instance, defaults, value, origin):
    status = _effective(instance, defaults).to_status()
    assert status[key] == {"value": value, "from": origin.value}
    assert type(status[key]["value"]) in (str, bool, int)  # plain YAML, no enum objects


def test_each_resource_falls_back_on_its_own():
    # The instance sets cpu only, the license memory only: each field still finds its own source.
    eff = _effective(
        {"resources": {"cpu": "2"}}, {"resources": {"memory": "2Gi"}, "storage": {"size": "30Gi"}}
    )
    assert (eff.cpu.origin, eff.memory.origin) == (Origin.INSTANCE, Origin.LICENSE)
    assert (eff.worlds_size.origin, eff.storage_class.origin) == (Origin.LICENSE, Origin.PLATFORM)


def test_unset_storage_class_is_left_out_of_status():
    status = _effective({}, {}, PlatformSettings()).to_status()
    assert "storageClassName" not in status
    assert status["foundryVersion"] == {"value": "latest", "from": "platform"}
    assert status["autoUpdate"] == {"value": "none", "from": "platform"}
    assert set(status) == {key for _, key, *_ in FIELDS} - {"storageClassName"}


PROXY_PORT = [
    # (id, instance fields, license defaults, effective proxyPort): Foundry writes it into invitations
    ("ssl-default", {}, {}, 443),
    ("instance-plain-http", {"proxySSL": False}, {}, 80),
    ("license-plain-http", {}, {"proxySSL": False}, 80),
    ("instance-ssl-over-license-plain", {"proxySSL": True}, {"proxySSL": False}, 443),
    ("explicit-port-wins", {"proxySSL": False, "proxyPort": 8080}, {}, 8080),
]


@pytest.mark.parametrize(
    ("instance", "defaults", "port"), [p[1:] for p in PROXY_PORT], ids=[p[0] for p in PROXY_PORT]
)
def test_proxy_port_defaults_from_proxy_ssl(instance, defaults, port):
    assert _effective(instance, defaults).proxy_port.value == port

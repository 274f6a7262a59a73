"""Effective values of an instance: its own field, else the license default, else the platform's.

Status shows each value and where it came from, so a game master can tell why a server got what it got.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from foundry_lib.models.common import AutoUpdate, StorageBackend
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.settings import PlatformSettings

T = TypeVar("T")


class Origin(StrEnum):
    INSTANCE = "instance"
    LICENSE = "license"
    PLATFORM = "platform"


@dataclass(frozen=True)
class Sourced(Generic[T]):
    value: T
    origin: Origin


def _pick(instance: T | None, license_default: T | None, platform: T) -> Sourced[T]:
    if instance is not None:
        return Sourced(instance, Origin.INSTANCE)
    if license_default is not None:
        return Sourced(license_default, Origin.LICENSE)
    return Sourced(platform, Origin.PLATFORM)


@dataclass(frozen=True)
class EffectiveSpec:
    foundry_version: Sourced[str]
    auto_update: Sourced[AutoUpdate]
    proxy_ssl: Sourced[bool]
    proxy_port: Sourced[int]
    cpu: Sourced[str]
    memory: Sourced[str]
    storage_backend: Sourced[StorageBackend]
    storage_class: Sourced[str | None]
    worlds_size: Sourced[str]

    def to_status(self) -> dict[str, Any]:
        """`{foundryVersion: {value: 13.x, from: license}, ...}` in the spec's camelCase names."""
        fields: dict[str, Sourced[Any]] = {
            "foundryVersion": self.foundry_version,
            "autoUpdate": self.auto_update,
            "proxySSL": self.proxy_ssl,
            "proxyPort": self.proxy_port,
            "cpu": self.cpu,
            "memory": self.memory,
            "storageBackend": self.storage_backend,
            "storageClassName": self.storage_class,
            "storageSize": self.worlds_size,
        }
        return {
            key: {"value": _plain(s.value), "from": s.origin.value}
            for key, s in fields.items()
            if s.value is not None
        }


def _plain(value: object) -> object:
    return value.value if isinstance(value, StrEnum) else value


def effective_spec(
    spec: FoundryInstanceSpec, license_spec: FoundryLicenseSpec, settings: PlatformSettings
) -> EffectiveSpec:
    defaults = license_spec.defaults
    proxy_ssl = _pick(spec.proxy_ssl, defaults.proxy_ssl, True)
    res, dres = spec.resources, defaults.resources
    sto, dsto = spec.storage, defaults.storage
    return EffectiveSpec(
        foundry_version=_pick(spec.foundry_version, defaults.foundry_version, "latest"),
        auto_update=_pick(spec.auto_update, defaults.auto_update, AutoUpdate.NONE),
        proxy_ssl=proxy_ssl,
        # Foundry writes this port into invitation links: the gateway's, from the scheme players use.
        proxy_port=_pick(spec.proxy_port, None, 443 if proxy_ssl.value else 80),
        cpu=_pick(res.cpu if res else None, dres.cpu if dres else None, settings.default_cpu),
        memory=_pick(res.memory if res else None, dres.memory if dres else None, settings.default_memory),
        storage_backend=_pick(
            sto.backend if sto else None, dsto.backend if dsto else None, settings.storage_backend
        ),
        storage_class=_pick(
            sto.storage_class_name if sto else None,
            dsto.storage_class_name if dsto else None,
            settings.storage_class,
        ),
        worlds_size=_pick(
            sto.size if sto else None, dsto.size if dsto else None, settings.worlds_volume_size
        ),
    )

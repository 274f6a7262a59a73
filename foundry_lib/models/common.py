"""Field types and small models shared by the three resource specs."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from foundry_lib.durations import DURATION_PATTERN
from foundry_lib.errors import UserError
from foundry_lib.names import DNS1123_LABEL_PATTERN
from foundry_lib.pool_paths import validate_root
from foundry_lib.quantities import MIN_MEMORY_BYTES, quantity

# Annotated string types carry their rule into the generated CRD schema (pattern, maxLength).
DNSLabel = Annotated[str, StringConstraints(pattern=DNS1123_LABEL_PATTERN, min_length=1, max_length=63)]
DNSSubdomain = Annotated[
    str,
    StringConstraints(
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        min_length=1,
        max_length=253,
    ),
]
# "" means "none" where a user clears a choice (e.g. activeInstanceName).
DNSLabelOrEmpty = Annotated[
    str, StringConstraints(pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$", max_length=63)
]
SecretKey = Annotated[str, StringConstraints(pattern=r"^[-._a-zA-Z0-9]+$", min_length=1, max_length=253)]
Duration = Annotated[str, StringConstraints(pattern=DURATION_PATTERN, max_length=32)]
VersionSelector = Annotated[
    str,
    StringConstraints(
        pattern=r"^(latest|[0-9]{1,4}\.x|[0-9]{1,4}\.[0-9]{1,6}(\.[0-9]{1,4})?)$", max_length=20
    ),
]


def _positive_cpu(value: str) -> str:
    if quantity(value) <= 0:
        raise ValueError(f"{value!r} is zero CPU; give at least 1m (e.g. '500m' or '1')")
    return value


def _enough_memory(value: str) -> str:
    if quantity(value) < MIN_MEMORY_BYTES:
        raise ValueError(f"{value!r} is below Foundry's minimum of 512Mi; give at least '512Mi' (e.g. '1Gi')")
    return value


def _positive_size(value: str) -> str:
    if quantity(value) <= 0:
        raise ValueError(f"{value!r} is an empty volume; give a positive size (e.g. '10Gi')")
    return value


# Patterns go into the CRD; the minimums (no zero CPU, memory ≥ 512Mi, no empty volume) are checked here.
CpuQuantity = Annotated[
    str,
    StringConstraints(pattern=r"^([0-9]{1,6}m|[0-9]{1,4}(\.[0-9]{1,3})?)$", max_length=12),
    AfterValidator(_positive_cpu),
]
MemoryQuantity = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,6}(Ki|Mi|Gi|Ti|k|M|G|T)?$", max_length=12),
    AfterValidator(_enough_memory),
]
StorageQuantity = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,6}(Mi|Gi|Ti|M|G|T)$", max_length=12),
    AfterValidator(_positive_size),
]


def _normalised_root(value: str) -> str:
    try:
        return validate_root(value, "path")
    except UserError as err:
        raise ValueError(err.message.removeprefix("path: ")) from None


# The pattern goes into the CRD (RE2 has no lookahead); '.' and '..' segments are refused in Python.
AbsolutePath = Annotated[
    str,
    StringConstraints(pattern=r"^(/[A-Za-z0-9._-]+)+$", min_length=2, max_length=1024),
    AfterValidator(_normalised_root),
]
DiscordId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")]


class SpecModel(BaseModel):
    """Base of every spec model: frozen, unknown fields rejected, camelCase on the wire."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=False,
    )


class AutoUpdate(StrEnum):
    """How far an instance follows new releases without a spec change (DESIGN §6)."""

    NONE = "none"  # keep what was first resolved while the selector admits it
    BUILD = "build"  # newest stable build within the running generation
    GENERATION = "generation"  # follow the selector across generations


class StorageBackend(StrEnum):
    NFS = "nfs"
    PVC = "pvc"


class SecretKeyRef(SpecModel):
    """A key in a Secret of the same namespace; the value is never read by the pipelines."""

    name: DNSSubdomain
    key: SecretKey


class SecretRef(SpecModel):
    name: DNSSubdomain


class LocalRef(SpecModel):
    """A resource of the same namespace, by name."""

    name: DNSLabel


class Resources(SpecModel):
    """CPU and memory for the Foundry container (requests = limits for memory)."""

    cpu: CpuQuantity | None = None
    memory: MemoryQuantity | None = None


class Storage(SpecModel):
    """Where an instance's data lives. `size` is the worlds volume (worlds and assets grow)."""

    backend: StorageBackend | None = None
    size: StorageQuantity | None = None
    storage_class_name: DNSSubdomain | None = None


__all__ = [
    "AbsolutePath",
    "AutoUpdate",
    "CpuQuantity",
    "DNSLabel",
    "DNSLabelOrEmpty",
    "DNSSubdomain",
    "DiscordId",
    "Duration",
    "Field",
    "LocalRef",
    "MemoryQuantity",
    "Resources",
    "SecretKeyRef",
    "SecretRef",
    "SpecModel",
    "Storage",
    "StorageBackend",
    "VersionSelector",
]

"""The instance options of `create` and `update`: volume modes and sources, resources, auto-update.

Front ends pass what the user typed; each piece is validated here through the spec models, so an
error names the option the user set (`worlds`, `plugins`, `cpu`, `memory`, `auto-update`, `version`)
and says what is allowed. Nothing here talks to the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from foundry_lib.models.common import AutoUpdate, CpuQuantity, MemoryQuantity, VersionSelector
from foundry_lib.models.instance import Volume
from foundry_lib.models.request import describe_validation_error
from services.commands.context import UsageError, defang

DEFAULT = "default"  # a value that removes the field, so the license default applies again
VOLUME_MODES = (
    "new, copied:SOURCE or shared[:SOURCE]; SOURCE is an instance name (copied:campaign-alpha) "
    "or path=POOL for a pool under the license's shared root (shared:path=homebrew)"
)
VOLUME_SYNTAX = f"MODE[:SOURCE]: {VOLUME_MODES}"
SOURCE_SYNTAX = "an instance name, or path=POOL for a pool under the license's shared root"
VOLUMES = ("worlds", "plugins")
AUTO_UPDATE_VALUES = (*(str(a) for a in AutoUpdate), DEFAULT)

_CPU: TypeAdapter[str] = TypeAdapter(CpuQuantity)
_MEMORY: TypeAdapter[str] = TypeAdapter(MemoryQuantity)
_AUTO_UPDATE: TypeAdapter[AutoUpdate] = TypeAdapter(AutoUpdate)
_VERSION: TypeAdapter[str] = TypeAdapter(VersionSelector)


@dataclass(frozen=True)
class VolumeChoice:
    """A volume's mode and, for copied or shared, its source as typed (`alpha`, `path=maps/v1`)."""

    mode: str
    source: str | None = None

    @classmethod
    def parse(cls, option: str, text: str) -> VolumeChoice:
        """The CLI's `MODE[:SOURCE]`."""
        mode, colon, source = text.partition(":")
        if colon and not source:
            raise UsageError(f"{option}: nothing after ':'; give {VOLUME_SYNTAX}")
        return cls(mode, source if colon else None)


@dataclass(frozen=True)
class InstanceOptions:
    """The optional settings of `create` and `update volumes|resources`; None = not given."""

    worlds: VolumeChoice | None = None
    plugins: VolumeChoice | None = None
    cpu: str | None = None
    memory: str | None = None

    @property
    def volumes_given(self) -> bool:
        return self.worlds is not None or self.plugins is not None

    @property
    def resources_given(self) -> bool:
        return self.cpu is not None or self.memory is not None


NO_OPTIONS = InstanceOptions()


def volume_choice(option: str, mode: str | None, source: str | None) -> VolumeChoice | None:
    """Discord's separate mode and source options as one choice; a source needs a mode."""
    if mode is None:
        if source is not None:
            raise UsageError(f"{option}_source needs a {option} mode (copied or shared)")
        return None
    return VolumeChoice(mode, source)


def volumes_value(options: InstanceOptions, current: Mapping[str, Any]) -> dict[str, Any]:
    """spec.volumes with the given volumes replaced and the others as they are."""
    out = {k: v for k, v in current.items()}
    for option in VOLUMES:
        choice: VolumeChoice | None = getattr(options, option)
        if choice is not None:
            out[option] = _volume(option, choice)
    return out


def resources_value(options: InstanceOptions, current: Mapping[str, Any]) -> dict[str, Any] | None:
    """spec.resources with cpu/memory set (or removed by `default`); None when nothing is left."""
    out = dict(current)
    for option, adapter, value in (("cpu", _CPU, options.cpu), ("memory", _MEMORY, options.memory)):
        if value == DEFAULT:
            out.pop(option, None)
        elif value is not None:
            out[option] = _checked(option, adapter, value)
    return out or None


def auto_update_value(text: str) -> str | None:
    """spec.autoUpdate: none, build or generation; `default` removes it (the license default)."""
    return None if text == DEFAULT else str(_checked("auto-update", _AUTO_UPDATE, text))


def version_value(text: str) -> str:
    return str(_checked("version", _VERSION, text))


def describe_volume(option: str, value: Mapping[str, Any] | None) -> str:
    value = value or {}
    mode = str(value.get("mode") or "new")
    source = value.get("source") or {}
    if "instance" in source:
        return f"{option} {mode} from instance {source['instance']}"
    if "path" in source:
        return f"{option} {mode} from pool path {source['path']}"
    return f"{option} {mode}"


def describe_resources(value: Mapping[str, Any] | None) -> str:
    value = value or {}
    return ", ".join(
        f"{k} {value[k]}" if k in value else f"{k} from the license default" for k in ("cpu", "memory")
    )


def _volume(option: str, choice: VolumeChoice) -> dict[str, Any]:
    raw: dict[str, Any] = {"mode": choice.mode}
    if choice.source is not None:
        raw["source"] = _source(option, choice.source)
    volume = _checked(option, Volume, raw)
    dumped: dict[str, Any] = volume.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


def _source(option: str, text: str) -> dict[str, str]:
    key, equals, rest = text.partition("=")
    if not equals:
        return {"instance": text}
    if key in ("instance", "path"):
        return {key: rest}
    raise UsageError(f"{option}: a source is {SOURCE_SYNTAX}")


def _checked(option: str, check: type[BaseModel] | TypeAdapter[Any], raw: Any) -> Any:
    try:
        return check.model_validate(raw) if isinstance(check, type) else check.validate_python(raw)
    except ValidationError as err:
        raise UsageError(defang(describe_validation_error(err, prefix=option))) from None


def options_of(
    *,
    worlds: str | None = None,
    worlds_source: str | None = None,
    plugins: str | None = None,
    plugins_source: str | None = None,
    cpu: str | None = None,
    memory: str | None = None,
) -> InstanceOptions:
    """Options given separately (Discord's mode and source fields) as one record."""
    return InstanceOptions(
        volume_choice("worlds", worlds, worlds_source),
        volume_choice("plugins", plugins, plugins_source),
        cpu,
        memory,
    )

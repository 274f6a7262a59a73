"""FoundryInstance spec: one Foundry server, one campaign (DESIGN §3, §5)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from foundry_lib.errors import UserError
from foundry_lib.models.common import (
    AutoUpdate,
    DNSLabel,
    DNSSubdomain,
    LocalRef,
    Resources,
    SecretKeyRef,
    SpecModel,
    Storage,
    VersionSelector,
)
from foundry_lib.pool_paths import validate_pool_path
from foundry_lib.volumes import Mode

PoolPath = Annotated[str, Field(min_length=1, max_length=253)]
# A world's id: the name of its folder under Data/worlds (Foundry slugifies titles into these).
WorldId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")]


class VolumeSource(SpecModel):
    """Where a copied or shared volume comes from: another instance's volume or a pool path."""

    instance: DNSLabel | None = None
    path: PoolPath | None = None

    @field_validator("path")
    @classmethod
    def _path_stays_under_its_root(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                validate_pool_path(value, "path")
            except UserError as err:
                raise ValueError(err.message.removeprefix("path: ")) from None
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> VolumeSource:
        if (self.instance is None) == (self.path is None):
            raise ValueError("set exactly one of instance or path")
        return self


class Volume(SpecModel):
    mode: Mode = Mode.NEW
    source: VolumeSource | None = None

    @model_validator(mode="after")
    def _source_fits_mode(self) -> Volume:
        if self.mode is Mode.NEW and self.source is not None:
            raise ValueError("mode new takes no source (use copied or shared)")
        if self.mode is Mode.COPIED and self.source is None:
            raise ValueError("mode copied needs a source: {instance: <name>} or {path: <pool>}")
        return self


class Volumes(SpecModel):
    worlds: Volume = Volume()
    plugins: Volume = Volume()


class FoundryInstanceSpec(SpecModel):
    """What a game master asks for; unset fields fall back to the license defaults."""

    license_ref: LocalRef
    foundry_version: VersionSelector | None = None
    auto_update: AutoUpdate | None = None
    hostname: DNSSubdomain | None = None
    proxy_ssl: StrictBool | None = Field(default=None, alias="proxySSL")
    proxy_port: Annotated[StrictInt, Field(ge=1, le=65535)] | None = Field(
        default=None,
        description=(
            "Port players reach the gateway on, used in invitation links; absent: 443 with proxySSL, else 80."
        ),
    )
    resources: Resources | None = None
    storage: Storage | None = None
    admin_key_secret_ref: SecretKeyRef | None = None
    volumes: Volumes = Volumes()
    world: WorldId | None = Field(
        default=None,
        description=(
            "Id of a world (its folder name under Data/worlds) that Foundry launches on start "
            "(FOUNDRY_WORLD), so players who open the instance go straight into the game. Absent: "
            "Foundry starts on its setup screen."
        ),
    )

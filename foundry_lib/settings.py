"""Platform settings: what a platform team configures in the Promise pipelines' `env`.

Nothing site-specific is a constant in code (DESIGN rule 6). `from_env` takes the environment as a
mapping so the core stays free of process state; unknown FOUNDRY_* keys are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from foundry_lib.durations import DAYS_DURATION_PATTERN, parse_duration
from foundry_lib.errors import UserError
from foundry_lib.hostnames import parse_base_domains
from foundry_lib.models.common import (
    AbsolutePath,
    CpuQuantity,
    DNSLabel,
    DNSSubdomain,
    Duration,
    MemoryQuantity,
    StorageBackend,
    StorageQuantity,
)
from foundry_lib.pool_paths import parse_roots

ENV_PREFIX = "FOUNDRY_"
M = TypeVar("M", bound=BaseModel)
# Gateway API Duration (GEP-2257), exactly the pattern of HTTPRoute `rules[].timeouts`; "0s" = none.
GatewayDuration = Annotated[str, StringConstraints(pattern=r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")]
# A tz database name such as "UTC" or "Europe/Berlin" (the image ships tzdata; Foundry reads TZ).
Timezone = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$")]


def _discord_role(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[0-9]{1,20}", value):
        raise ValueError(
            "must be a Discord role id, 1 to 20 digits (with Developer Mode on, right-click the "
            "role in Discord and choose Copy Role ID)"
        )
    return value


# FOUNDRY_DISCORD_ADMIN_ROLE, the one definition of the Discord role whose holders are Foundry admins.
# Two readers compose it as their `discord_admin_role` field: the activation pipeline
# (PlatformSettings: admins' decisions count on every license) and the vtt commands and Discord bot
# (services.commands.settings.CommandSettings: admins may do everything). Unset: nobody is an admin.
DiscordAdminRole = Annotated[str | None, AfterValidator(_discord_role)]


class PlatformSettings(BaseModel):
    """Defaults and site facts; each field is read from env FOUNDRY_<FIELD IN UPPER SNAKE CASE>."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    image_repository: Annotated[str, Field(pattern=r"^[a-z0-9.:/_-]+$")] = "ghcr.io/felddy/foundryvtt"
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    telemetry: bool = False
    storage_backend: StorageBackend = StorageBackend.PVC
    storage_class: DNSSubdomain | None = None
    csi_clone: bool = False
    nfs_server: str | None = None
    nfs_instance_root: AbsolutePath = "/srv/foundry/instances"
    config_volume_size: StorageQuantity = "5Gi"
    plugins_volume_size: StorageQuantity = "5Gi"
    worlds_volume_size: StorageQuantity = "10Gi"
    default_cpu: CpuQuantity = "500m"
    default_memory: MemoryQuantity = "1Gi"
    memory_limit_factor: Annotated[int, Field(ge=1, le=8)] = 2
    gateway_name: DNSSubdomain = "foundry-gateway"
    gateway_namespace: DNSLabel = "foundry-system"
    gateway_section: DNSSubdomain | None = None
    route_request_timeout: GatewayDuration | None = None
    release_cache_claim: DNSSubdomain | None = None
    timezone: Timezone = "UTC"
    standby_service_name: DNSLabel = "foundry-standby"
    standby_service_namespace: DNSLabel = "foundry-system"
    standby_service_port: Annotated[int, Field(ge=1, le=65535)] = 8080
    catalog_overlay: AbsolutePath | None = None
    pvc_retention: Literal["retain", "delete"] = "retain"
    snapshot_keep: Annotated[int, Field(ge=1, le=100)] = 3
    # How often the monitor polls every instance; player counts older than two intervals are unknown.
    monitor_interval: Duration = "30s"
    discord_admin_role: DiscordAdminRole = None
    # How long finished activation requests are kept before the monitor's timer deletes them.
    activation_retention: Annotated[str, StringConstraints(pattern=DAYS_DURATION_PATTERN)] = "7d"

    @field_validator("monitor_interval")
    @classmethod
    def _at_least_a_second(cls, value: str) -> str:
        if parse_duration(value) < timedelta(seconds=1):
            raise ValueError("must be at least 1s, like 30s or 1m")
        return value

    @property
    def monitor_interval_delta(self) -> timedelta:
        return parse_duration(self.monitor_interval)

    @property
    def activation_retention_delta(self) -> timedelta:
        return parse_duration(self.activation_retention, days=True)

    # Comma-separated lists (one env value each); read them through the properties below.
    shared_nfs_roots: str = "/srv/foundry/shared"
    allowed_base_domains: str = ""

    @field_validator("shared_nfs_roots")
    @classmethod
    def _roots_apart(cls, value: str, info: ValidationInfo) -> str:
        parse_roots(value, instance_root=info.data.get("nfs_instance_root"))
        return value

    @field_validator("allowed_base_domains")
    @classmethod
    def _domains(cls, value: str) -> str:
        parse_base_domains(value)
        return value

    @property
    def shared_roots(self) -> tuple[str, ...]:
        """Folders for licenses' sharedNfsRoot: each license at or below <root>/<namespace>."""
        return parse_roots(self.shared_nfs_roots, instance_root=self.nfs_instance_root)

    @property
    def base_domains(self) -> tuple[str, ...]:
        """Domain suffixes hostnames must end in; empty admits any."""
        return parse_base_domains(self.allowed_base_domains)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PlatformSettings:
        return model_from_env(
            cls,
            env,
            what="platform configuration (Promise pipeline env)",
            reason="PlatformMisconfigured",
        )


def env_key(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


def model_from_env(model: type[M], env: Mapping[str, str], *, what: str, reason: str) -> M:
    """A settings model from FOUNDRY_<FIELD> variables (empty = unset, unknown ones ignored); an
    invalid value is a UserError naming each variable and what was wrong."""
    values = {
        name: env[key] for name in model.model_fields if (key := env_key(name)) in env and env[key] != ""
    }
    try:
        return model.model_validate(values)
    except ValidationError as err:
        problems = "; ".join(
            f"{env_key(str(e['loc'][0]))}: {e['msg']}" for e in err.errors(include_input=False)
        )
        raise UserError(f"{what} is invalid: {problems}", reason=reason) from None

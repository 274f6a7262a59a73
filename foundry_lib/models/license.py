"""FoundryLicense spec: routing authority and the controls a platform team sets (DESIGN §3)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, model_validator

from foundry_lib.models.common import (
    AbsolutePath,
    AutoUpdate,
    DiscordId,
    DNSLabelOrEmpty,
    DNSSubdomain,
    Duration,
    Resources,
    SecretKeyRef,
    SecretRef,
    SpecModel,
    Storage,
    VersionSelector,
)


class WhenPlayersConnected(StrEnum):
    BLOCK = "block"
    WARN = "warn"
    GRACE = "grace"
    FORCE = "force"


class Approval(StrEnum):
    MANUAL = "manual"
    AUTO = "auto"
    AUTO_WHEN_IDLE = "autoWhenIdle"


class Switchover(SpecModel):
    """What a switch of the active instance does to players still connected."""

    when_players_connected: WhenPlayersConnected = WhenPlayersConnected.GRACE
    grace_period: Duration = "15m"


class Activation(SpecModel):
    """How activation requests (standby page, Discord, kubectl) are approved."""

    approval: Approval = Approval.MANUAL
    idle_for: Duration = "10m"
    request_ttl: Duration = Field(default="1h", alias="requestTTL")


class InstanceDefaults(SpecModel):
    """Values every instance of the license gets for the fields it leaves unset."""

    foundry_version: VersionSelector | None = None
    proxy_ssl: StrictBool | None = Field(default=None, alias="proxySSL")
    auto_update: AutoUpdate | None = None
    resources: Resources | None = None
    storage: Storage | None = None


class Restrictions(SpecModel):
    max_instances: Annotated[StrictInt, Field(ge=1, le=1000)] | None = None
    allowed_versions: Annotated[list[VersionSelector], Field(max_length=32)] | None = None


class Standby(SpecModel):
    scale_to_zero: StrictBool = False


class Activator(SpecModel):
    """Someone allowed to approve activations: a Discord role or a Discord user (exactly one)."""

    discord_role_id: DiscordId | None = None
    discord_user_id: DiscordId | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Activator:
        if (self.discord_role_id is None) == (self.discord_user_id is None):
            raise ValueError("set exactly one of discordRoleId or discordUserId")
        return self


class Ownership(SpecModel):
    discord_user_id: DiscordId | None = None
    allowed_activators: Annotated[list[Activator], Field(max_length=100)] = []
    allowed_users: Annotated[
        list[Activator],
        Field(
            max_length=100,
            description=(
                "Discord users or roles that may create instances under this license (within "
                "restrictions.maxInstances) from the `vtt` commands; each instance's creator may then "
                "update and delete it."
            ),
        ),
    ] = []


class FoundryLicenseSpec(SpecModel):
    """A Foundry license: at most one of its instances is reachable at a time (EULA)."""

    license_secret_ref: SecretKeyRef
    credentials_secret_ref: SecretRef | None = Field(
        default=None,
        description=(
            "Secret with keys `username` and `password` of the foundryvtt.com account that owns the "
            "license. The Foundry image holds no Foundry release: each new container downloads it with "
            "these credentials. Required unless the platform provides a release cache "
            "(FOUNDRY_RELEASE_CACHE_CLAIM); without either, instances are refused with NoReleaseSource."
        ),
    )
    active_instance_name: DNSLabelOrEmpty | None = None
    switchover: Switchover = Switchover()
    activation: Activation = Activation()
    defaults: InstanceDefaults = InstanceDefaults()
    restrictions: Restrictions = Restrictions()
    shared_nfs_root: AbsolutePath | None = None
    base_domain: DNSSubdomain
    standby: Standby = Standby()
    ownership: Ownership = Ownership()

    @property
    def desired_active(self) -> str | None:
        return self.active_instance_name or None

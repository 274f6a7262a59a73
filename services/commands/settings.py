"""The command layer's settings: FOUNDRY_DISCORD_ADMIN_ROLE (the one definition the activation
pipeline's PlatformSettings reads too), FOUNDRY_DISCORD_NAMESPACES and FOUNDRY_DISCORD_DELETE_GRACE,
read from a mapping so tests pass them directly."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from foundry_lib.access import AccessSettings, parse_namespaces
from foundry_lib.durations import DAYS_DURATION_PATTERN, parse_duration
from foundry_lib.settings import DiscordAdminRole, model_from_env


class CommandSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    discord_admin_role: DiscordAdminRole = None
    # Comma-separated namespaces the commands serve; nothing outside them is visible.
    discord_namespaces: Annotated[str, StringConstraints(pattern=r"^[a-z0-9,\s-]*$")] = ""
    discord_delete_grace: Annotated[str, StringConstraints(pattern=DAYS_DURATION_PATTERN)] = "7d"

    @property
    def access(self) -> AccessSettings:
        return AccessSettings(self.discord_admin_role, parse_namespaces(self.discord_namespaces))

    @property
    def delete_grace(self) -> timedelta:
        return parse_duration(self.discord_delete_grace, days=True)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CommandSettings:
        return model_from_env(cls, env, what="command settings", reason="Misconfigured")

"""FoundryActivationRequest spec: someone asks for an instance to become the active one."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictBool

from foundry_lib.models.common import DiscordId, LocalRef, SpecModel


class RequestSource(StrEnum):
    STANDBY_PAGE = "standby-page"
    DISCORD = "discord"
    KUBECTL = "kubectl"


class RequestedBy(SpecModel):
    source: RequestSource
    discord_user_id: DiscordId | None = None
    display_name: Annotated[str, Field(max_length=100)] | None = None


class Decision(SpecModel):
    """Set by an approver; the activation pipeline checks the approver is allowed.

    `by` is `discord:<user id>`. `roles` are the Discord role ids the writer (the Discord bot, which
    reads them from Discord) vouches the approver holds, so `allowedActivators` role entries can
    approve. Both are trusted as written: only the bot and platform admins may edit requests.
    """

    approved: StrictBool
    by: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9:._@-]+$")]
    at: datetime | None = None
    roles: Annotated[list[DiscordId], Field(max_length=50)] = Field(
        default=[],
        description=(
            "Discord role ids the approver holds, as the Discord bot read them: an allowedActivators "
            "discordRoleId entry counts only through this list"
        ),
    )


class FoundryActivationRequestSpec(SpecModel):
    instance_ref: LocalRef
    requested_by: RequestedBy
    reason: Annotated[str, Field(max_length=500)] = ""
    decision: Decision | None = None

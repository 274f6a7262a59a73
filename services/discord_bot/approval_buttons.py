"""Approve / Deny on a posted activation request: persistent buttons keyed by the request, and what a
press does (decide through the command layer, then bring the pressed message up to date)."""

from __future__ import annotations

import asyncio
import re
from typing import Any, ClassVar

import discord

from foundry_lib.errors import FoundryError
from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST
from services.commands import approvals
from services.commands.context import Code, Context, Reply
from services.discord_bot.approval_messages import NO_PINGS, decided_text, gone_text, outcome, shown_patch
from services.discord_bot.runner import KEY, BotDeps, Interaction, principal_of, run

CUSTOM_ID_LIMIT = 100  # Discord's limit on a button's custom_id


async def decide(
    deps: BotDeps, interaction: Interaction, namespace: str, name: str, *, approved: bool
) -> None:
    """An Approve / Deny press. Allowed: the decision is written and the pressed message shows it
    (who, when) without buttons; on a request decided before, it shows that final state and the presser
    is told, privately. Forbidden or failed: only the presser hears why; the message keeps its buttons."""
    decided: list[approvals.Decided] = []

    def command(ctx: Context) -> Reply:
        decided.append(approvals.decide(ctx, name, approved=approved))
        return decided[-1].reply

    what = f"{'approve' if approved else 'deny'} {name}"
    reply, _ = await run(deps, principal_of(interaction), namespace, command, what)
    if reply.code is Code.USAGE and await _gone(deps, namespace, name):  # deleted while open: no buttons
        await interaction.response.edit_message(content=gone_text(name), view=None, allowed_mentions=NO_PINGS)
        await interaction.followup.send(reply.text, ephemeral=True, allowed_mentions=NO_PINGS)
        return
    if reply.code is not Code.DONE or not decided:
        await interaction.response.send_message(reply.text, ephemeral=True, allowed_mentions=NO_PINGS)
        return
    result = decided[-1]
    text = decided_text(result.request)
    await interaction.response.edit_message(content=text, view=None, allowed_mentions=NO_PINGS)
    shown = outcome(result.request)
    if shown is not None:
        patch = shown_patch(shown)
        try:
            await asyncio.to_thread(deps.kube.merge_patch, FOUNDRY_ACTIVATION_REQUEST, namespace, name, patch)
        except FoundryError as err:  # the announcer's next pass edits it again: the same text
            deps.log(f"could not record what the approval message of {namespace}/{name} shows: {err}")
    if not result.fresh:
        await interaction.followup.send(reply.text, ephemeral=True, allowed_mentions=NO_PINGS)


async def _gone(deps: BotDeps, namespace: str, name: str) -> bool:
    try:
        return await asyncio.to_thread(deps.kube.get, FOUNDRY_ACTIVATION_REQUEST, namespace, name) is None
    except FoundryError:
        return False


class _Decide(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"vtt-decide:" + KEY):
    approved: ClassVar[bool]
    deps: ClassVar[BotDeps]

    def __init__(self, namespace: str, name: str) -> None:
        verb = "approve" if self.approved else "deny"
        super().__init__(
            discord.ui.Button(
                label=verb.capitalize(),
                style=discord.ButtonStyle.success if self.approved else discord.ButtonStyle.danger,
                custom_id=f"vtt-{verb}:{namespace}/{name}",
            )
        )
        self.namespace, self.name = namespace, name

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> _Decide:
        return cls(match["namespace"], match["name"])

    async def callback(self, interaction: Interaction) -> None:
        await decide(self.deps, interaction, self.namespace, self.name, approved=self.approved)


class Approve(_Decide, template=r"vtt-approve:" + KEY):
    approved = True


class Deny(_Decide, template=r"vtt-deny:" + KEY):
    approved = False


def approval_view(namespace: str, request: str) -> discord.ui.View | None:
    """Approve / Deny for one activation request: persistent (no timeout, custom_ids keyed by it).
    None when the custom_ids would pass Discord's 100 characters (a long namespace and request name)."""
    if len(f"vtt-approve:{namespace}/{request}") > CUSTOM_ID_LIMIT:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(Approve(namespace, request))
    view.add_item(Deny(namespace, request))
    return view

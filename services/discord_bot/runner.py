"""What every bot handler shares: its dependencies (`BotDeps`), who is asking, and running a command
off the event loop and answering with its reply."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import discord

from foundry_lib.access import Principal
from foundry_lib.kube import KubeAPI
from services.commands.context import Code, Command, Context, Reply, execute
from services.commands.settings import CommandSettings
from services.discord_bot.approval_messages import NO_PINGS

Interaction = discord.Interaction[discord.Client]
# The object a button's custom_id names: "<namespace>/<name>".
KEY = r"(?P<namespace>[a-z0-9-]{1,63})/(?P<name>[a-z0-9.-]{1,253})"


@dataclass(frozen=True)
class BotDeps:
    """What the bot acts through: the cluster, the settings, the release versions and the clock."""

    kube: KubeAPI
    settings: CommandSettings
    versions: Sequence[str]
    clock: Callable[[], datetime]
    log: Callable[[str], None]


def principal_of(interaction: Interaction) -> Principal:
    """The user id and, in a guild, the role ids Discord says the user holds."""
    roles = getattr(interaction.user, "roles", None) or []
    return Principal(str(interaction.user.id), frozenset(str(r.id) for r in roles))


async def run(
    deps: BotDeps, who: Principal, namespace: str | None, command: Command, what: str
) -> tuple[Reply, str]:
    """Runs the blocking command in a thread; returns the reply and the namespace it ran in."""
    served = sorted(deps.settings.access.namespaces)
    if namespace is None:
        if len(served) != 1:
            return Reply(f"name the namespace: this bot serves {', '.join(served) or 'none'}", Code.USAGE), ""
        namespace = served[0]
    ctx = Context(deps.kube, who, namespace, deps.settings, deps.clock(), log=deps.log)
    reply = await asyncio.to_thread(execute, command, ctx)
    deps.log(f"discord:{who.user_id} {what} in {namespace}: {reply.code.name.lower()}")
    return reply, namespace


async def answer(
    deps: BotDeps,
    interaction: Interaction,
    namespace: str | None,
    command: Command,
    what: str,
    *,
    public: bool = False,
    view: Callable[[str], discord.ui.View] | None = None,
) -> None:
    """Denials, errors and replies that concern only the caller are ephemeral."""
    reply, ns = await run(deps, principal_of(interaction), namespace, command, what)
    done = reply.code is Code.DONE
    kwargs: dict[str, Any] = {"ephemeral": not (public and done), "allowed_mentions": NO_PINGS}
    if view is not None and done:
        kwargs["view"] = view(ns)
    await interaction.response.send_message(reply.text, **kwargs)

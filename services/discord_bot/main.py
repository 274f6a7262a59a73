"""`foundry-platform discord-bot`: arguments, wiring, /healthz and a clean shutdown on SIGTERM/SIGINT.

The token comes from DISCORD_TOKEN (a Secret in the cluster) and is never logged. With
FOUNDRY_DISCORD_APPROVAL_CHANNEL set, new activation requests are posted there with Approve / Deny,
and each posted message is edited to show its request's outcome once it is decided.
`--no-gateway` serves /healthz without connecting to Discord (a smoke test of the image and the
wiring; the process tests use it so they need no network).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import sys
from datetime import UTC, datetime

import discord

from foundry_lib.adapters.catalog_files import load_packaged_catalog
from foundry_lib.adapters.kubernetes_api import KubernetesAPI
from foundry_lib.errors import FoundryError, UserError
from services.commands.settings import CommandSettings
from services.discord_bot.announce import announce
from services.discord_bot.app import build_tree
from services.discord_bot.approval_messages import NO_PINGS
from services.discord_bot.runner import BotDeps
from services.status_server import StatusServer

log = logging.getLogger("foundry.discord")
ANNOUNCE_EVERY = 30.0  # seconds between looks for new and newly decided activation requests


def build_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--guild-id",
        help="the Discord server the commands are registered in (default: $FOUNDRY_DISCORD_GUILD_ID)",
    )
    parser.add_argument(
        "--host",
        default="0.0.0.0",  # noqa: S104  (a pod: the kubelet probes from outside)
        help="address for /healthz (default: 0.0.0.0)",
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port for /healthz; 0 picks a free one (default: 8080)"
    )
    parser.add_argument(
        "--kubeconfig",
        help="kubeconfig file, used even in a pod (default: in-cluster, then $KUBECONFIG, ~/.kube/config)",
    )
    parser.add_argument(
        "--no-gateway", action="store_true", help="serve /healthz but do not connect to Discord (smoke tests)"
    )
    return parser


class FoundryBot(discord.Client):
    """The Discord client: its commands and buttons come from `build_tree`, bound to `deps`."""

    def __init__(self, deps: BotDeps, guild_id: int | None, approval_channel: int | None) -> None:
        discord.VoiceClient.warn_nacl = False  # the bot never joins voice; PyNaCl is not needed
        # No message of this bot pings anyone, even one that forgets to say so (user text is echoed).
        super().__init__(intents=discord.Intents(guilds=True), allowed_mentions=NO_PINGS)
        self.deps = deps
        self.tree = build_tree(self, deps).tree
        self.guild_id = guild_id
        self.approval_channel = approval_channel
        self._announcer: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        if self.approval_channel is not None:
            self._announcer = asyncio.create_task(self._announce(self.approval_channel))
        if self.guild_id is not None:
            guild = discord.Object(id=self.guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def _announce(self, channel_id: int) -> None:
        """Every ANNOUNCE_EVERY seconds, posts new activation requests to the approval channel and
        brings the posted ones whose outcome changed up to date."""
        await self.wait_until_ready()
        channel = self.get_channel(channel_id) or await self.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.error("FOUNDRY_DISCORD_APPROVAL_CHANNEL %d is not a text channel", channel_id)
            return

        while not self.is_closed():
            try:
                await announce(self.deps, channel, self)
            except (FoundryError, discord.DiscordException) as err:
                log.warning("posting or updating activation requests failed: %s", err)
            await asyncio.sleep(ANNOUNCE_EVERY)


def _discord_id(text: str | None, name: str) -> int | None:
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,20}", text):
        raise UserError(f"{name} {text!r} must be a Discord id (digits only)")
    return int(text)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    try:
        settings = CommandSettings.from_env(os.environ)
        guild_id = _discord_id(
            args.guild_id or os.environ.get("FOUNDRY_DISCORD_GUILD_ID"),
            "--guild-id / FOUNDRY_DISCORD_GUILD_ID",
        )
        channel = _discord_id(
            os.environ.get("FOUNDRY_DISCORD_APPROVAL_CHANNEL"), "FOUNDRY_DISCORD_APPROVAL_CHANNEL"
        )
        token = os.environ.get("DISCORD_TOKEN", "")
        if not token:
            raise UserError("DISCORD_TOKEN is not set: mount the bot token Secret as this variable")
        if not settings.access.namespaces:
            raise UserError("FOUNDRY_DISCORD_NAMESPACES is empty: name the namespaces the bot serves")
    except UserError as err:
        print(f"foundry-platform discord-bot: {err}", file=sys.stderr)
        return 2
    try:
        kube = KubernetesAPI.from_environment(config_file=args.kubeconfig)
    except Exception as err:  # the client's configuration errors: no service account, no kubeconfig
        print(f"foundry-platform discord-bot: cannot reach the Kubernetes API: {err}", file=sys.stderr)
        return 1
    versions = tuple(r.version for r in sorted(load_packaged_catalog(), key=lambda r: r.key, reverse=True))
    deps = BotDeps(kube, settings, versions, lambda: datetime.now(UTC), log.info)
    try:
        return asyncio.run(_serve(args, deps, guild_id, channel, token))
    finally:
        kube.close()


async def _serve(
    args: argparse.Namespace, deps: BotDeps, guild_id: int | None, channel: int | None, token: str
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    bot = FoundryBot(deps, guild_id, channel)
    try:
        server = StatusServer(args.host, args.port, healthy=lambda: not bot.is_closed(), metrics=lambda: b"")
    except OSError as err:
        print(
            f"foundry-platform discord-bot: cannot serve on {args.host}:{args.port}: {err}", file=sys.stderr
        )
        return 1
    log.info(
        "serving /healthz on %s:%d; namespaces %s",
        args.host,
        server.port,
        ", ".join(sorted(deps.settings.access.namespaces)),
    )
    gateway = None if args.no_gateway else asyncio.create_task(bot.start(token))
    try:
        waiting = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait(
            {waiting, *([gateway] if gateway else [])}, return_when=asyncio.FIRST_COMPLETED
        )
        if gateway in done and gateway is not None and gateway.exception() is not None:
            log.error("the Discord connection failed: %s", type(gateway.exception()).__name__)
            return 1
        log.info("stopped")
        return 0
    finally:
        await bot.close()
        server.close()


def discord_bot_main(argv: list[str]) -> int:
    parser = build_parser(argparse.ArgumentParser(prog="foundry-platform discord-bot", description=__doc__))
    return run(parser.parse_args(argv))

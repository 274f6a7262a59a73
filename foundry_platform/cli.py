"""`foundry-platform`: one command for the platform team's local work."""

from __future__ import annotations

import argparse
import sys

from foundry_platform.simulator.cli import build_parser, simulate


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="foundry-platform",
        description="Foundry Platform: simulate Kratix locally, manage the release catalog, "
        "generate Promises.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    build_parser(commands.add_parser("simulate", help="apply requests to a local simulated cluster"))
    commands.add_parser("releases", help="list or refresh the Foundry release catalog", add_help=False)
    commands.add_parser("promises", help="generate promises/*/promise.yaml from the models", add_help=False)
    commands.add_parser("monitor", help="poll every instance's Foundry and publish players", add_help=False)
    if argv and argv[0] == "monitor":
        from services.monitor.main import monitor_main

        sys.exit(monitor_main(argv[1:]))
    commands.add_parser("discord-bot", help="serve the vtt commands as a Discord bot", add_help=False)
    if argv and argv[0] == "discord-bot":
        from services.discord_bot.main import discord_bot_main

        sys.exit(discord_bot_main(argv[1:]))
    from services.standby_page.serve import build_parser as build_standby_parser

    build_standby_parser(commands.add_parser("standby-page", help="serve the standby page players see"))
    from foundry_platform.vtt_cli import build_parser as build_vtt_parser

    build_vtt_parser(commands.add_parser("vtt", help="run the vtt commands as a Discord user would"))
    if argv and argv[0] == "releases":
        from foundry_platform.releases_cli import releases_main

        sys.exit(releases_main(argv[1:]))
    if argv and argv[0] == "promises":
        from foundry_platform.promisegen import promises_main

        sys.exit(promises_main(argv[1:]))
    args = parser.parse_args(argv)
    if args.command == "simulate":
        sys.exit(simulate(args))
    if args.command == "standby-page":
        from foundry_platform.standby_cli import standby_page

        sys.exit(standby_page(args))
    if args.command == "vtt":
        from foundry_platform.vtt_cli import vtt

        sys.exit(vtt(args))
    parser.print_help()

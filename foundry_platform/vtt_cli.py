"""`foundry-platform vtt`: the vtt commands from a terminal, as a Discord user would run them.

With `--state` it acts on the simulator's cluster and lets the pipelines react (like `simulate`);
otherwise on the cluster of the kubeconfig. Exit 0 done, 2 usage error, 3 denied; reply on stdout.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from foundry_lib.access import Principal
from foundry_lib.errors import UserError
from foundry_lib.kube import KubeAPI
from foundry_platform.simulator.cli import _pair, _parse_now
from foundry_platform.simulator.engine import Engine, SimulationError
from services.commands import approvals, instances, licenses
from services.commands.context import Context, Reply, execute
from services.commands.instances import UPDATE_WORDS
from services.commands.options import VOLUME_MODES, InstanceOptions, VolumeChoice
from services.commands.settings import CommandSettings
from services.commands.status import status

log = logging.getLogger("foundry.vtt")


def build_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--as-user", required=True, metavar="ID", help="the Discord user id acting")
    parser.add_argument(
        "--role", action="append", default=[], metavar="ROLE_ID", help="a role the user holds"
    )
    parser.add_argument(
        "--namespace", help="namespace of the licenses and instances (default: the only one served)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--state", type=Path, help="act on the simulator's cluster in this folder")
    where.add_argument("--kubeconfig", help="act on this cluster (default: $KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--now", help="simulated clock with --state, RFC 3339")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a FOUNDRY_* setting")
    commands = parser.add_subparsers(dest="vtt_command", metavar="COMMAND", required=True)
    st = commands.add_parser("status", help="an instance in detail, or a summary of your licenses")
    st.add_argument("instance", nargs="?")
    create = commands.add_parser("create", help="create an instance under a license")
    create.add_argument("name")
    create.add_argument("license", nargs="?", help="default: the one license you may use, if only one")
    create.add_argument("version", nargs="?", help="13.348, 13.x or latest (default: the license's)")
    _instance_options(create)
    delete = commands.add_parser("delete", help="schedule an instance's deletion after the grace period")
    delete.add_argument("name")
    delete.add_argument("--cancel", action="store_true", help="undo a scheduled deletion")
    update = commands.add_parser(
        "update",
        help="activate or deactivate an instance, or change its version, auto-update, volumes or resources",
        epilog=(
            "update NAME version VERSION | auto-update none|build|generation|default | "
            "volumes --worlds ... --plugins ... | resources --cpu Q --memory Q"
        ),
    )
    update.add_argument("name")
    update.add_argument("what", choices=UPDATE_WORDS)
    update.add_argument(
        "value",
        nargs="?",
        help="the version (13.348, 13.x, latest) or auto-update value (none, build, generation, default)",
    )
    _instance_options(update)
    for verb in ("approve", "deny"):
        decide = commands.add_parser(verb, help=f"{verb} an activation request (as the Discord buttons do)")
        decide.add_argument("request", help="the FoundryActivationRequest's name")
    lic = commands.add_parser("license", help="show a license, grant or revoke access to it")
    lic.add_argument("action", choices=["show", "grant", "revoke"])
    lic.add_argument("license")
    who = lic.add_mutually_exclusive_group()
    who.add_argument("--user", metavar="ID")
    who.add_argument("--role", dest="grant_role", metavar="ID")
    lic.add_argument("--as", dest="as_", choices=["activator", "user"], default="user")
    return parser


def _instance_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--worlds", metavar="MODE[:SOURCE]", help=f"the worlds volume: {VOLUME_MODES}")
    parser.add_argument("--plugins", metavar="MODE[:SOURCE]", help="the plugins volume, as --worlds")
    parser.add_argument("--cpu", metavar="Q", help="CPU, like 500m or 2 (default: the license's)")
    parser.add_argument(
        "--memory", metavar="Q", help="memory, like 2Gi (at least 512Mi; default: the license's)"
    )


def _options(args: argparse.Namespace) -> InstanceOptions:
    """Parsed inside the command, so a bad MODE[:SOURCE] is a usage error like any other."""
    worlds, plugins = (
        VolumeChoice.parse(option, text) if text is not None else None
        for option, text in (("worlds", args.worlds), ("plugins", args.plugins))
    )
    return InstanceOptions(worlds, plugins, args.cpu, args.memory)


def _command(args: argparse.Namespace) -> Callable[[Context], Reply]:
    match args.vtt_command:
        case "status":
            return lambda ctx: status(ctx, args.instance)
        case "create":
            return lambda ctx: instances.create(ctx, args.name, args.license, args.version, _options(args))
        case "delete":
            return lambda ctx: instances.delete(ctx, args.name, cancel=args.cancel)
        case "update":
            return lambda ctx: instances.update(ctx, args.name, args.what, args.value, _options(args))
        case "approve" | "deny":
            approved = args.vtt_command == "approve"
            return lambda ctx: approvals.decide_request(ctx, args.request, approved=approved)
    if args.action == "show":
        return lambda ctx: licenses.show(ctx, args.license)
    change = licenses.grant if args.action == "grant" else licenses.revoke
    return lambda ctx: change(ctx, args.license, as_=args.as_, user=args.user, role=args.grant_role)


def vtt(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        env = {**os.environ, **dict(_pair(s, "--set", "=") for s in args.set)}
        settings = CommandSettings.from_env(env)
        who = Principal(args.as_user, frozenset(args.role))
        if args.namespace is None:
            served = sorted(settings.access.namespaces)
            if len(served) != 1:
                raise UserError(
                    f"--namespace is needed: FOUNDRY_DISCORD_NAMESPACES serves {served or 'none'}"
                )
            args.namespace = served[0]
        if args.state:
            return _on_simulator(args, settings, who)
        from foundry_lib.adapters.kubernetes_api import KubernetesAPI

        kube = KubernetesAPI.from_environment(config_file=args.kubeconfig)
        try:
            return _emit(execute(_command(args), _context(args, kube, who, settings, datetime.now(UTC))))
        finally:
            kube.close()
    except (UserError, SimulationError) as err:
        print(f"vtt: {err}", file=sys.stderr)
        return 2


def _on_simulator(args: argparse.Namespace, settings: CommandSettings, who: Principal) -> int:
    overrides = dict(_pair(s, "--set", "=") for s in args.set)
    engine = Engine(args.state, _parse_now(args.now), overrides)
    engine.advance()
    ctx = _context(args, engine.kube, who, settings, engine.now, settle=engine.settle)
    reply = execute(_command(args), ctx)
    engine.settle()
    engine.save()
    return _emit(reply)


def _context(
    args: argparse.Namespace,
    kube: KubeAPI,
    who: Principal,
    settings: CommandSettings,
    now: datetime,
    settle: Callable[[], None] = lambda: None,
) -> Context:
    return Context(kube, who, args.namespace, settings, now, settle=settle, log=log.info)


def _emit(reply: Reply) -> int:
    print(reply.text)
    return int(reply.code)

"""`foundry-platform simulate`: apply YAML to the embedded state and play Kratix over it."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from foundry_platform.simulator.engine import Engine, SimulationError
from foundry_platform.simulator.summary import summarize

_PLAYERS = re.compile(r"^([a-z0-9-]{1,63})/([a-z0-9-]{1,63})=([0-9]{1,5})$")


def build_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="YAML files or folders of requests")
    parser.add_argument("--state", required=True, type=Path, help="folder holding the simulated cluster")
    parser.add_argument("--now", help="simulated clock, RFC 3339 (default: the real clock)")
    parser.add_argument(
        "--players",
        action="append",
        default=[],
        metavar="NAMESPACE/INSTANCE=N",
        help="record what the monitor observes at --now: N connected players (a later --now makes it stale)",
    )
    parser.add_argument(
        "--delete", action="store_true", help="delete the documents in PATH instead of applying"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a pipeline env setting"
    )
    return parser


def load_documents(paths: list[str]) -> list[dict[str, Any]]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        elif path.is_file():
            files.append(path)
        else:
            raise SimulationError(f"{raw}: no such file or folder")
    docs = []
    for file in files:
        try:
            loaded = list(yaml.safe_load_all(file.read_text()))
        except yaml.YAMLError as err:
            raise SimulationError(f"{file}: not valid YAML: {err}") from None
        for doc in loaded:
            if doc is None:
                continue
            if not isinstance(doc, dict) or "kind" not in doc:
                raise SimulationError(f"{file}: every document must be a Kubernetes object with a kind")
            docs.append(doc)
    return docs


def _parse_now(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SimulationError(f"--now {text!r} is not an RFC 3339 time like 2026-11-28T20:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def simulate(args: argparse.Namespace) -> int:
    try:
        overrides = dict(_pair(s, "--set", "=") for s in args.set)
        engine = Engine(args.state, _parse_now(args.now), overrides)
        docs = load_documents(args.paths)
        engine.advance()  # what Kratix ran before these documents arrived
        for doc in docs:
            (engine.delete if args.delete else engine.apply)(doc)
        for spec in args.players:
            match = _PLAYERS.match(spec)
            if not match:
                raise SimulationError(f"--players {spec!r} must look like NAMESPACE/INSTANCE=N")
            engine.record_players(match[1], match[2], int(match[3]))
        engine.settle()
    except SimulationError as err:
        print(f"simulate: {err}", file=sys.stderr)
        return 2
    engine.save()
    for run in engine.runs:
        print(f"ran {run.kind} {run.namespace}/{run.name} {run.action}/{run.pipeline}: {run.result}")
    print(summarize(engine.state))
    for line in engine.attention():
        print(line)
    return 0


def _pair(text: str, flag: str, sep: str) -> tuple[str, str]:
    key, found, value = text.partition(sep)
    if not found or not key:
        raise SimulationError(f"{flag} {text!r} must look like KEY{sep}VALUE")
    return key, value

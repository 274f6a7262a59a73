"""`foundry-platform releases`: show the release catalog and refresh it from registry tags.

`list` answers "which versions can I ask for?"; `refresh` writes a catalog that knows the builds the
registry has published, to be shipped as the catalog overlay ConfigMap. Errors print one line and
exit 2 (fix the command) or 1 (the registry failed; retry).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from foundry_lib.adapters.catalog_files import load_catalog
from foundry_lib.adapters.registry import DEFAULT_REGISTRY, DEFAULT_REPOSITORY, list_tags
from foundry_lib.catalog import Catalog, Channel, Release, refresh_catalog
from foundry_lib.errors import TransientError, UserError
from foundry_lib.images import runtime_of

_SHOWN_IGNORED = 20


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="foundry-platform releases", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="show known Foundry releases")
    listing.add_argument("--generation", type=int, help="only this generation, e.g. 13")
    listing.add_argument("--channel", choices=[c.value for c in Channel], help="only this channel")
    listing.add_argument("--catalog-overlay", metavar="PATH", help="catalog overlay YAML to merge")
    refresh = commands.add_parser("refresh", help="learn new builds from the image registry's tags")
    refresh.add_argument(
        "--registry", default=DEFAULT_REGISTRY, help=f"registry URL (default {DEFAULT_REGISTRY})"
    )
    refresh.add_argument("--repository", default=DEFAULT_REPOSITORY, help=f"default {DEFAULT_REPOSITORY}")
    refresh.add_argument("--output", metavar="PATH", help="write the catalog YAML here (default stdout)")
    refresh.add_argument("--catalog-overlay", metavar="PATH", help="catalog overlay YAML to start from")
    refresh.add_argument(
        "--new-channel",
        choices=[c.value for c in Channel],
        default=Channel.STABLE.value,
        help="channel recorded for builds the catalog did not know (tags cannot tell; default stable)",
    )
    return parser


def releases_main(argv: Sequence[str]) -> int:
    """Run `foundry-platform releases ...` (argv without `releases`); return the exit code."""
    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exc:  # argparse already printed usage and the problem
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if args.command == "list":
            return _list(args, sys.stdout)
        return _refresh(args, sys.stdout, sys.stderr)
    except UserError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except TransientError as exc:
        print(f"error (retry later): {exc}", file=sys.stderr)
        return 1


def _list(args: argparse.Namespace, out: TextIO) -> int:
    catalog = load_catalog(args.catalog_overlay)
    releases = [
        r
        for r in catalog
        if (args.generation is None or r.generation == args.generation)
        and (args.channel is None or r.channel == args.channel)
    ]
    out.write(format_table(releases, catalog))
    return 0


def format_table(releases: Sequence[Release], catalog: Catalog) -> str:
    """Aligned columns: version, generation, channel, date, image tag, and the image that runs it
    here (a newer rootless one for releases whose own image needs root; `refused` when none can)."""
    rows = [("VERSION", "GENERATION", "CHANNEL", "DATE", "IMAGE TAG", "RUNS ON")]
    rows += [
        (
            r.version,
            str(r.generation),
            r.channel.value,
            r.date.isoformat() if r.date else "-",
            r.image_tag,
            _runs_on(r, catalog),
        )
        for r in releases
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in rows
    )


def _runs_on(release: Release, catalog: Catalog) -> str:
    host = runtime_of(release, catalog).host
    if host is None:
        return "refused (image needs root, no rootless image fits)"
    return release.image_tag if host.key == release.key else host.image_tag


def _refresh(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    before = load_catalog(args.catalog_overlay)
    tags = list_tags(args.registry, args.repository)
    after, ignored = refresh_catalog(before, tags, new_channel=Channel(args.new_channel))
    text = after.to_yaml()
    if args.output:
        try:
            Path(args.output).write_text(text, "utf-8")
        except OSError as exc:
            raise UserError(f"--output {args.output}: cannot be written: {exc}") from exc
    else:
        out.write(text)
    err.write(_summary(before, after, ignored, f"{args.registry.rstrip('/')}/{args.repository}"))
    return 0


def _summary(before: Catalog, after: Catalog, ignored: Sequence[str], source: str) -> str:
    added = [r for r in after if before.find(r.generation, r.build) is None]
    revised = [r for r in after if (old := before.find(r.generation, r.build)) and old != r]
    lines = [f"refreshed from {source}: {len(after)} releases"]
    lines.append(
        f"added {len(added)} build(s): " + (", ".join(f"{r.version} ({r.channel})" for r in added) or "-")
    )
    if revised:
        lines.append(f"newer image revision for {len(revised)}: " + ", ".join(r.image_tag for r in revised))
    shown = ", ".join(ignored[:_SHOWN_IGNORED]) + (
        f", … (+{len(ignored) - _SHOWN_IGNORED} more)" if len(ignored) > _SHOWN_IGNORED else ""
    )
    lines.append(f"ignored {len(ignored)} tag(s) that name no X.Y.Z build: {shown or '-'}")
    return "".join(line + "\n" for line in lines)

"""Run every benchmark and print its figures; `--write docs/performance.md` also puts the tables there.

`make bench` runs this with `--write docs/performance.md`: the measured tables sit between the
`<!-- bench:start -->` and `<!-- bench:end -->` markers; the text around them is kept.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

from benchmarks import license_scale, license_switch, monitor_cycle, pipeline_process, standby_page

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _measured() -> str:
    return "\n".join(
        [
            f"Measured by `make bench` with Python {platform.python_version()} on {platform.machine()}.",
            "",
            "License configure, one switch of the active instance (`foundry-license-configure` as a "
            "process against a local API; writes counted on the run after a settled one; the monitor "
            "has just confirmed zero players on the routed instance, so the guard lets the switch "
            "happen; the one other write is the switchover Event on the license):",
            "",
            license_switch.table(),
            "",
            "Instance configure (`foundry-instance-configure` as a process against a local API):",
            "",
            pipeline_process.table(),
            "",
            pipeline_process.catalog_table(),
            "",
            f"Monitor, one cycle over {monitor_cycle.INSTANCES} instances answering in "
            f"{monitor_cycle.DELAY * 1000:.0f} ms (`foundry-platform monitor --once` as a process against a "
            "local API; wall time, as a cycle is mostly waiting):",
            "",
            monitor_cycle.table(),
            "",
            f"Standby page (one uvicorn worker, {standby_page.LICENSES * standby_page.PER_LICENSE} instances "
            "in the cluster, wall time per request):",
            "",
            standby_page.table(),
        ]
    )


def _write(path: Path, text: str) -> None:
    doc = path.read_text(encoding="utf-8")
    if START not in doc or END not in doc:
        raise SystemExit(f"{path}: no {START} ... {END} markers to put the tables between")
    head, _, rest = doc.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, metavar="FILE", help="also put the tables into FILE")
    args = parser.parse_args(argv)
    license_scale.main()
    print()
    text = _measured()
    print(text)
    if args.write:
        _write(args.write, text)
        print(f"\nwrote the tables into {args.write}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Reads the volume shell scripts shipped as package data, so the core never touches files.

The instance pipeline embeds these texts in init containers; the scripts themselves are documented
in their headers (foundry_lib/data/*.sh).
"""

from __future__ import annotations

from importlib import resources

from foundry_lib.volumes import Script


def read_script(name: str) -> str:
    """The text of one of the `Script` files; ValueError for any other name."""
    try:
        script = Script(name)
    except ValueError as exc:
        known = ", ".join(s.value for s in Script)
        raise ValueError(f"unknown script {name!r}; known: {known}") from exc
    return resources.files("foundry_lib").joinpath("data", script.value).read_text(encoding="utf-8")

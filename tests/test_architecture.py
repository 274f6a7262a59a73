"""The boundaries import-linter enforces must cover every core module, including new ones."""

from __future__ import annotations

import tomllib

from conftest import REPO


def test_every_core_module_is_under_the_pure_core_contract() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    core = next(c for c in config if c["name"].startswith("The core"))
    listed = set(core["source_modules"])
    package = REPO / "foundry_lib"
    modules = {
        f"foundry_lib.{p.stem if p.is_file() else p.name}"
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())
    }
    assert modules - {"foundry_lib.adapters"} == listed

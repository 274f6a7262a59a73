"""Load the release catalog: the packaged `data/releases.yaml` plus an optional overlay file.

The overlay is a ConfigMap mounted into the pipeline so a platform team can add or correct releases
without a new image. A missing overlay path is normal (the ConfigMap is optional); a malformed one is
a UserError naming the file, because silently ignoring it would hide versions the team expects.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from foundry_lib.catalog import Catalog, parse_catalog
from foundry_lib.errors import UserError

PACKAGED_CATALOG = "releases.yaml"


def load_packaged_catalog() -> Catalog:
    text = importlib.resources.files("foundry_lib").joinpath("data", PACKAGED_CATALOG).read_text("utf-8")
    return parse_catalog(text, source=f"packaged catalog foundry_lib/data/{PACKAGED_CATALOG}")


def load_catalog(overlay_path: str | None) -> Catalog:
    """The packaged catalog, with the overlay's entries replacing or adding releases."""
    catalog = load_packaged_catalog()
    if not overlay_path:
        return catalog
    path = Path(overlay_path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return catalog
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            f"catalog overlay {overlay_path}: cannot be read: {exc}", reason="InvalidCatalog"
        ) from exc
    return catalog.merged(parse_catalog(text, source=f"catalog overlay {overlay_path}"))

"""The embedded cluster state kept in a folder: one YAML file per object, secrets without values.

Layout: `objects/<plural>/<namespace>/<name>.yaml`, and Kratix's own bookkeeping per resource (its
"books", see schedule.py) in `kratix/workflows.yaml`. Secret values are never stored: a Secret keeps
its metadata and the names of its keys, so pipelines can see it exists and a demo folder can be
shared or committed without leaking a license key.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from foundry_lib.kube import EVENT, FOUNDRY_KINDS, SECRET, Kind, KubeObject

KINDS: tuple[Kind, ...] = (*FOUNDRY_KINDS, SECRET, EVENT)
REDACTED = ""


def redact(obj: KubeObject) -> KubeObject:
    """A Secret with every value dropped (keys kept); other objects unchanged."""
    if obj.get("kind") != "Secret":
        return obj
    out = copy.deepcopy(obj)
    keys = sorted({*(out.pop("data", None) or {}), *(out.pop("stringData", None) or {})})
    out["data"] = dict.fromkeys(keys, REDACTED)
    return out


class ClusterState:
    """Objects by (kind, namespace, name), loaded from and saved to `root/objects`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects: dict[tuple[str, str, str], KubeObject] = {}
        self._version = 0
        base = root / "objects"
        for kind in KINDS:
            for path in sorted((base / kind.plural).glob("*/*.yaml")):
                obj = redact(yaml.safe_load(path.read_text()))
                self.objects[(kind.plural, path.parent.name, path.stem)] = obj
                self._version = max(self._version, int(obj["metadata"].get("resourceVersion", "0")))

    def get(self, kind: Kind, namespace: str, name: str) -> KubeObject | None:
        return self.objects.get((kind.plural, namespace, name))

    def put(self, kind: Kind, obj: KubeObject) -> KubeObject:
        self._version += 1
        meta = obj.setdefault("metadata", {})
        meta["resourceVersion"] = str(self._version)
        meta.setdefault("uid", _uid(kind, meta["namespace"], meta["name"]))
        self.objects[(kind.plural, meta["namespace"], meta["name"])] = redact(obj)
        return self.objects[(kind.plural, meta["namespace"], meta["name"])]

    def remove(self, kind: Kind, namespace: str, name: str) -> None:
        self.objects.pop((kind.plural, namespace, name), None)

    def of_kind(self, kind: Kind) -> Iterator[KubeObject]:
        for (plural, _, _), obj in sorted(self.objects.items()):
            if plural == kind.plural:
                yield obj

    def save(self) -> None:
        base = self.root / "objects"
        wanted = {base / plural / ns / f"{name}.yaml" for plural, ns, name in self.objects}
        for stale in base.glob("*/*/*.yaml"):
            if stale not in wanted:
                stale.unlink()
        for (plural, ns, name), obj in self.objects.items():
            path = base / plural / ns / f"{name}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(redact(obj), sort_keys=False))


def load_books(root: Path) -> dict[str, dict[str, Any]]:
    """Kratix's books by `<plural>/<namespace>/<name>`, as the last run left them."""
    path = root / "kratix" / "workflows.yaml"
    books = yaml.safe_load(path.read_text()) if path.exists() else None
    return books if isinstance(books, dict) else {}


def save_books(root: Path, books: Mapping[str, Mapping[str, Any]]) -> None:
    path = root / "kratix" / "workflows.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(dict(books), sort_keys=True))


def _uid(kind: Kind, namespace: str, name: str) -> str:
    digest = hashlib.sha256(f"{kind.plural}/{namespace}/{name}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

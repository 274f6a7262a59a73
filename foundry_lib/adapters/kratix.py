"""The Kratix edge: the pipeline container's files and KRATIX_* environment, over `kratix-sdk`.

Kratix mounts /kratix/input (object.yaml), /kratix/output (what becomes the Work) and
/kratix/metadata (status.yaml, workflow-control.yaml). The simulator points the same adapter at a
temporary folder, so pipelines run with the same contract there as in a cluster.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import kratix_sdk
import yaml

from foundry_lib.kube import KubeObject
from foundry_lib.outcome import WorkflowControl


def _literal_blocks(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    """Multi-line strings (the init steps' scripts) as `|` blocks: readable in a Git diff."""
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=_block_style(text))


def _block_style(text: str) -> str | None:
    return "|" if "\n" in text and not any(line != line.rstrip() for line in text.splitlines()) else None


def make_dumper(base: type[yaml.SafeDumper]) -> type[yaml.SafeDumper]:
    dumper: type[yaml.SafeDumper] = type(f"Output{base.__name__}", (base,), {})
    dumper.add_representer(str, _literal_blocks)
    return dumper


# libyaml's emitter when PyYAML has it (its wheels do): three times faster for a large license.
# Both emitters write the same text for our documents (tests/test_kratix_io.py checks it).
_BASE_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
OUTPUT_DUMPER = make_dumper(_BASE_DUMPER)
_STR, _BOOL, _INT, _NULL = (f"tag:yaml.org,2002:{t}" for t in ("str", "bool", "int", "null"))


class _FastDumper(_BASE_DUMPER):  # type: ignore[misc, valid-type]
    """Writes exactly what `yaml.safe_dump` (and OUTPUT_DUMPER) would, several times faster for a
    license of 1000 instances: plain data becomes nodes directly (PyYAML's representer dispatches per
    value in Python), and the implicit-tag check of each scalar, the same few hundred strings over and
    over, is remembered. Other types (floats, dates) go through the representer as before."""

    _resolved: dict[tuple[str, tuple[bool, bool]], str] = {}

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        if kind is not yaml.ScalarNode:
            return str(super().resolve(kind, value, implicit))
        key = (value, tuple(implicit))
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = str(super().resolve(kind, value, implicit))
        return found

    def node(self, value: Any, blocks: bool, sort_keys: bool) -> yaml.Node:
        if isinstance(value, str):
            return yaml.ScalarNode(_STR, value, style=_block_style(value) if blocks else None)
        if isinstance(value, bool):
            return yaml.ScalarNode(_BOOL, "true" if value else "false")
        if isinstance(value, int):
            return yaml.ScalarNode(_INT, str(value))
        if value is None:
            return yaml.ScalarNode(_NULL, "null")
        if isinstance(value, dict):
            items = sorted(value.items()) if sort_keys else value.items()
            pairs = [(self.node(k, blocks, sort_keys), self.node(v, blocks, sort_keys)) for k, v in items]
            return yaml.MappingNode("tag:yaml.org,2002:map", pairs, flow_style=False)
        if isinstance(value, list):
            children = [self.node(v, blocks, sort_keys) for v in value]
            return yaml.SequenceNode("tag:yaml.org,2002:seq", children, flow_style=False)
        node: yaml.Node = self.represent_data(value)
        return node


def dump_documents(documents: Sequence[Any], *, blocks: bool = True, sort_keys: bool = False) -> str:
    """YAML text of `documents`: as OUTPUT_DUMPER writes them (`blocks`, key order kept), or with
    `blocks=False, sort_keys=True` as `yaml.safe_dump` does (what kratix-sdk writes status.yaml with)."""
    stream = io.StringIO()
    dumper = _FastDumper(stream, default_flow_style=False, sort_keys=sort_keys)
    dumper.open()
    for document in documents:
        dumper.serialize(dumper.node(document, blocks, sort_keys))
    dumper.close()
    return stream.getvalue()


_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KratixIO:
    """Files and environment of one pipeline run."""

    def __init__(self, root: Path = Path("/kratix"), env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.env = dict(env or {})
        kratix_sdk.set_input_dir(root / "input")
        kratix_sdk.set_output_dir(root / "output")
        kratix_sdk.set_metadata_dir(root / "metadata")
        self._sdk = kratix_sdk.KratixSDK()

    @property
    def dry_run(self) -> bool:
        return self.env.get("KRATIX_DRY_RUN", "").lower() == "true"

    @property
    def action(self) -> str:
        return self.env.get("KRATIX_WORKFLOW_ACTION", "configure")

    def read_object(self) -> KubeObject:
        # Read here rather than through the SDK: its pure-Python loader takes ~0.3 s on a license
        # whose status lists 1000 instances; libyaml's loader reads the same data.
        text = (self.root / "input" / "object.yaml").read_text(encoding="utf-8")
        data: Any = yaml.load(text, Loader=_LOADER) or {}  # noqa: S506 - a SafeLoader (libyaml's)
        if not isinstance(data, dict):
            raise ValueError("/kratix/input/object.yaml does not hold an object")
        return data

    def write_outputs(self, files: Mapping[str, list[KubeObject]]) -> None:
        for relative, documents in sorted(files.items()):
            if not documents:
                continue
            self._sdk.write_output(relative, dump_documents(documents).encode())

    def write_status(self, status: Mapping[str, Any]) -> None:
        """The text kratix-sdk's `write_status` writes (`yaml.safe_dump`), without its pure-Python cost."""
        path = self.root / "metadata" / "status.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_documents([dict(status)], blocks=False, sort_keys=True), encoding="utf-8")

    def write_control(self, control: WorkflowControl) -> None:
        if control.suspend:
            self._sdk.write_suspend(control.message)
        elif control.retry_after is not None:
            self._sdk.write_retry_after(max(control.retry_after, timedelta(seconds=1)), control.message)

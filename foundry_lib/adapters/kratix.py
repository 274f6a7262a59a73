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
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_TYPED = (True, True)  # a bool, int or null scalar is written plain and read back as such


class _Writer:
    """Writes exactly what `yaml.safe_dump` (and OUTPUT_DUMPER) would, about twice as fast for a
    license of 1000 instances: plain data goes straight to the emitter as events, where PyYAML's
    representer and serializer would call back into Python twice per scalar to decide its quoting; that
    decision (does the string read back as a string when written plain?) is remembered per string."""

    _plain_is_str: dict[str, bool] = {}

    def __init__(self, stream: io.StringIO, *, blocks: bool, sort_keys: bool) -> None:
        self.dumper = _BASE_DUMPER(stream, default_flow_style=False, sort_keys=sort_keys)
        self.blocks, self.sort_keys = blocks, sort_keys

    def document(self, value: Any) -> None:
        self.dumper.emit(yaml.DocumentStartEvent(explicit=False))
        self._value(value)
        self.dumper.emit(yaml.DocumentEndEvent(explicit=False))

    def _value(self, value: Any) -> None:
        emit = self.dumper.emit
        if isinstance(value, str):
            style = _block_style(value) if self.blocks else None
            emit(yaml.ScalarEvent(None, _STR, (self._plain(value), True), value, style=style))
        elif isinstance(value, bool):
            emit(yaml.ScalarEvent(None, _BOOL, _TYPED, "true" if value else "false"))
        elif isinstance(value, int):
            emit(yaml.ScalarEvent(None, _INT, _TYPED, str(value)))
        elif value is None:
            emit(yaml.ScalarEvent(None, _NULL, _TYPED, "null"))
        elif isinstance(value, dict):
            emit(yaml.MappingStartEvent(None, _MAP, True, flow_style=False))
            for key, item in sorted(value.items()) if self.sort_keys else value.items():
                self._value(key)
                self._value(item)
            emit(yaml.MappingEndEvent())
        elif isinstance(value, list):
            emit(yaml.SequenceStartEvent(None, _SEQ, True, flow_style=False))
            for item in value:
                self._value(item)
            emit(yaml.SequenceEndEvent())
        else:  # floats, dates: PyYAML's own representer, then the same implicit-tag rule
            node = self.dumper.represent_data(value)
            if not isinstance(node, yaml.ScalarNode):
                raise TypeError(f"cannot write a {type(value).__name__} to YAML")
            implicit = (
                node.tag == self._tag(node.value, (True, False)),
                node.tag == self._tag(node.value, (False, True)),
            )
            emit(yaml.ScalarEvent(None, node.tag, implicit, node.value, style=node.style))

    def _plain(self, text: str) -> bool:
        known = self._plain_is_str.get(text)
        if known is None:
            known = self._plain_is_str[text] = self._tag(text, (True, False)) == _STR
        return known

    def _tag(self, value: str, implicit: tuple[bool, bool]) -> str:
        """The tag a reader gives `value` written plain (True, False) or quoted (False, True)."""
        return str(self.dumper.resolve(yaml.ScalarNode, value, implicit))  # type: ignore[no-untyped-call]


def dump_documents(documents: Sequence[Any], *, blocks: bool = True, sort_keys: bool = False) -> str:
    """YAML text of `documents`: as OUTPUT_DUMPER writes them (`blocks`, key order kept), or with
    `blocks=False, sort_keys=True` as `yaml.safe_dump` does (what kratix-sdk writes status.yaml with)."""
    stream = io.StringIO()
    writer = _Writer(stream, blocks=blocks, sort_keys=sort_keys)
    writer.dumper.emit(yaml.StreamStartEvent())
    for document in documents:
        writer.document(document)
    writer.dumper.emit(yaml.StreamEndEvent())
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

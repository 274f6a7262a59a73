"""The Kratix edge: the pipeline container's files and KRATIX_* environment, over `kratix-sdk`.

Kratix mounts /kratix/input (object.yaml), /kratix/output (what becomes the Work) and
/kratix/metadata (status.yaml, workflow-control.yaml). The simulator points the same adapter at a
temporary folder, so pipelines run with the same contract there as in a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import kratix_sdk
import yaml

from foundry_lib.kube import KubeObject
from foundry_lib.outcome import WorkflowControl


def _literal_blocks(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    """Multi-line strings (the init steps' scripts) as `|` blocks: readable in a Git diff."""
    style = "|" if "\n" in text and not any(line != line.rstrip() for line in text.splitlines()) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def make_dumper(base: type[yaml.SafeDumper]) -> type[yaml.SafeDumper]:
    dumper: type[yaml.SafeDumper] = type(f"Output{base.__name__}", (base,), {})
    dumper.add_representer(str, _literal_blocks)
    return dumper


# libyaml's emitter when PyYAML has it (its wheels do): three times faster for a large license.
# Both emitters write the same text for our documents (tests/test_kratix_io.py checks it).
OUTPUT_DUMPER = make_dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper))


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
        data: Any = self._sdk.read_resource_input().data
        if not isinstance(data, dict):
            raise ValueError("/kratix/input/object.yaml does not hold an object")
        return data

    def write_outputs(self, files: Mapping[str, list[KubeObject]]) -> None:
        for relative, documents in sorted(files.items()):
            if not documents:
                continue
            text = yaml.dump_all(documents, Dumper=OUTPUT_DUMPER, sort_keys=False, default_flow_style=False)
            self._sdk.write_output(relative, text.encode())

    def write_status(self, status: Mapping[str, Any]) -> None:
        self._sdk.write_status(kratix_sdk.Status(dict(status)))

    def write_control(self, control: WorkflowControl) -> None:
        if control.suspend:
            self._sdk.write_suspend(control.message)
        elif control.retry_after is not None:
            self._sdk.write_retry_after(max(control.retry_after, timedelta(seconds=1)), control.message)

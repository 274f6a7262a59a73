"""The Kratix files adapter: what it writes is the same whichever YAML emitter PyYAML has."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from foundry_lib.adapters.kratix import KratixIO, make_dumper

SCENARIOS = Path(__file__).parent / "scenarios"
OUTPUTS = sorted(SCENARIOS.glob("*/expected/output/*.yaml"))


@pytest.mark.skipif(not hasattr(yaml, "CSafeDumper"), reason="PyYAML was built without libyaml here")
@pytest.mark.parametrize("path", OUTPUTS, ids=lambda p: f"{p.parts[-4]}/{p.name}")
def test_libyaml_and_python_emitters_write_the_same_text(path: Path) -> None:
    documents = list(yaml.safe_load_all(path.read_text()))
    texts = {
        yaml.dump_all(documents, Dumper=make_dumper(base), sort_keys=False, default_flow_style=False)
        for base in (yaml.SafeDumper, yaml.CSafeDumper)
    }
    assert len(texts) == 1


def test_scripts_are_written_as_readable_blocks_that_load_back_unchanged(tmp_path: Path) -> None:
    script = "#!/bin/sh\nset -eu\necho 'it works'\n"
    trailing = "line with trailing space \nnext\n"
    KratixIO(tmp_path).write_outputs({"x.yaml": [{"command": [script, trailing, "plain"]}]})
    text = (tmp_path / "output" / "x.yaml").read_text()
    assert "- |\n  #!/bin/sh\n  set -eu\n" in text
    assert yaml.safe_load(text) == {"command": [script, trailing, "plain"]}


def test_empty_document_lists_write_no_file(tmp_path: Path) -> None:
    KratixIO(tmp_path).write_outputs({"routes.yaml": [], "service.yaml": [{"kind": "Service"}]})
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == ["service.yaml"]

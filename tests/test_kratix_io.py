"""The Kratix files adapter: what it writes is the same whichever YAML emitter PyYAML has."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from foundry_lib.adapters.kratix import OUTPUT_DUMPER, KratixIO, dump_documents, make_dumper

SCENARIOS = Path(__file__).parent / "scenarios"
OUTPUTS = sorted(SCENARIOS.glob("*/expected/output/*.yaml"))
STATUSES = sorted(SCENARIOS.glob("*/expected/metadata/status.yaml"))
EDGE_CASES = [
    {"empty": {}, "none": [], "null": None, "yes": True, "n": 0, "ratio": 0.5, "big": 10**20},
    {"looks-typed": ["true", "null", "1.0", "013", "2026-11-28", "~", "", "a: b", "- x", "#c"]},
    {"script": "#!/bin/sh\nset -eu\n", "trailing": "x \ny\n", "unicode": "Fünf ✓"},
    {"b": 1, "a": {"d": [1, {"c": 2}], "c": "z"}},
]


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


@pytest.mark.parametrize("path", OUTPUTS + STATUSES, ids=lambda p: f"{p.parts[-4]}/{p.name}")
def test_fast_writer_writes_what_pyyaml_writes(path: Path) -> None:
    documents = list(yaml.safe_load_all(path.read_text()))
    assert dump_documents(documents) == yaml.dump_all(
        documents, Dumper=OUTPUT_DUMPER, sort_keys=False, default_flow_style=False
    )
    if path.name == "status.yaml":  # what kratix-sdk's write_status writes
        assert dump_documents(documents, blocks=False, sort_keys=True) == yaml.safe_dump(documents[0])


@pytest.mark.parametrize(
    "document", EDGE_CASES, ids=["scalars", "strings-that-look-typed", "blocks", "nesting"]
)
def test_fast_writer_matches_pyyaml_on_edge_cases(document: dict[str, object], tmp_path: Path) -> None:
    assert dump_documents([document]) == yaml.dump(
        document, Dumper=OUTPUT_DUMPER, sort_keys=False, default_flow_style=False
    )
    KratixIO(tmp_path).write_status(document)
    written = (tmp_path / "metadata" / "status.yaml").read_text()
    assert written == yaml.safe_dump(document)
    assert yaml.safe_load(written) == document


def test_read_object_reads_what_kratix_wrote(tmp_path: Path) -> None:
    obj = {"metadata": {"name": "guild"}, "status": {"instances": [{"name": "a", "at": "2026-11-28"}]}}
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "object.yaml").write_text(yaml.safe_dump(obj))
    assert KratixIO(tmp_path).read_object() == obj

"""Generated docs stay in step with the code they describe."""

from __future__ import annotations

from conftest import REPO

from foundry_lib.models.status import STATUS_MODELS
from foundry_lib.volumes import TABLE, Move
from foundry_platform.docs import status_keys_page, volume_modes_page


def test_committed_volume_modes_page_is_generated_from_the_table() -> None:
    assert (REPO / "docs" / "volume-modes.md").read_text() == volume_modes_page(), "run `make docs`"


def test_every_allowed_transition_is_an_edge_of_the_diagram() -> None:
    page = volume_modes_page()
    for (frm, to), move in TABLE.items():
        if move is not Move.REFUSE:
            assert f"{frm or '[*]'} --> {to}" in page


def test_committed_status_keys_page_is_generated_from_the_ownership_model() -> None:
    assert (REPO / "docs" / "status-keys.md").read_text() == status_keys_page(), "run `make docs`"
    for model in STATUS_MODELS.values():
        for key in model.owners:
            assert f"| `{key}` |" in status_keys_page()

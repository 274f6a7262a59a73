"""Generated docs stay in step with the code they describe."""

from __future__ import annotations

from conftest import REPO

from foundry_lib.manifests.workload import EPHEMERAL_LIMIT, EPHEMERAL_REQUEST, STOP_WAIT_SECONDS
from foundry_lib.manifests.workload import TERMINATION_GRACE_SECONDS as GRACE
from foundry_lib.models.status import STATUS_MODELS
from foundry_lib.settings import PlatformSettings, env_key
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


def test_the_runtime_page_states_the_values_the_code_renders() -> None:
    page = (REPO / "docs" / "foundry-runtime.md").read_text()
    facts = [
        f"terminationGracePeriodSeconds: {GRACE}",
        f"waits up to {STOP_WAIT_SECONDS} s",
        f"request {EPHEMERAL_REQUEST}, limit {EPHEMERAL_LIMIT}",
        f"default {PlatformSettings().config_volume_size}",
        "NoReleaseSource",
        "UnsupportedVersion",
        *(
            env_key(f)
            for f in ("release_cache_claim", "route_request_timeout", "gateway_section", "timezone")
        ),
    ]
    assert [fact for fact in facts if fact not in page] == []

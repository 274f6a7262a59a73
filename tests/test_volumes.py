"""Every observed → desired volume pair gets one decision, and refusals tell the user what is allowed."""

from __future__ import annotations

import pytest

from foundry_lib.errors import UserError
from foundry_lib.volumes import (
    TABLE,
    Mode,
    Move,
    ObservedVolume,
    VolumeKind,
    VolumeRequest,
    VolumeTransitionError,
    decide_move,
    find_cycle,
    mermaid_diagram,
    validate_sources,
)

NEW, COPIED, SHARED = Mode.NEW, Mode.COPIED, Mode.SHARED


def seen(mode: Mode, instance: str | None = None, path: str | None = None) -> ObservedVolume:
    return ObservedVolume(
        mode, instance, path, location="/srv/foundry/alpha/worlds", since="2026-11-28T06:30:00Z"
    )


def want(mode: Mode, instance: str | None = None, path: str | None = None) -> VolumeRequest:
    return VolumeRequest(mode, instance, path)


ALLOWED = [
    pytest.param(None, want(NEW), (), Move.CREATE, id="create-new"),
    pytest.param(None, want(COPIED, "beta"), (), Move.CREATE, id="create-copied"),
    pytest.param(None, want(SHARED), (), Move.CREATE, id="create-shared-owner"),
    pytest.param(None, want(SHARED, path="maps/v1"), (), Move.CREATE, id="create-shared-dependent"),
    pytest.param(seen(NEW), want(NEW), (), Move.KEEP, id="new-new"),
    pytest.param(seen(NEW), want(COPIED, "beta"), (), Move.CLONE_INTO, id="new-copied-instance"),
    pytest.param(seen(NEW), want(COPIED, path="maps"), (), Move.CLONE_INTO, id="new-copied-path"),
    pytest.param(seen(NEW), want(SHARED), (), Move.CONVERT_TO_SHARED, id="new-shared-owner"),
    pytest.param(seen(NEW), want(SHARED, "beta"), (), Move.ATTACH_TO_POOL, id="new-shared-dependent"),
    pytest.param(seen(NEW), want(SHARED, path="maps"), (), Move.ATTACH_TO_POOL, id="new-shared-path"),
    pytest.param(seen(COPIED, "beta"), want(NEW), (), Move.DETACH_COPY, id="copied-new"),
    pytest.param(seen(COPIED, "beta"), want(COPIED, "beta"), (), Move.KEEP, id="copied-copied-same"),
    pytest.param(seen(SHARED), want(NEW), (), Move.DETACH_FROM_POOL, id="owner-new-alone"),
    pytest.param(seen(SHARED, "beta"), want(NEW), ("gamma",), Move.DETACH_FROM_POOL, id="dependent-new"),
    pytest.param(seen(SHARED), want(COPIED, path="alpha"), (), Move.SNAPSHOT_POOL, id="owner-copied"),
    pytest.param(seen(SHARED, "beta"), want(COPIED, "beta"), (), Move.SNAPSHOT_POOL, id="dependent-copied"),
    pytest.param(seen(SHARED), want(SHARED), ("beta",), Move.KEEP, id="owner-owner"),
    pytest.param(seen(SHARED, path="maps"), want(SHARED, path="maps"), (), Move.KEEP, id="dependent-same"),
]

REFUSED = [
    pytest.param(seen(COPIED, "beta"), want(COPIED, "gamma"), (), "source", id="copied-other-instance"),
    pytest.param(seen(COPIED, "beta"), want(COPIED, path="maps"), (), "source", id="copied-instance-to-path"),
    pytest.param(seen(COPIED, "beta"), want(SHARED), (), "copy cannot become", id="copied-shared-owner"),
    pytest.param(
        seen(COPIED, "b"), want(SHARED, "b"), (), "copy cannot become", id="copied-shared-dependent"
    ),
    pytest.param(seen(SHARED), want(NEW), ("gamma", "beta"), "beta, gamma", id="owner-new-with-dependents"),
    pytest.param(
        seen(SHARED), want(COPIED, "b"), ("b",), "depend on this pool (b)", id="owner-copied-dependents"
    ),
    pytest.param(seen(SHARED, "beta"), want(SHARED, "gamma"), (), "source", id="dependent-other-pool"),
    pytest.param(
        seen(SHARED, "beta"), want(SHARED, path="maps"), (), "source", id="dependent-instance-to-path"
    ),
    pytest.param(seen(SHARED), want(SHARED, "beta"), (), "source", id="owner-to-dependent"),
    pytest.param(seen(SHARED, "beta"), want(SHARED), (), "source", id="dependent-to-owner"),
]


@pytest.mark.parametrize(("observed", "desired", "dependents", "expected"), ALLOWED)
def test_allowed_moves(observed, desired, dependents, expected):
    assert decide_move(VolumeKind.WORLDS, observed, desired, dependents=dependents) is expected


@pytest.mark.parametrize("kind", list(VolumeKind))
@pytest.mark.parametrize(("observed", "desired", "dependents", "why"), REFUSED)
def test_refusals_say_what_why_and_what_is_allowed(kind, observed, desired, dependents, why):
    with pytest.raises(VolumeTransitionError) as caught:
        decide_move(kind, observed, desired, dependents=dependents)
    error = caught.value
    assert isinstance(error, UserError)
    assert (error.reason, error.field) == ("VolumeTransitionRefused", f"spec.volumes.{kind}")
    assert f"from {observed.mode}" in error.message and f"to {desired.mode}" in error.message
    assert why in error.message
    allowed = error.message.split(f"Allowed from {observed.mode}:")[1]
    for (frm, to), move in TABLE.items():
        if frm is observed.mode:
            assert (f"{to} (" in allowed) is (move is not Move.REFUSE), (to, allowed)


def test_table_decides_every_pair_and_every_move_is_reachable():
    assert set(TABLE) == {(frm, to) for frm in [None, *Mode] for to in Mode}
    reached = {param.values[3] for param in ALLOWED}
    assert reached == set(Move) - {Move.REFUSE}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param({"mode": "new", "location": "/v/a", "since": "t1"}, seen(NEW), id="new"),
        pytest.param(
            {"mode": "copied", "source": {"instance": "beta"}, "location": "/v/a", "since": "t1"},
            seen(COPIED, "beta"),
            id="copied-instance",
        ),
        pytest.param(
            {"mode": "shared", "source": {"path": "maps/v1"}, "location": "/v/a", "since": "t1"},
            seen(SHARED, path="maps/v1"),
            id="shared-path",
        ),
        pytest.param({"mode": "shared", "location": "/v/a", "since": "t1"}, seen(SHARED), id="shared-owner"),
    ],
)
def test_status_round_trip(status, expected):
    observed = ObservedVolume.from_status(status)
    assert observed is not None
    assert (observed.mode, observed.source_instance, observed.source_path) == (
        expected.mode,
        expected.source_instance,
        expected.source_path,
    )
    assert observed.to_status() == status


@pytest.mark.parametrize("status", [None, {}], ids=["none", "empty"])
def test_missing_status_means_never_created(status):
    assert ObservedVolume.from_status(status) is None


@pytest.mark.parametrize(
    "status",
    [
        {"mode": "borrowed", "location": "/v"},
        {"mode": "new"},
        {"mode": "new", "location": "/v", "source": "x"},
    ],
    ids=["unknown-mode", "no-location", "source-not-a-map"],
)
def test_unreadable_status_is_reported_not_guessed(status):
    with pytest.raises(UserError) as caught:
        ObservedVolume.from_status(status, field="status.volumes.worlds")
    assert caught.value.reason == "VolumeStatusUnreadable"
    assert "status.volumes.worlds" in caught.value.message


@pytest.mark.parametrize(
    ("request_", "edges", "error"),
    [
        pytest.param(want(NEW), {}, None, id="new-plain"),
        pytest.param(want(NEW, "beta"), {}, "mode new takes no source", id="new-with-source"),
        pytest.param(want(COPIED), {}, "mode copied needs a source", id="copied-without-source"),
        pytest.param(want(COPIED, "beta", "maps"), {}, "not both", id="copied-both"),
        pytest.param(want(COPIED, "beta"), {"beta": None}, None, id="copied-instance"),
        pytest.param(want(COPIED, path="maps/v1"), {}, None, id="copied-path"),
        pytest.param(want(COPIED, path="../other/x"), {}, "not a valid pool path", id="copied-bad-path"),
        pytest.param(want(COPIED, ""), {}, "must name another instance", id="copied-empty-instance"),
        pytest.param(want(SHARED), {}, None, id="shared-owner"),
        pytest.param(want(SHARED, "beta", "maps"), {}, "not both", id="shared-both"),
        pytest.param(want(SHARED, "alpha"), {}, "cannot use itself", id="shared-self"),
        pytest.param(want(COPIED, "alpha"), {}, "cannot use itself", id="copied-self"),
        pytest.param(want(COPIED, "beta"), {"beta": "alpha"}, "alpha → beta → alpha", id="two-cycle"),
        pytest.param(
            want(SHARED, "beta"),
            {"beta": "gamma", "gamma": "alpha"},
            "alpha → beta → gamma → alpha",
            id="three-cycle",
        ),
        pytest.param(want(COPIED, "beta"), {"beta": "gamma", "gamma": None}, None, id="chain"),
    ],
)
def test_validate_sources(request_, edges, error):
    if error is None:
        validate_sources(VolumeKind.PLUGINS, request_, instance="alpha", edges=edges)
        return
    with pytest.raises(UserError) as caught:
        validate_sources(VolumeKind.PLUGINS, request_, instance="alpha", edges=edges)
    assert error in caught.value.message
    assert caught.value.field is not None and caught.value.field.startswith("spec.volumes.plugins.source")


@pytest.mark.parametrize(
    ("start", "edges", "expected"),
    [
        pytest.param("a", {}, None, id="unknown-start"),
        pytest.param("a", {"a": None}, None, id="no-source"),
        pytest.param("a", {"a": "b", "b": "c"}, None, id="chain-ends-at-unknown"),
        pytest.param("a", {"a": "a"}, ["a", "a"], id="self"),
        pytest.param("a", {"a": "b", "b": "a"}, ["a", "b", "a"], id="two"),
        pytest.param("a", {"a": "b", "b": "c", "c": "b"}, ["a", "b", "c", "b"], id="cycle-downstream"),
    ],
)
def test_find_cycle(start, edges, expected):
    assert find_cycle(start, edges) == expected


def test_mermaid_diagram_shows_every_table_edge():
    diagram = mermaid_diagram()
    lines = diagram.splitlines()
    assert lines[0] == "stateDiagram-v2"
    for (frm, to), move in TABLE.items():
        if move is Move.REFUSE:
            assert any(
                line.strip().startswith(f"note right of {frm}") and f"{frm} → {to} refused" in line
                for line in lines
            ), (frm, to)
        else:
            assert any(
                line.startswith(f"    {'[*]' if frm is None else frm} --> {to} : {move}") for line in lines
            ), (frm, to)
    assert f"new --> shared : {Move.CONVERT_TO_SHARED} / {Move.ATTACH_TO_POOL}" in diagram
    assert ";" not in diagram  # Mermaid treats ';' as a statement separator

"""What a refused API call tells the platform team: the exact grant that is missing."""

from __future__ import annotations

import pytest

from foundry_lib.errors import ForbiddenError, FoundryError, TransientError, UserError


@pytest.mark.parametrize(
    ("verb", "resource", "namespace", "status", "says"),
    [
        (
            "list",
            "foundryinstances",
            "guild",
            403,
            "may not list foundryinstances in namespace guild: grant it",
        ),
        (
            "patch",
            "foundryinstances/status",
            "guild",
            403,
            "may not patch foundryinstances/status in namespace",
        ),
        ("list", "foundryinstances", None, 403, "may not list foundryinstances across all namespaces"),
        ("get", "foundrylicenses", "guild", 401, "rejected the pipeline's credentials (HTTP 401)"),
    ],
)
def test_forbidden_names_verb_resource_and_namespace(
    verb: str, resource: str, namespace: str | None, status: int, says: str
) -> None:
    error = ForbiddenError(verb, resource, namespace, status=status)
    assert says in error.message and str(error) == error.message


def test_forbidden_is_neither_transient_nor_the_users_fault() -> None:
    error = ForbiddenError("list", "foundryinstances", "guild")
    assert isinstance(error, FoundryError)
    assert not isinstance(error, (TransientError, UserError))

"""The activation request decision, without I/O: validate against the named instance, record it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from foundry_lib.activation import ActivationFacts, plan_activation
from foundry_lib.errors import UserError
from foundry_lib.models.activation import FoundryActivationRequestSpec
from foundry_lib.models.request import parse_request

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
REQUEST = parse_request(
    {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryActivationRequest",
        "metadata": {"name": "play", "namespace": "guild"},
        "spec": {"instanceRef": {"name": "beta"}, "requestedBy": {"source": "kubectl"}},
    },
    FoundryActivationRequestSpec,
)
BETA = {"metadata": {"name": "beta"}, "spec": {"licenseRef": {"name": "dungeons"}}}
DELETING = {**BETA, "metadata": {"deletionTimestamp": "2026-11-28T19:00:00Z"}}


@pytest.mark.parametrize(
    ("case", "instance", "says"),
    [
        ("missing", None, "there is no FoundryInstance 'beta' in namespace 'guild'"),
        (
            "being-deleted",
            {**BETA, "metadata": {"deletionTimestamp": "2026-11-28T19:00:00Z"}},
            "being deleted",
        ),
    ],
)
def test_a_request_for_an_instance_that_is_not_there_is_refused(
    case: str, instance: dict[str, Any] | None, says: str
) -> None:
    with pytest.raises(UserError) as refused:
        plan_activation(ActivationFacts(REQUEST, instance, NOW))
    assert (refused.value.reason, refused.value.field) == ("InstanceNotFound", "spec.instanceRef.name")
    assert says in refused.value.message


def test_a_valid_request_is_recorded_as_pending_with_how_to_activate() -> None:
    outcome = plan_activation(ActivationFacts(REQUEST, BETA, NOW))
    assert outcome.outputs is None and outcome.effects == ()
    assert outcome.status["phase"] == "Pending"
    assert "spec.activeInstanceName: beta on FoundryLicense 'dungeons'" in outcome.status["message"]
    assert outcome.status["conditions"][0]["reason"] == "Recorded"

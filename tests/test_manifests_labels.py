"""Labels every rendered object carries: platform teams select and audit by them."""

from __future__ import annotations

from foundry_lib.manifests.labels import LICENSE_LABEL, instance_labels, selector_labels


def test_instance_labels_name_the_instance_license_component_and_owner() -> None:
    assert instance_labels("alpha", "guild", "server") == {
        "app.kubernetes.io/name": "foundryvtt",
        "app.kubernetes.io/instance": "alpha",
        "app.kubernetes.io/component": "server",
        "app.kubernetes.io/part-of": "foundry-platform",
        "app.kubernetes.io/managed-by": "kratix",
        LICENSE_LABEL: "guild",
    }


def test_the_selector_is_part_of_every_instance_label_set_and_names_no_license() -> None:
    """A Deployment's selector can never change: moving an instance to another license keeps it."""
    selector = selector_labels("alpha")
    assert selector.items() <= instance_labels("alpha", "guild", "storage").items()
    assert selector == selector_labels("alpha") and LICENSE_LABEL not in selector

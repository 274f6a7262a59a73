"""The generated Promises: current on disk, accepted by Kratix's real CRD, structural, least-privilege,
and in agreement with the spec models on what a valid request is."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from manifest_validation import validate_manifest

from foundry_lib import kube
from foundry_lib.crd_schema import CEL_RULES
from foundry_lib.errors import UserError
from foundry_lib.manifests.standby import standby_dependencies
from foundry_lib.models.request import parse_request
from foundry_lib.pipeline_permissions import CLUSTER_PERMISSIONS
from foundry_lib.promise_definitions import PROMISES
from foundry_lib.promise_release import DEFAULT_DESTINATION_SELECTOR, PROMISE_VERSION_LABEL, PromiseRelease
from foundry_lib.promises import all_promises
from foundry_lib.settings import PlatformSettings, env_key
from foundry_platform import __version__
from foundry_platform.promisegen import DEFAULT_IMAGE, DEFAULT_RELEASE, promise_texts, promises_main

REPO = Path(__file__).parents[1]
KRATIX_CRD = REPO.parent / "shared" / "schemas" / "kratix-promises-crd.yaml"
EXAMPLES = REPO / "examples"
GENERATED = all_promises(DEFAULT_IMAGE, DEFAULT_RELEASE)
TEXTS = promise_texts(DEFAULT_IMAGE)
BY_KIND = {p.kind.kind: p for p in PROMISES}
PIPELINES = [
    (f"{name}-resource-{action}-{pipeline['metadata']['name']}", pipeline)
    for name, promise in GENERATED.items()
    for action, pipelines in promise["spec"]["workflows"]["resource"].items()
    for pipeline in pipelines
]
ALLOWED_CONTAINER_FIELDS = {
    "name", "image", "command", "args", "env", "envFrom", "volumeMounts", "imagePullPolicy",
    "securityContext", "resources",
}  # fmt: skip
KNOWN_RESOURCES = {k.plural for k in kube.FOUNDRY_KINDS} | {f"{k.plural}/status" for k in kube.FOUNDRY_KINDS}


def _openapi(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = GENERATED[name]["spec"]["api"]["spec"]["versions"][0]["schema"][
        "openAPIV3Schema"
    ]
    return schema


def _kratix_schema() -> dict[str, Any]:
    if not KRATIX_CRD.is_file():
        pytest.skip(f"the real Kratix Promise CRD is not at {KRATIX_CRD} (shared/ is laid beside the repo)")
    crd = yaml.safe_load(KRATIX_CRD.read_text(encoding="utf-8"))
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def _pruned(value: Any, schema: dict[str, Any], path: str, preserving: bool = False) -> list[str]:
    """Paths the API server would drop: apiextensions' pruning, known fields recursed, unknown ones lost."""
    keep_unknown = preserving or schema.get("x-kubernetes-preserve-unknown-fields", False)
    lost: list[str] = []
    if isinstance(value, dict):
        props, extra = schema.get("properties", {}), schema.get("additionalProperties")
        for key, child in value.items():
            if schema.get("x-kubernetes-embedded-resource") and key in ("apiVersion", "kind", "metadata"):
                continue
            if key in props or isinstance(extra, dict):
                lost += _pruned(child, props.get(key, extra), f"{path}.{key}")
            elif not keep_unknown:
                lost.append(f"{path}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            lost += _pruned(item, schema["items"], f"{path}[{index}]", preserving=keep_unknown)
    return lost


def _schema_nodes(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    nodes = [(path, schema)]
    for key, child in schema.get("properties", {}).items():
        nodes += _schema_nodes(child, f"{path}.{key}")
    if "items" in schema:
        nodes += _schema_nodes(schema["items"], f"{path}[]")
    return nodes


def _example_documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(EXAMPLES.rglob("*.y*ml")):
        for index, doc in enumerate(yaml.safe_load_all(path.read_text(encoding="utf-8"))):
            if isinstance(doc, dict) and doc.get("kind") in BY_KIND:
                docs.append((f"{path.relative_to(REPO)}#{index}", doc))
    return docs


EXAMPLE_DOCS = _example_documents()


@pytest.mark.parametrize("relative", sorted(TEXTS))
def test_committed_promise_is_what_make_promises_generates(relative: str) -> None:
    path = REPO / "promises" / relative
    assert path.is_file(), f"{path} is missing: run `make promises`"
    assert path.read_text(encoding="utf-8") == TEXTS[relative], f"{path} is out of date: run `make promises`"


def test_check_names_the_files_that_drifted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert promises_main(["--output", str(tmp_path)]) == 0
    assert promises_main(["--output", str(tmp_path), "--check"]) == 0
    edited = tmp_path / "foundry-instance" / "promise.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "# hand edit\n", encoding="utf-8")
    capsys.readouterr()
    assert promises_main(["--output", str(tmp_path), "--check"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [f"out of date: {edited} (run `make promises`)"]


@pytest.mark.parametrize("name", GENERATED)
def test_promise_is_accepted_by_the_kratix_crd_without_pruning(name: str) -> None:
    schema = _kratix_schema()
    promise = GENERATED[name]
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in
              jsonschema.Draft7Validator(schema).iter_errors(promise)]  # fmt: skip
    assert errors == []
    body = {k: v for k, v in promise.items() if k != "metadata"}  # ObjectMeta is not pruned by the schema
    assert _pruned(body, schema, "") == []


@pytest.mark.parametrize("name", GENERATED)
def test_crd_matches_the_kinds_the_code_calls(name: str) -> None:
    crd = GENERATED[name]["spec"]["api"]
    kind = next(p.kind for p in PROMISES if p.name == name)
    names = crd["spec"]["names"]
    assert (crd["spec"]["group"], crd["spec"]["versions"][0]["name"]) == (kind.group, kind.version)
    assert (names["kind"], names["plural"], crd["metadata"]["name"]) == (
        kind.kind, kind.plural, f"{kind.plural}.{kind.group}",
    )  # fmt: skip
    assert crd["spec"]["scope"] == "Namespaced"


@pytest.mark.parametrize("name", GENERATED)
def test_crd_schema_is_structural(name: str) -> None:
    problems = []
    for path, node in _schema_nodes(_openapi(name)):
        if {"$ref", "$defs", "anyOf", "oneOf", "allOf", "not", "nullable"} & set(node):
            problems.append(f"{path}: non-structural keys {sorted(node)}")
        if "type" not in node:
            problems.append(f"{path}: no type")
        if node.get("additionalProperties") is False:
            problems.append(f"{path}: additionalProperties: false is not allowed")
        if node.get("type") == "object" and not (
            "properties" in node or node.get("x-kubernetes-preserve-unknown-fields")
        ):
            problems.append(f"{path}: object with neither properties nor preserve-unknown-fields")
        if "default" in node or "title" in node:
            problems.append(f"{path}: default/title should not be in the CRD (the model applies defaults)")
    assert problems == []


@pytest.mark.parametrize(("pipeline_id", "pipeline"), PIPELINES, ids=[p[0] for p in PIPELINES])
def test_pipeline_passes_the_kratix_webhook_rules(pipeline_id: str, pipeline: dict[str, Any]) -> None:
    assert len(pipeline_id) <= 60
    for container in pipeline["spec"]["containers"]:
        assert set(container) <= ALLOWED_CONTAINER_FIELDS
        assert container["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False


@pytest.mark.parametrize(("pipeline_id", "pipeline"), PIPELINES, ids=[p[0] for p in PIPELINES])
def test_pipeline_command_is_a_console_script(pipeline_id: str, pipeline: dict[str, Any]) -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    for container in pipeline["spec"]["containers"]:
        assert container["command"][0] in scripts


@pytest.mark.parametrize(("pipeline_id", "pipeline"), PIPELINES, ids=[p[0] for p in PIPELINES])
def test_pipeline_env_is_a_valid_platform_configuration(pipeline_id: str, pipeline: dict[str, Any]) -> None:
    env = {e["name"]: e["value"] for e in pipeline["spec"]["containers"][0]["env"]}
    assert set(env) == {env_key(field) for field in PlatformSettings.model_fields}
    PlatformSettings.from_env(env)  # raises UserError if a shipped default is not a valid setting


@pytest.mark.parametrize(("pipeline_id", "pipeline"), PIPELINES, ids=[p[0] for p in PIPELINES])
def test_pipeline_permissions_are_namespaced_and_known(pipeline_id: str, pipeline: dict[str, Any]) -> None:
    cluster_wide = {
        (res, verb)
        for (promise, action), table in CLUSTER_PERMISSIONS.items()
        if pipeline_id.startswith(f"{promise}-resource-{action.value}-")
        for res, verbs in table.items()
        for verb in verbs.split()
    }
    for rule in pipeline["spec"]["rbac"]["permissions"]:
        if "resourceNamespace" in rule:  # only the platform-wide reads the hostname rule needs
            assert rule["resourceNamespace"] == "*"
            assert {(r, v) for r in rule["resources"] for v in rule["verbs"]} <= cluster_wide
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
        core = rule["resources"] in (["secrets"], ["events"])
        expected_group = [""] if core else [kube.GROUP]
        assert rule["apiGroups"] == expected_group
        assert set(rule["resources"]) <= KNOWN_RESOURCES | {"secrets", "events"}


def test_instance_configure_reads_the_catalog_overlay_from_the_optional_configmap() -> None:
    pipeline = GENERATED["foundry-instance"]["spec"]["workflows"]["resource"]["configure"][0]
    container = pipeline["spec"]["containers"][0]
    overlay = next(e["value"] for e in container["env"] if e["name"] == env_key("catalog_overlay"))
    mount = next(m for m in container["volumeMounts"] if overlay.startswith(m["mountPath"] + "/"))
    volume = next(v for v in pipeline["spec"]["volumes"] if v["name"] == mount["name"])
    assert volume["configMap"] == {"name": "foundry-release-catalog", "optional": True}


@pytest.mark.parametrize("kind", sorted(BY_KIND))
def test_examples_cover_every_kind(kind: str) -> None:
    assert any(doc["kind"] == kind for _, doc in EXAMPLE_DOCS), f"add an example {kind} under examples/"


@pytest.mark.parametrize(("where", "doc"), EXAMPLE_DOCS, ids=[w for w, _ in EXAMPLE_DOCS])
def test_example_is_accepted_by_model_and_crd(where: str, doc: dict[str, Any]) -> None:
    definition = BY_KIND[doc["kind"]]
    assert doc.get("apiVersion") == kube.API_VERSION
    try:
        parse_request(doc, definition.model)
    except UserError as exc:
        pytest.fail(f"{where}: {exc.message}")
    jsonschema.validate(doc, _openapi(definition.name))
    assert _pruned(doc["spec"], _openapi(definition.name)["properties"]["spec"], ".spec") == []


LICENSE = {"licenseSecretRef": {"name": "fl-key", "key": "license"}, "baseDomain": "dungeons.example.com"}
INSTANCE = {"licenseRef": {"name": "guild"}}
REQUEST = {"instanceRef": {"name": "alpha"}, "requestedBy": {"source": "discord"}}
AGREEMENT_CASES = [
    ("license-minimal", "foundry-license", LICENSE, True),
    ("license-no-active", "foundry-license", {**LICENSE, "activeInstanceName": ""}, True),
    ("license-no-domain", "foundry-license", {"licenseSecretRef": LICENSE["licenseSecretRef"]}, False),
    ("license-bad-duration", "foundry-license", {**LICENSE, "switchover": {"gracePeriod": "15 min"}}, False),
    ("license-bad-approval", "foundry-license", {**LICENSE, "activation": {"approval": "sometimes"}}, False),
    ("license-zero-instances", "foundry-license", {**LICENSE, "restrictions": {"maxInstances": 0}}, False),
    ("license-versions", "foundry-license", {**LICENSE, "restrictions": {"allowedVersions": ["13.x"]}}, True),
    ("license-too-many", "foundry-license",
     {**LICENSE, "restrictions": {"allowedVersions": ["13.x"] * 33}}, False),
    ("license-relative-root", "foundry-license", {**LICENSE, "sharedNfsRoot": "volume1/x"}, False),
    ("instance-minimal", "foundry-instance", INSTANCE, True),
    ("instance-generation", "foundry-instance", {**INSTANCE, "foundryVersion": "13.x"}, True),
    ("instance-bad-version", "foundry-instance", {**INSTANCE, "foundryVersion": "v13"}, False),
    ("instance-port-range", "foundry-instance", {**INSTANCE, "proxyPort": 70000}, False),
    ("instance-size", "foundry-instance", {**INSTANCE, "storage": {"size": "10Gi", "backend": "nfs"}}, True),
    ("instance-bad-size", "foundry-instance", {**INSTANCE, "storage": {"size": "10GB"}}, False),
    ("instance-bad-host", "foundry-instance", {**INSTANCE, "hostname": "Bad_Host"}, False),
    ("instance-copied", "foundry-instance",
     {**INSTANCE, "volumes": {"worlds": {"mode": "copied", "source": {"instance": "beta"}}}}, True),
    ("instance-bad-mode", "foundry-instance",
     {**INSTANCE, "volumes": {"plugins": {"mode": "linked"}}}, False),
    ("request-minimal", "foundry-activation-request", REQUEST, True),
    ("request-bad-source", "foundry-activation-request",
     {**REQUEST, "requestedBy": {"source": "email"}}, False),
    ("request-long-reason", "foundry-activation-request", {**REQUEST, "reason": "x" * 501}, False),
    ("request-decided", "foundry-activation-request",
     {**REQUEST, "decision": {"approved": True, "by": "discord:123", "at": "2024-05-01T20:00:00Z"}}, True),
    ("request-anonymous", "foundry-activation-request",
     {**REQUEST, "decision": {"approved": True, "by": ""}}, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "spec", "valid"), [c[1:] for c in AGREEMENT_CASES], ids=[c[0] for c in AGREEMENT_CASES]
)
def test_crd_schema_and_model_agree(name: str, spec: dict[str, Any], valid: bool) -> None:
    model = next(p.model for p in PROMISES if p.name == name)
    schema_errors = list(jsonschema.Draft7Validator(_openapi(name)["properties"]["spec"]).iter_errors(spec))
    try:
        model.model_validate(spec)
        model_ok = True
    except ValueError:
        model_ok = False
    assert (not schema_errors, model_ok) == (valid, valid)


CEL_CASES = [
    ("activator-role", "Activator", {"discordRoleId": "1"}, True),
    ("activator-user", "Activator", {"discordUserId": "2"}, True),
    ("activator-none", "Activator", {}, False),
    ("activator-both", "Activator", {"discordRoleId": "1", "discordUserId": "2"}, False),
    ("source-instance", "VolumeSource", {"instance": "beta"}, True),
    ("source-path", "VolumeSource", {"path": "maps"}, True),
    ("source-none", "VolumeSource", {}, False),
    ("source-both", "VolumeSource", {"instance": "beta", "path": "maps"}, False),
    ("volume-default", "Volume", {}, True),
    ("volume-new-with-source", "Volume", {"mode": "new", "source": {"path": "maps"}}, False),
    ("volume-default-with-source", "Volume", {"source": {"path": "maps"}}, False),
    ("volume-copied-without-source", "Volume", {"mode": "copied"}, False),
    ("volume-copied", "Volume", {"mode": "copied", "source": {"path": "maps"}}, True),
    ("volume-shared-owner", "Volume", {"mode": "shared"}, True),
    ("volume-shared-dependent", "Volume", {"mode": "shared", "source": {"instance": "beta"}}, True),
]
CEL_NODES = {  # where each model with CEL rules sits in the generated CRDs
    "Activator": ("foundry-license", ".spec.ownership.allowedActivators[]"),
    "VolumeSource": ("foundry-instance", ".spec.volumes.worlds.source"),
    "Volume": ("foundry-instance", ".spec.volumes.plugins"),
}


@pytest.mark.parametrize(
    ("model_name", "value", "valid"), [c[1:] for c in CEL_CASES], ids=[c[0] for c in CEL_CASES]
)
def test_cel_rules_agree_with_the_model(model_name: str, value: dict[str, Any], valid: bool) -> None:
    celpy = pytest.importorskip("celpy", reason="cel-python evaluates the CRD's CEL rules")
    model = next(m for m in CEL_RULES if m.__name__ == model_name)
    name, path = CEL_NODES[model_name]
    node = dict(_schema_nodes(_openapi(name)))[path]
    env = celpy.Environment()
    verdicts = [
        bool(env.program(env.compile(rule["rule"])).evaluate({"self": celpy.json_to_cel(value)}))
        for rule in node["x-kubernetes-validations"]
    ]
    try:
        model.model_validate(value)
        model_ok = True
    except ValueError:
        model_ok = False
    assert len(verdicts) == len(CEL_RULES[model])
    assert (all(verdicts), model_ok) == (valid, valid)


UNKNOWN_FIELD_CASES = [
    ("license-typo-at-top", "foundry-license", {**LICENSE, "activeInstance": "b"}, [".spec.activeInstance"]),
    ("license-typo-nested", "foundry-license", {**LICENSE, "standby": {"scaleToZer0": True}},
     [".spec.standby.scaleToZer0"]),
    ("instance-typo-deep", "foundry-instance",
     {**INSTANCE, "volumes": {"worlds": {"mode": "copied", "source": {"instance": "b", "pth": "x"}}}},
     [".spec.volumes.worlds.source.pth"]),
    ("request-typo", "foundry-activation-request", {**REQUEST, "reasons": "x"}, [".spec.reasons"]),
    ("license-known-fields", "foundry-license", LICENSE, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "spec", "unknown"), [c[1:] for c in UNKNOWN_FIELD_CASES], ids=[c[0] for c in UNKNOWN_FIELD_CASES]
)
def test_api_server_rejects_unknown_spec_fields(name: str, spec: dict[str, Any], unknown: list[str]) -> None:
    """Closed spec schemas: the fields the API server would prune are exactly those strict field
    validation (kubectl's default) rejects with `unknown field`; none may be silently kept or dropped."""
    schema = _openapi(name)
    assert not [p for p, node in _schema_nodes(schema["properties"]["spec"], ".spec")
                if node.get("x-kubernetes-preserve-unknown-fields")]  # fmt: skip
    assert _pruned(spec, schema["properties"]["spec"], ".spec") == unknown
    assert schema["properties"]["status"]["x-kubernetes-preserve-unknown-fields"] is True  # Kratix's


def test_every_promise_schedules_to_one_destination_selector_and_carries_the_package_version() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert __version__ == pyproject["project"]["version"]  # the installed metadata is not stale
    for promise in GENERATED.values():
        assert promise["metadata"]["labels"][PROMISE_VERSION_LABEL] == f"v{__version__}"
        assert promise["spec"]["destinationSelectors"] == [
            {"matchLabels": dict(DEFAULT_DESTINATION_SELECTOR)}
        ]


def test_required_promises_name_the_promises_each_one_needs_at_the_same_release() -> None:
    required = {
        name: [(r["name"], r["version"]) for r in promise["spec"].get("requiredPromises", [])]
        for name, promise in GENERATED.items()
    }
    version = f"v{__version__}"
    assert required == {
        "foundry-license": [],
        "foundry-instance": [("foundry-license", version)],
        "foundry-activation-request": [("foundry-instance", version)],
    }


def test_promises_without_a_release_version_require_any_version() -> None:
    promise = all_promises(DEFAULT_IMAGE, PromiseRelease())["foundry-instance"]
    assert PROMISE_VERSION_LABEL not in promise["metadata"]["labels"]
    assert promise["spec"]["requiredPromises"] == [{"name": "foundry-license"}]


SELECTOR_CASES = [
    ("default", [], 0, {"foundry.platform/destination": "true"}, ""),
    ("one", ["--destination-selector", "env=prod"], 0, {"env": "prod"}, ""),
    ("two", ["--destination-selector", "env=prod", "--destination-selector", "example.com/zone=eu-1"], 0,
     {"env": "prod", "example.com/zone": "eu-1"}, ""),
    ("comma-separated", ["--destination-selector", "env=prod,zone=eu"], 0, {"env": "prod", "zone": "eu"}, ""),
    ("no-equals", ["--destination-selector", "prod"], 2, None, "expected key=value"),
    ("bad-value", ["--destination-selector", "env=a b"], 2, None, "'a b' is not a label value"),
    ("bad-key", ["--destination-selector=-env=prod"], 2, None, "'-env' is not a label key"),
    ("bad-prefix", ["--destination-selector", "Ex_ample/env=prod"], 2, None, "not a label key"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "code", "labels", "error"), [c[1:] for c in SELECTOR_CASES], ids=[c[0] for c in SELECTOR_CASES]
)
def test_promises_command_takes_the_destination_selector(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int,
    labels: dict[str, str] | None, error: str,
) -> None:  # fmt: skip
    assert promises_main(["--output", str(tmp_path), *args]) == code
    err = capsys.readouterr().err
    if labels is None:
        assert error in err and "--destination-selector" in err
        assert not list(tmp_path.iterdir())
        return
    for name in GENERATED:
        promise = yaml.safe_load((tmp_path / name / "promise.yaml").read_text(encoding="utf-8"))
        assert promise["spec"]["destinationSelectors"] == [{"matchLabels": labels}]


DEPENDENCY_CASES = [
    # (case, platform settings env, expected (namespace, service name, port))
    ("defaults", {}, ("foundry-system", "foundry-standby", 8080)),
    (
        "a site's standby service",
        {"FOUNDRY_STANDBY_SERVICE_NAME": "standby", "FOUNDRY_STANDBY_SERVICE_NAMESPACE": "vtt",
         "FOUNDRY_STANDBY_SERVICE_PORT": "80"},
        ("vtt", "standby", 80),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("case", "env", "expected"), DEPENDENCY_CASES, ids=[c[0] for c in DEPENDENCY_CASES])
def test_standby_dependencies_are_valid_objects_where_the_routes_point(
    case: str, env: dict[str, str], expected: tuple[str, str, int]
) -> None:
    namespace, service = standby_dependencies(PlatformSettings.from_env(env))
    for obj in (namespace, service):
        validate_manifest(obj)
    assert (
        namespace["metadata"]["name"],
        service["metadata"]["name"],
        service["spec"]["ports"][0]["port"],
    ) == (expected)
    assert service["metadata"]["namespace"] == namespace["metadata"]["name"]
    assert namespace["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/prune"] == "disabled"
    assert namespace["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "Prune=false"


def test_only_the_license_promise_ships_dependencies_and_they_match_its_pipeline_defaults() -> None:
    """The license pipeline's routes need them; one Promise ships them (one emitter per object)."""
    carriers = {
        name: p["spec"]["dependencies"] for name, p in GENERATED.items() if "dependencies" in p["spec"]
    }
    assert list(carriers) == ["foundry-license"]
    for pipelines in GENERATED["foundry-license"]["spec"]["workflows"]["resource"].values():
        env = {e["name"]: e["value"] for e in pipelines[0]["spec"]["containers"][0]["env"]}
        assert carriers["foundry-license"] == standby_dependencies(PlatformSettings.from_env(env))

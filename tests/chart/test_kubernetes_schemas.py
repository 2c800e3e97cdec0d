"""The rendered manifests are valid Kubernetes objects, strictly, for 1.30 and the newest known."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from tests.chart.helm import ALL_ON, Helm, Manifest, one

# kubernetes-validate knows only the built-in kinds (CustomResourceDefinition included), not the
# Prometheus Operator's. No package here ships the operator's CRDs, so the PrometheusRule is
# checked against a structural schema written after its CRD (prometheusrule-structure.json),
# and its rules by promtool (test_prometheus_rules.py); the ServiceMonitor is not validated.
NO_SCHEMA_KINDS = {"ServiceMonitor", "PrometheusRule"}
PROMETHEUS_RULE = json.loads(
    (Path(__file__).resolve().parent / "prometheusrule-structure.json").read_text()
)
OLDEST_SUPPORTED = "1.30"
NEWEST_KNOWN = kubernetes_validate.latest_version()


def _errors(manifests: list[Manifest], version: str) -> list[str]:
    errors = []
    for manifest in manifests:
        if manifest["kind"] in NO_SCHEMA_KINDS:
            continue
        where = f"{manifest['kind']}/{manifest['metadata']['name']} (Kubernetes {version})"
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{where}: {'.'.join(map(str, exc.path))}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{where}: {exc.message}")
    return errors


@pytest.mark.parametrize("version", [OLDEST_SUPPORTED, NEWEST_KNOWN])
@pytest.mark.parametrize("values", ["default", "all-on"])
def test_rendered_manifests_are_strictly_valid_kubernetes_objects(
    helm: Helm, version: str, values: str
) -> None:
    manifests = helm.template(values=[ALL_ON] if values == "all-on" else [], include_crds=True)
    kinds = {m["kind"] for m in manifests}
    assert {"CustomResourceDefinition", "Deployment", "ClusterRole"} <= kinds
    assert _errors(manifests, version) == []


def test_the_validator_would_catch_an_invalid_manifest(default_manifests: list[Manifest]) -> None:
    (deployment,) = [m for m in default_manifests if m["kind"] == "Deployment"]
    broken = {**deployment, "spec": {**deployment["spec"], "replicas": "two", "replica": 2}}
    assert _errors([broken], OLDEST_SUPPORTED) != []


def test_only_the_prometheus_operator_kinds_are_left_to_other_checks(
    all_on_manifests: list[Manifest],
) -> None:
    unvalidated = {m["kind"] for m in all_on_manifests} & NO_SCHEMA_KINDS
    assert unvalidated == {"ServiceMonitor", "PrometheusRule"}
    for kind in unvalidated:
        with pytest.raises(kubernetes_validate.SchemaNotFoundError):
            kubernetes_validate.validate(one(all_on_manifests, kind), OLDEST_SUPPORTED, strict=True)


def _structure_errors(rule: Manifest) -> list[str]:
    validator = jsonschema.Draft7Validator(PROMETHEUS_RULE)
    return [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(rule)]


def test_the_prometheus_rule_has_the_structure_of_the_operators_crd(
    all_on_manifests: list[Manifest],
) -> None:
    assert _structure_errors(one(all_on_manifests, "PrometheusRule")) == []


def test_the_structural_check_would_catch_a_misplaced_field(
    all_on_manifests: list[Manifest],
) -> None:
    rule = one(all_on_manifests, "PrometheusRule")
    alert = {**rule["spec"]["groups"][0]["rules"][0], "severity": "critical", "for": 5}
    broken = {**rule, "spec": {"groups": [{"name": "g", "rules": [alert]}]}}
    assert len(_structure_errors(broken)) == 2

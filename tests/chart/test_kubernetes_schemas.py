"""The rendered manifests are valid Kubernetes objects, strictly, for 1.30 and the newest known."""

from __future__ import annotations

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from tests.chart.helm import ALL_ON, Helm, Manifest

# kubernetes-validate knows only the built-in kinds (CustomResourceDefinition included) and
# has no schema for the Prometheus Operator's ServiceMonitor; these are the only kinds skipped.
NO_SCHEMA_KINDS = {"ServiceMonitor"}
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


def test_only_the_service_monitor_is_left_unvalidated(all_on_manifests: list[Manifest]) -> None:
    unvalidated = {m["kind"] for m in all_on_manifests} & NO_SCHEMA_KINDS
    assert unvalidated == {"ServiceMonitor"}
    (monitor,) = [m for m in all_on_manifests if m["kind"] == "ServiceMonitor"]
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(monitor, OLDEST_SUPPORTED, strict=True)

"""Fixtures of the chart tests: the real Helm binary and the chart rendered once per session."""

from __future__ import annotations

import pytest

from tests.chart.helm import ALL_ON, Helm, Manifest, ensure_helm


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    """Helm from .tools/helm, fetched by scripts/ensure-helm.sh; never skipped when missing."""
    try:
        binary = ensure_helm()
    except RuntimeError as exc:
        pytest.fail(f"the chart tests need Helm and could not get it: {exc}", pytrace=False)
    return Helm(binary=binary, home=tmp_path_factory.mktemp("helm-home"))


@pytest.fixture(scope="session")
def default_manifests(helm: Helm) -> list[Manifest]:
    """The chart rendered with its default values."""
    return helm.template()


@pytest.fixture(scope="session")
def all_on_manifests(helm: Helm) -> list[Manifest]:
    """The chart rendered with every switch on."""
    return helm.template(values=[ALL_ON])

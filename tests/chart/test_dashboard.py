"""The Grafana dashboard: generated, shipped in a labelled ConfigMap, reading only real metrics."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.chart.helm import CHART, FULLNAME, NAMESPACE, Helm, Manifest, find, one
from tests.support.promql import (
    FROM_ELSEWHERE,
    exported_series,
    metric_names,
    panel_queries,
    rule_queries,
    variable_metric,
    variable_queries,
)

GENERATOR = Path(__file__).resolve().parents[2] / "scripts" / "dashboard.py"
DASHBOARD = CHART / "dashboards" / "kubernaut-gateway.json"
CONFIG_MAP = f"{FULLNAME}-dashboards"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dashboard", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the module executes.
    sys.modules.setdefault("dashboard", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def _unknown(queries: list[tuple[str, str]]) -> dict[str, set[str]]:
    """Return, per query, the metrics it reads that nothing here exports."""
    known = exported_series() | set(FROM_ELSEWHERE)
    unknown = {where: metric_names(expr) - known for where, expr in queries}
    return {where: names for where, names in unknown.items() if names}


def test_the_committed_dashboard_is_what_the_generator_makes_now() -> None:
    assert DASHBOARD.read_text() == _generator().render(), "run python scripts/dashboard.py"


def test_every_metric_the_dashboard_and_the_rules_read_is_exported(
    dashboard: dict[str, Any], helm: Helm
) -> None:
    rule = one(helm.template(sets={"prometheusRule.enabled": "true"}), "PrometheusRule")
    variables = [(f"${name}", q) for name, q in variable_queries(dashboard).items()]
    queries = [*panel_queries(dashboard), *rule_queries(rule)]
    assert _unknown(queries) == {}
    assert {variable_metric(q) for _, q in variables} <= exported_series()
    read = set().union(*(metric_names(expr) for _, expr in queries))
    assert read & set(FROM_ELSEWHERE) == set(FROM_ELSEWHERE), "a listed outside series is unused"


def test_the_name_check_sees_a_metric_the_gateway_does_not_export() -> None:
    expr = (
        'sum by (pod) (rate(gateway_signals_received_total{job="x"}[5m])) / on (pod) '
        "group_left max(gateway_nonexistent_seconds_bucket offset 5m) > bool 0.5e3"
    )
    assert metric_names(expr) == {
        "gateway_signals_received_total",
        "gateway_nonexistent_seconds_bucket",
    }
    assert _unknown([("panel", expr)]) == {"panel": {"gateway_nonexistent_seconds_bucket"}}


def test_the_exported_names_come_with_their_type_suffixes() -> None:
    exported = exported_series()
    assert {
        "gateway_signals_received_total",
        "gateway_http_request_duration_seconds_bucket",
        "gateway_http_request_duration_seconds_count",
        "gateway_circuit_breaker_open",
    } <= exported
    assert "gateway_signals_received" not in exported


def test_every_query_selects_the_variables_namespace_job_and_pod(
    dashboard: dict[str, Any],
) -> None:
    for title, expr in panel_queries(dashboard):
        for matcher in ('namespace="$namespace"', 'job="$job"', 'pod=~"$pod"'):
            assert expr.count("{") == expr.count(matcher), (title, matcher)
    variables = [v["name"] for v in dashboard["templating"]["list"]]
    assert variables == ["datasource", "namespace", "job", "pod"]


def test_panels_tile_the_grid_without_overlapping(dashboard: dict[str, Any]) -> None:
    taken: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & taken, panel["title"]
        taken |= cells
    assert all(
        p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        for p in dashboard["panels"]
        if p["type"] != "row"
    )


def test_the_rows_are_overview_signals_http_redis_and_kubernetes(
    dashboard: dict[str, Any],
) -> None:
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert rows == ["Overview", "Signals", "HTTP", "Redis", "Kubernetes API"]


def test_the_dashboard_config_map_is_off_by_default(default_manifests: list[Manifest]) -> None:
    assert find(default_manifests, "ConfigMap", CONFIG_MAP) == []


def test_the_config_map_carries_the_dashboard_for_the_grafana_sidecar(
    helm: Helm, dashboard: dict[str, Any]
) -> None:
    config_map = one(helm.template(sets={"dashboards.enabled": "true"}), "ConfigMap", CONFIG_MAP)
    assert config_map["metadata"]["namespace"] == NAMESPACE
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert "annotations" not in config_map["metadata"]
    assert json.loads(config_map["data"]["kubernaut-gateway.json"]) == dashboard


def test_the_sidecar_label_namespace_and_annotations_come_from_values(
    all_on_manifests: list[Manifest],
) -> None:
    metadata = one(all_on_manifests, "ConfigMap", CONFIG_MAP)["metadata"]
    assert metadata["namespace"] == "monitoring"
    assert metadata["labels"]["example.com/dashboard"] == "kubernaut"
    assert "grafana_dashboard" not in metadata["labels"]
    assert metadata["annotations"] == {"grafana_folder": "Kubernaut"}

"""The metric names PromQL expressions and Grafana queries read, and those the gateway exports."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry

from app.metrics import Metrics

# Series the dashboard and the alerts read that the gateway does not export, and who does.
FROM_ELSEWHERE = {
    "up": "Prometheus itself, one per scrape target",
    "kube_deployment_status_replicas_available": "kube-state-metrics",
}
# Suffixes of the series a metric family is exposed as, by its type.
_SERIES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}

_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_NAME = re.compile(r"(?<![\w.$])[A-Za-z_:][\w:]*")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "group_left", "group_right"}
_LABEL_VALUES = re.compile(r"^label_values\(\s*([A-Za-z_:][\w:]*)")


def metric_names(expr: str) -> set[str]:
    """Return the metric names an expression selects (not its functions, labels or keywords)."""
    text = _STRING.sub('""', expr)
    for pattern in (_MATCHERS, _RANGE, _LABEL_LIST):
        text = pattern.sub(" ", text)
    names = set()
    for match in _NAME.finditer(text):
        called = text[match.end() :].lstrip().startswith("(")
        if not called and match.group().lower() not in _KEYWORDS:
            names.add(match.group())
    return names


def variable_metric(query: str) -> str:
    """Return the metric of a Grafana `label_values(metric{...}, label)` variable query."""
    found = _LABEL_VALUES.match(query)
    if found is None:
        raise ValueError(f"not a label_values() query: {query!r}")
    return found.group(1)


def exported_series() -> set[str]:
    """Return every series name the gateway's metrics are exposed as."""
    registry = CollectorRegistry()
    Metrics(registry)
    return {
        family.name + suffix for family in registry.collect() for suffix in _SERIES[family.type]
    }


def panel_queries(dashboard: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield (panel title, PromQL) for every query of every panel of a Grafana dashboard."""
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


def variable_queries(dashboard: Mapping[str, Any]) -> dict[str, str]:
    """Return the dashboard's query variables: {name: label_values(...) query}."""
    variables = dashboard["templating"]["list"]
    return {v["name"]: v["query"] for v in variables if v["type"] == "query"}


def rule_queries(prometheus_rule: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield (alert name, PromQL) for every rule of a PrometheusRule."""
    for group in prometheus_rule["spec"]["groups"]:
        for rule in group["rules"]:
            yield rule.get("alert") or rule["record"], rule["expr"]

"""Generate the chart's Grafana dashboard from the rows and panels described here.

    python scripts/dashboard.py          # write helm/kubernaut-gateway/dashboards/*.json
    python scripts/dashboard.py --check  # exit 1 when the committed file differs

Every query selects the gateway's series with the $namespace, $job and $pod variables. `up` is
Prometheus' own series for each scrape target; every other metric is one the gateway exports.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parents[1] / "helm/kubernaut-gateway/dashboards"
OUTPUT_FILE = OUTPUT / "kubernaut-gateway.json"
SEL = 'namespace="$namespace", job="$job", pod=~"$pod"'
SIGNALS = f'{SEL}, url_rule=~"/api/v1/signals/.+"'
REQUESTS = "gateway_http_request_duration_seconds_count"
RECEIVED = "gateway_signals_received_total"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# The variables take their values from a series every gateway pod has from its start.
ALWAYS = "gateway_circuit_breaker_open"


def per_second(metric: str, *, by: str = "", where: str = SEL) -> str:
    """Return the per-second rate of a counter, summed over the selected series (`by` labels)."""
    grouping = f" by ({by}) " if by else ""
    return f"sum{grouping}(rate({metric}{{{where}}}[$__rate_interval]))"


def share(metric: str, *, part: str, whole: str) -> str:
    """Return the share of a counter's rate that the `part` series have of the `whole` ones:
    0 while there are none of the part (the series appear with their first event)."""
    return f"({per_second(metric, where=part)} or vector(0)) / {per_second(metric, where=whole)}"


def quantiles(histogram: str, *, by: str = "", where: str = SEL) -> list[tuple[str, str]]:
    """Return p50 and p99 queries of a histogram (per `by` label), with their legends."""
    buckets = per_second(f"{histogram}_bucket", by=", ".join(filter(None, [by, "le"])), where=where)
    legend = f"{{{{{by}}}}} " if by else ""
    return [(f"histogram_quantile({q}, {buckets})", f"{legend}p{q * 100:g}") for q in (0.5, 0.99)]


@dataclass(frozen=True)
class Panel:
    """One panel: its title, what it shows, and its queries as (PromQL, legend) pairs."""

    title: str
    description: str
    queries: list[tuple[str, str]]
    unit: str = "short"
    width: int = 12
    kind: str = "timeseries"


def stat(title: str, description: str, query: str, unit: str = "short") -> Panel:
    """Return a one-number panel of the overview row."""
    return Panel(title, description, [(query, "")], unit=unit, width=4, kind="stat")


NOT_RECORDED = share(REQUESTS, part=f'{SIGNALS}, status="503"', whole=SIGNALS)
# fmt: off
ROWS: list[tuple[str, list[Panel]]] = [
    ("Overview", [
        stat("Pods up", "Gateway pods that Prometheus scrapes (its up series).",
             f"sum(up{{{SEL}}})"),
        stat("Signals/s", "Signals received per second.", per_second(RECEIVED), "ops"),
        stat("Created in range", "RemediationRequests created in the time range.",
             f"sum(increase(gateway_remediation_requests_created_total{{{SEL}}}[$__range]))"),
        stat("Not recorded", "Share of signal requests answered 503.", NOT_RECORDED,
             "percentunit"),
        stat("Breakers open", "Pods whose Kubernetes API circuit breaker is open.",
             f"sum(gateway_circuit_breaker_open{{{SEL}}})"),
        stat("Indexes synced", "Pods whose resource index follows the Kubernetes API.",
             f"sum(gateway_resource_index_synced{{{SEL}}})"),
    ]),
    ("Signals", [
        Panel("Signals received by source and outcome",
              "What became of each signal (rejected counts refused requests).",
              [(per_second(RECEIVED, by="source, outcome"), "{{source}} {{outcome}}")], "ops"),
        Panel("RemediationRequests created", "New RemediationRequests: one per distinct problem.",
              [(per_second("gateway_remediation_requests_created_total"), "created")], "ops"),
        Panel("Duplicates ratio", "Share of firing signals that repeated an active problem.",
              [(share(RECEIVED, part=f'{SEL}, outcome="duplicate"',
                      whole=f'{SEL}, outcome=~"created|duplicate|aggregated"'), "duplicates")],
              "percentunit"),
        Panel("Storms detected", "Storm RemediationRequests created, by storm type.",
              [(per_second("gateway_storms_detected_total", by="type"), "{{type}}")], "ops"),
        Panel("Problems that came back", "Resources created with spec.recurrence: earlier "
              "resources of the problem ended within the recurrence window.",
              [(per_second("gateway_recurrences_total"), "recurrences")], "ops"),
        Panel("Flapping fingerprints", "Alerts flapping now (labelled kubernaut.io/flapping).",
              [(f"max(gateway_flapping_fingerprints{{{SEL}}})", "flapping")]),
    ]),
    ("HTTP", [
        Panel("Requests by status", "Every answer of the gateway, by HTTP status.",
              [(per_second("gateway_http_request_total", by="status"), "{{status}}")], "reqps", 8),
        Panel("Requests by endpoint", "Requests by the URL rule that served them.",
              [(per_second(REQUESTS, by="url_rule"), "{{url_rule}}")], "reqps", 8),
        Panel("Signal request latency", "p50 and p99 duration of the signal endpoints.",
              quantiles("gateway_http_request_duration_seconds", where=SIGNALS), "s", 8),
        Panel("Signal requests answered 5xx", "503: not recorded; other 5xx: the gateway failed.",
              [(NOT_RECORDED, "503"),
               (share(REQUESTS, part=f'{SIGNALS}, status=~"5..", status!="503"', whole=SIGNALS),
                "other 5xx")],
              "percentunit", 8),
        Panel("Rate-limited requests", "Signal requests refused with 429; Alertmanager drops them.",
              [(per_second("gateway_rate_limited_total"), "429")], "reqps", 8),
        Panel("Auth decisions", "TokenReview and SubjectAccessReview outcomes, by result.",
              [(per_second("gateway_auth_decisions_total", by="result"), "{{result}}")], "ops", 8),
    ]),
    ("Redis", [
        Panel("Script latency", "p50 and p99 of each Lua script call.",
              quantiles("gateway_redis_script_duration_seconds", by="script"), "s"),
        Panel("Script calls", "Lua script calls, by script.",
              [(per_second("gateway_redis_script_duration_seconds_count", by="script"),
                "{{script}}")], "ops"),
    ]),
    ("Kubernetes API", [
        Panel("Requests by operation and code", "code: the HTTP status, ok, error or circuit_open.",
              [(per_second("gateway_kubernetes_requests_total", by="operation, code"),
                "{{operation}} {{code}}")], "reqps"),
        Panel("Retries", "Kubernetes API calls retried, by operation.",
              [(per_second("gateway_kubernetes_retries_total", by="operation"), "{{operation}}")],
              "ops"),
        Panel("Circuit breaker open", "1 while a worker's breaker in the pod is open.",
              [(f"max by (pod) (gateway_circuit_breaker_open{{{SEL}}})", "{{pod}}")], width=8),
        Panel("Resource index synced", "1 while every worker's index in the pod follows the API.",
              [(f"min by (pod) (gateway_resource_index_synced{{{SEL}}})", "{{pod}}")], width=8),
        Panel("Resource index restarts", "Relists after a failed list or watch, by reason.",
              [(per_second("gateway_resource_index_restarts_total", by="reason"), "{{reason}}")],
              "ops", 8),
        Panel("Workload resolutions", "identity.mode workload: how each signal's workload was "
              "found (label, lookup, cached...), by result.",
              [(per_second("gateway_identity_resolutions_total", by="result"), "{{result}}")],
              "ops"),
    ]),
]
# fmt: on


def _options(kind: str) -> dict[str, Any]:
    if kind == "stat":
        calcs = {"calcs": ["lastNotNull"], "fields": "", "values": False}
        return {"reduceOptions": calcs, "colorMode": "value", "graphMode": "area"}
    return {
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }


def _panel(panel: Panel, *, ident: int, grid: dict[str, int]) -> dict[str, Any]:
    targets = [
        {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend or "__auto", "refId": ref}
        for (expr, legend), ref in zip(panel.queries, "ABCDEFGH", strict=False)
    ]
    return {
        "id": ident,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": grid,
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": _options(panel.kind),
        "targets": targets,
    }


def panels() -> list[dict[str, Any]]:
    """Lay the rows out: a row header, then its panels left to right, 24 units wide."""
    laid: list[dict[str, Any]] = []
    y = 0
    for title, row in ROWS:
        header = {"h": 1, "w": 24, "x": 0, "y": y}
        laid.append({"id": len(laid) + 1, "type": "row", "title": title, "collapsed": False,
                     "panels": [], "gridPos": header})  # fmt: skip
        x, y, height = 0, y + 1, 0
        for panel in row:
            height = 4 if panel.kind == "stat" else 8
            if x + panel.width > 24:
                x, y = 0, y + height
            grid = {"h": height, "w": panel.width, "x": x, "y": y}
            laid.append(_panel(panel, ident=len(laid) + 1, grid=grid))
            x += panel.width
        y += height
    return laid


def _variable(name: str, query: str, *, every: bool = False) -> dict[str, Any]:
    chosen: dict[str, Any] = {"includeAll": True, "multi": True, "allValue": ".*"} if every else {}
    return {
        "name": name,
        "label": name.capitalize(),
        "type": "query",
        "datasource": DATASOURCE,
        "query": query,
        "definition": query,
        "refresh": 2,
        "sort": 1,
        "includeAll": False,
        "multi": False,
        **chosen,
    }


def dashboard() -> dict[str, Any]:
    """Return the whole dashboard, as Grafana imports it."""
    source = {"name": "datasource", "label": "Data source", "type": "datasource"}
    return {
        "uid": "kubernaut-gateway",
        "title": "Kubernaut Gateway",
        "description": "Signals in, RemediationRequests out: the kubernaut-gateway's own metrics.",
        "tags": ["kubernaut"],
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "annotations": {"list": []},
        "templating": {
            "list": [
                {**source, "query": "prometheus", "refresh": 1},
                _variable("namespace", f"label_values({ALWAYS}, namespace)"),
                _variable("job", f'label_values({ALWAYS}{{namespace="$namespace"}}, job)'),
                _variable(
                    "pod",
                    f'label_values({ALWAYS}{{namespace="$namespace", job="$job"}}, pod)',
                    every=True,
                ),
            ]
        },
        "panels": panels(),
    }


def render() -> str:
    """Return the dashboard as the committed file holds it."""
    return json.dumps(dashboard(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the dashboard, or with --check say whether the committed file is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    check = parser.parse_args(argv).check
    if not check:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        OUTPUT_FILE.write_text(render())
    elif not OUTPUT_FILE.is_file() or OUTPUT_FILE.read_text() != render():
        print(f"{OUTPUT_FILE} is stale: run python scripts/dashboard.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

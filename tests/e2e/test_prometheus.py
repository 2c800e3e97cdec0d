"""The real Prometheus in front of the real gateway, and behind it the real Alertmanager.

Prometheus scrapes a gateway under real traffic with the chart's PrometheusRule loaded, as Helm
renders it (labelled as the chart's ServiceMonitor would label the scrape): every rule and every
dashboard query evaluates there, and every panel shows data. Then the whole pipeline: a
test-only alerting rule on a gauge the test flips fires, Prometheus sends the alert to
Alertmanager, Alertmanager's webhook reaches the gateway, which creates a RemediationRequest;
flipping the gauge back resolves the alert, and the resolution reaches the gateway too.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
import yaml

from tests.chart.helm import FULLNAME, NAMESPACE, Helm, Manifest, ensure_helm, one
from tests.e2e.conftest import Gateway, GatewayFactory
from tests.support.alertmanager import (
    GROUP_INTERVAL,
    GROUP_WAIT,
    REPEAT_INTERVAL,
    Alertmanager,
    Delivery,
    WebhookRecorder,
    webhook_receiver,
)
from tests.support.payloads import unique
from tests.support.processes import free_port
from tests.support.prometheus import Prometheus, fast_config, write_rules
from tests.support.promql import (
    FROM_ELSEWHERE,
    metric_names,
    panel_queries,
    rule_queries,
    variable_queries,
)
from tests.support.scrape_target import GaugeTarget
from tests.support.traffic import Callers, send_traffic
from tests.support.waiting import eventually

PROMETHEUS = "/api/v1/signals/prometheus"
PLURAL = "remediationrequests"
POD = f"{FULLNAME}-e2e"  # the pod label the ServiceMonitor would give this gateway's scrape
# Grafana's variables as a user of this dashboard would pick them, and its interval macros.
VARIABLES = {
    "$__rate_interval": "1m",
    "$__range": "5m",
    "$namespace": NAMESPACE,
    "$job": FULLNAME,
    "$pod": ".*",
}


@dataclass(frozen=True)
class Shipped:
    """What the chart ships for Prometheus and Grafana, as Helm renders it."""

    rule: Manifest
    dashboard: dict[str, Any]


@dataclass(frozen=True)
class Pipeline:
    prometheus: Prometheus
    switch: GaugeTarget
    recorder: WebhookRecorder
    alertname: str


def concrete(expr: str) -> str:
    """Replace the dashboard's variables and macros with values."""
    for variable, value in VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Shipped:
    helm = Helm(binary=ensure_helm(), home=tmp_path_factory.mktemp("helm-home"))
    on = {"prometheusRule.enabled": "true", "dashboards.enabled": "true"}
    manifests = helm.template(sets=on)
    dashboards = one(manifests, "ConfigMap", f"{FULLNAME}-dashboards")["data"]
    return Shipped(
        one(manifests, "PrometheusRule"), json.loads(dashboards["kubernaut-gateway.json"])
    )


@pytest.fixture(scope="module")
def callers(kube_api) -> Callers:
    return Callers.register(kube_api, namespace=NAMESPACE)


@pytest.fixture(scope="module")
def gateway_bind() -> str:
    """The gateway's address, chosen first: Prometheus starts before it, then waits the same."""
    return f"127.0.0.1:{free_port()}"


@pytest.fixture(scope="module")
def gateway(
    start_gateway: GatewayFactory, gateway_bind: str, pipeline: Pipeline
) -> Iterator[Gateway]:
    """Authentication on and a rate limit a burst can pass, so that every panel has data.

    It starts after Prometheus, whose first scrape comes about 5 s after its own start: its
    discovery sends targets at most every 5 s, the very first time included.
    """
    with start_gateway(
        bind=gateway_bind,
        GATEWAY_AUTH_MODE="kubernetes",
        GATEWAY_AUTH_NAMESPACE=NAMESPACE,
        GATEWAY_RATE_LIMIT="20",
        GATEWAY_RATE_LIMIT_BURST="20",
    ) as started:
        yield started


def _alertmanager_config(alertname: str, url: str, token: str) -> str:
    """Route only this module's pipeline alert to `url`, with a bearer token; drop the rest."""
    route = {
        "receiver": "nowhere",
        "group_by": ["alertname", "namespace"],
        "group_wait": GROUP_WAIT,
        "group_interval": GROUP_INTERVAL,
        "repeat_interval": REPEAT_INTERVAL,
        "routes": [{"receiver": "gateway", "matchers": [f'alertname="{alertname}"']}],
    }
    receivers = [{"name": "nowhere"}, webhook_receiver("gateway", url, token=token)]
    return yaml.safe_dump({"route": route, "receivers": receivers}, sort_keys=False)


@pytest.fixture(scope="module")
def pipeline(
    gateway_bind: str, shipped: Shipped, callers: Callers, tmp_path_factory
) -> Iterator[Pipeline]:
    workdir = tmp_path_factory.mktemp("prometheus")
    alertname = unique("KubernautE2EPipeline")
    test_rule = {"alert": alertname, "expr": "e2e_pipeline_switch == 1"}
    (workdir / "pipeline.yaml").write_text(
        yaml.safe_dump({"groups": [{"name": "e2e-pipeline", "rules": [test_rule]}]})
    )
    rules = [write_rules(shipped.rule, workdir / "chart.yaml"), workdir / "pipeline.yaml"]
    with (
        GaugeTarget("e2e_pipeline_switch") as switch,
        WebhookRecorder(f"http://{gateway_bind}") as recorder,
        Alertmanager(
            _alertmanager_config(alertname, f"{recorder.url}{PROMETHEUS}", callers.alertmanager),
            tmp_path_factory.mktemp("alertmanager"),
        ) as alertmanager,
    ):
        # The gateway's scrape, labelled as the chart's ServiceMonitor's would be.
        labels = {"namespace": NAMESPACE, "pod": POD}
        jobs: dict[str, dict[str, Any]] = {
            FULLNAME: {"targets": [gateway_bind], "labels": labels},
            "e2e-switch": {"targets": [switch.address]},
        }
        address = alertmanager.url.removeprefix("http://")
        config = fast_config(rules=rules, alertmanager=address, jobs=jobs)
        with Prometheus(config, workdir) as prometheus:
            yield Pipeline(prometheus, switch, recorder, alertname)


@pytest.fixture(scope="module")
def traffic(pipeline: Pipeline, gateway: Gateway, callers: Callers, kube_api) -> None:
    """Send every kind of request, its first ones and the rest each followed by a scrape."""
    query = pipeline.prometheus.query

    def scraped(series: str) -> None:
        eventually(lambda: query(series), within=10, what=f"{series} scraped")

    scraped(f'up{{job="{FULLNAME}"}} == 1')
    repeats = f'gateway_signals_received_total{{job="{FULLNAME}", outcome="duplicate"}}'
    between = partial(scraped, repeats)
    send_traffic(gateway.url, callers=callers, kube_api=kube_api, between=between)
    scraped(f'gateway_storms_detected_total{{job="{FULLNAME}"}}')


def test_every_alert_of_the_chart_evaluates_in_prometheus(
    pipeline: Pipeline, traffic: None, shipped: Shipped
) -> None:
    names = {name for name, _ in rule_queries(shipped.rule)}

    def evaluated() -> dict[str, dict[str, Any]] | None:
        groups = pipeline.prometheus.api("rules", type="alert")["groups"]
        rules = {
            r["name"]: r for g in groups if g["name"] == "kubernaut-gateway" for r in g["rules"]
        }
        fresh = all(not r["lastEvaluation"].startswith("0001") for r in rules.values())
        return rules if rules.keys() == names and fresh else None

    rules = eventually(evaluated, within=10, what="every chart rule evaluated")
    health = {name: (r["health"], r.get("lastError", "")) for name, r in rules.items()}
    assert health == dict.fromkeys(names, ("ok", ""))
    for _, expr in rule_queries(shipped.rule):
        pipeline.prometheus.query(expr)  # raises with Prometheus' error if it fails

    def states() -> tuple[str, str]:
        groups = pipeline.prometheus.api("rules", type="alert")["groups"]
        state = {r["name"]: r["state"] for g in groups for r in g["rules"]}
        return state["KubernautGatewayDown"], state["KubernautGatewayRateLimited"]

    # The chart's selectors match what is scraped: the gateway is up, and its 429s are seen.
    eventually(lambda: states() == ("inactive", "pending"), within=5, what="the rules' states")


def test_every_dashboard_query_evaluates_and_every_panel_shows_data(
    pipeline: Pipeline, traffic: None, shipped: Shipped
) -> None:
    queries: defaultdict[str, list[str]] = defaultdict(list)
    for title, expr in panel_queries(shipped.dashboard):
        queries[title].append(concrete(expr))
    empty: list[str] = []

    def has_number(expr: str) -> bool:
        """Tell whether a query has a sample that is a number (not NaN: nothing to divide)."""
        return any(s["value"][1] != "NaN" for s in pipeline.prometheus.query(expr))

    def every_panel_has_data() -> bool:
        empty[:] = [t for t, exprs in queries.items() if not any(map(has_number, exprs))]
        return not empty

    try:
        eventually(every_panel_has_data, within=10, what="data in every panel")
    except AssertionError:
        pytest.fail(f"panels without data: {empty}")
    values = {"namespace": NAMESPACE, "job": FULLNAME, "pod": POD}
    for name, query in variable_queries(shipped.dashboard).items():
        series = concrete(query).removeprefix("label_values(").rsplit(",", 1)[0]
        found = pipeline.prometheus.api(f"label/{name}/values", **{"match[]": series})
        assert found == [values[name]], name


def test_every_metric_the_dashboard_and_the_alerts_read_is_scraped(
    pipeline: Pipeline, traffic: None, shipped: Shipped
) -> None:
    exprs = [e for _, e in [*panel_queries(shipped.dashboard), *rule_queries(shipped.rule)]]
    read = set().union(*map(metric_names, exprs)) - set(FROM_ELSEWHERE)
    scraped = set(pipeline.prometheus.api("label/__name__/values"))
    assert read - scraped == set()
    assert "up" in scraped


def test_an_alert_reaches_the_gateway_through_alertmanager_and_so_does_its_resolution(
    pipeline: Pipeline, kube_api, make_namespace
) -> None:
    namespace = make_namespace()
    pipeline.switch.set(1, namespace=namespace, deployment="checkout")

    (created,) = eventually(
        lambda: kube_api.objects(PLURAL, namespace=namespace),
        within=20,
        what="a RemediationRequest from Prometheus' alert",
    )
    pipeline.switch.set(0, namespace=namespace, deployment="checkout")

    def resolved() -> list[Delivery]:
        deliveries = pipeline.recorder.deliveries(alertname=pipeline.alertname)
        return [d for d in deliveries if d.payload["status"] == "resolved"]

    first, *_ = eventually(resolved, within=20, what="the resolution at the gateway")
    assert created["spec"]["signalName"] == pipeline.alertname
    assert created["spec"]["targetResource"] == {
        "kind": "Deployment",
        "name": "checkout",
        "namespace": namespace,
    }
    (alert,) = first.payload["alerts"]
    assert "/graph?g0.expr=" in alert["generatorURL"]  # Prometheus' own link to its rule
    (answer,) = first.results
    assert answer["status"] == "resolved"
    assert answer["remediationRequest"]["name"] == created["metadata"]["name"]
    assert len(kube_api.objects(PLURAL, namespace=namespace)) == 1

"""A real Alertmanager in front of the real gateway: groups, repeats, resolves and retries.

Prometheus' side is played by posting alerts to Alertmanager's API; everything after that is
Alertmanager's own doing: grouping, the webhook body, repeat notifications, resolved
notifications and retrying 5xx answers. A recorder between Alertmanager and the gateway keeps
each notification and the gateway's answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.conftest import GatewayFactory
from tests.support.alertmanager import (
    Alertmanager,
    Delivery,
    WebhookRecorder,
    firing,
    resolved,
    routing_config,
)
from tests.support.api import PROMETHEUS
from tests.support.payloads import unique
from tests.support.waiting import eventually

PLURAL = "remediationrequests"
PODS = ("api-1", "api-2", "api-3")
# Alerts with this label go to the gateway with a short Kubernetes retry budget.
FAST = 'gateway="fast"'


@dataclass(frozen=True)
class Notifications:
    """The running Alertmanager and the recorders in front of each gateway."""

    alertmanager: Alertmanager
    default: WebhookRecorder
    fast: WebhookRecorder


@pytest.fixture(scope="module")
def fast_gateway_url(start_gateway: GatewayFactory) -> Iterator[str]:
    """A second gateway whose Kubernetes retry budget is 0.5 s, so its 503s come quickly.

    Its circuit breaker probes again after 1 s, not 10 s, so the recovery is quick too.
    """
    with start_gateway(
        GATEWAY_KUBERNETES_RETRY_BUDGET="0.5", GATEWAY_BREAKER_COOL_DOWN="1"
    ) as gateway:
        yield gateway.url


@pytest.fixture(scope="module")
def notifications(
    gateway_url: str, fast_gateway_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Notifications]:
    with WebhookRecorder(gateway_url) as default, WebhookRecorder(fast_gateway_url) as fast:
        config = routing_config(
            f"{default.url}{PROMETHEUS}", routes={FAST: f"{fast.url}{PROMETHEUS}"}
        )
        with Alertmanager(config, tmp_path_factory.mktemp("alertmanager")) as alertmanager:
            yield Notifications(alertmanager, default, fast)


def _group(namespace: str, alertname: str, **labels: str) -> list[dict[str, Any]]:
    return [firing(alertname, namespace=namespace, pod=pod, **labels) for pod in PODS]


def _resources(kube_api, namespace: str, count: int) -> list[dict[str, Any]]:
    """Wait until `namespace` holds `count` RemediationRequests; return them."""

    def found() -> list[dict[str, Any]] | None:
        resources: list[dict[str, Any]] = kube_api.objects(PLURAL, namespace=namespace)
        return resources if len(resources) >= count else None

    return eventually(found, within=20, what=f"{count} RemediationRequests in {namespace}")


def _by_fingerprint(resources: list[dict[str, Any]]) -> dict[str, str]:
    fingerprints = [rr["spec"]["signalFingerprint"] for rr in resources]
    assert len(set(fingerprints)) == len(fingerprints), fingerprints
    return {rr["spec"]["signalFingerprint"]: rr["metadata"]["name"] for rr in resources}


def _answered(deliveries: list[Delivery], *, status: int) -> list[Delivery]:
    return [d for d in deliveries if d.status == status]


def test_a_firing_group_of_three_alerts_creates_three_remediation_requests(
    notifications, kube_api, make_namespace
):
    namespace, alertname = make_namespace(), unique("KubePodCrashLooping")
    notifications.alertmanager.post_alerts(_group(namespace, alertname))

    resources = _resources(kube_api, namespace, 3)

    assert len(resources) == 3
    assert sorted(rr["spec"]["targetResource"]["name"] for rr in resources) == list(PODS)
    assert {rr["spec"]["signalName"] for rr in resources} == {alertname}
    # The recorder logs a delivery when the gateway's answer comes back, after the creates.
    first = eventually(
        lambda: notifications.default.deliveries(alertname=alertname, namespace=namespace),
        within=10,
        what="the recorded delivery",
    )[0]
    assert first.payload["version"] == "4"
    assert first.payload["status"] == "firing"
    assert len(first.payload["alerts"]) == 3  # one webhook for the group (group_wait)
    assert first.status == 201
    assert [r["status"] for r in first.results] == ["created"] * 3
    assert {r["remediationRequest"]["name"] for r in first.results} == {
        rr["metadata"]["name"] for rr in resources
    }


def test_a_repeat_notification_creates_nothing_and_the_occurrence_counts_grow(
    notifications, kube_api, make_namespace
):
    namespace, alertname = make_namespace(), unique("KubePodCrashLooping")
    notifications.alertmanager.post_alerts(_group(namespace, alertname))
    names = _by_fingerprint(_resources(kube_api, namespace, 3))

    # Alertmanager repeats the unchanged group on its own, every flush (repeat_interval).
    deliveries = eventually(
        lambda: (
            (found := notifications.default.deliveries(alertname=alertname))
            and len(found) >= 3
            and found
        ),
        within=15,
        what="two repeat notifications",
    )
    # The gateway writes status.deduplication within a few seconds of an occurrence.
    counted = eventually(
        lambda: (
            (found := kube_api.objects(PLURAL, namespace=namespace))
            and all(
                (rr.get("status") or {}).get("deduplication", {}).get("occurrenceCount", 0) >= 2
                for rr in found
            )
            and found
        ),
        within=15,
        what="status.deduplication.occurrenceCount >= 2 on every resource",
    )

    assert _by_fingerprint(counted) == names  # the same three resources, nothing new
    first, *repeats = deliveries
    assert [r["status"] for r in first.results] == ["created"] * 3
    counts: dict[str, list[int]] = {fingerprint: [] for fingerprint in names}
    for repeat in repeats:
        assert repeat.status == 202, repeat.answer
        for result in repeat.results:
            assert result["status"] == "duplicate"
            assert result["remediationRequest"]["name"] == names[result["fingerprint"]]
            counts[result["fingerprint"]].append(result["occurrenceCount"])
    for fingerprint, seen in counts.items():
        assert seen[0] >= 2, fingerprint
        assert seen == sorted(set(seen)), seen  # strictly growing


def test_resolving_the_alerts_creates_nothing(notifications, kube_api, make_namespace):
    namespace, alertname = make_namespace(), unique("KubePodCrashLooping")
    alerts = _group(namespace, alertname)
    notifications.alertmanager.post_alerts(alerts)
    names = _by_fingerprint(_resources(kube_api, namespace, 3))

    notifications.alertmanager.post_alerts(resolved(alert) for alert in alerts)

    def resolved_answers() -> dict[str, dict[str, Any]] | None:
        answers = {
            result["fingerprint"]: result
            for delivery in notifications.default.deliveries(alertname=alertname)
            for result in delivery.results
            if result["status"] == "resolved"
        }
        return answers if len(answers) == 3 else None

    answers = eventually(resolved_answers, within=15, what="three resolved answers")
    assert {fp: a["remediationRequest"]["name"] for fp, a in answers.items()} == names
    notified = [
        d
        for d in notifications.default.deliveries(alertname=alertname)
        if d.results and d.results[0]["status"] == "resolved"
    ]
    assert all(d.payload["status"] == "resolved" and d.status == 202 for d in notified)
    assert _by_fingerprint(kube_api.objects(PLURAL, namespace=namespace)) == names


def test_alertmanager_retries_a_503_and_nothing_is_lost_or_doubled(
    notifications, kube_api, make_namespace
):
    namespace, alertname = make_namespace(), unique("KubePodCrashLooping")
    path = rf"/namespaces/{namespace}/{PLURAL}$"
    fault = kube_api.inject(method="POST", path=path, status=500)
    started = time.monotonic()
    notifications.alertmanager.post_alerts(_group(namespace, alertname, gateway="fast"))

    refused = eventually(
        lambda: len(_answered(notifications.fast.deliveries(alertname=alertname), status=503)) >= 2,
        within=20,
        what="two 503 answers to Alertmanager",
    )
    assert refused
    assert kube_api.objects(PLURAL, namespace=namespace) == []
    assert kube_api.count(method="POST", path=path, status=500) >= 2
    fault.remove()
    removed = time.monotonic()

    resources = _resources(kube_api, namespace, 3)
    recovered = time.monotonic()
    names = _by_fingerprint(resources)

    # Let Alertmanager deliver once more after its first success: still the same three.
    def repeated() -> Delivery | None:
        deliveries = notifications.fast.deliveries(alertname=alertname)
        ok = [i for i, d in enumerate(deliveries) if d.status in (201, 202)]
        return deliveries[ok[1]] if len(ok) >= 2 else None

    repeat = eventually(repeated, within=15, what="a repeat after recovery")
    assert repeat.status == 202
    assert {r["status"] for r in repeat.results} == {"duplicate"}
    assert {r["fingerprint"]: r["remediationRequest"]["name"] for r in repeat.results} == names
    assert _by_fingerprint(kube_api.objects(PLURAL, namespace=namespace)) == names
    assert sorted(rr["spec"]["targetResource"]["name"] for rr in resources) == list(PODS)
    deliveries = notifications.fast.deliveries(alertname=alertname)
    print(
        f"503 phase {removed - started:.1f}s, recovery {recovered - removed:.1f}s, "
        f"answers {[d.status for d in deliveries]}"
    )

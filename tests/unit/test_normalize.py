import hashlib
import json
from datetime import UTC, datetime

import pytest

from app.api.schemas import AlertmanagerWebhookSchema, KubernetesEventSchema
from app.domain import ResourceRef, Severity, SignalType, fingerprint
from app.service.normalize import MAX_ENTRIES, alert_signals, bounded, event_signal
from tests.support.payloads import (
    alert,
    core_event,
    events_v1_event,
    exporter_event,
    label_set_fingerprint,
    webhook,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _signals(*alerts, aliases=None):
    body = webhook(*alerts)
    loaded = AlertmanagerWebhookSchema().load(body)
    return alert_signals(
        loaded,
        body["alerts"],
        received_at=NOW,
        severity_aliases=aliases or {},
        default_severity="warning",
    )


def _event(body):
    loaded = KubernetesEventSchema().load(body)
    return event_signal(loaded, body, received_at=NOW, critical_reasons={"OOMKilled"})


def test_fingerprint_is_sha256_of_name_namespace_kind_and_name():
    expected = hashlib.sha256(b"HighCPU:prod:Pod:api-1").hexdigest()
    assert fingerprint(signal_name="HighCPU", namespace="prod", kind="Pod", name="api-1") == (
        expected
    )


def test_every_alert_of_a_webhook_becomes_a_signal_firing_and_resolved():
    signals = _signals(
        alert(alertname="A", namespace="n", pod="p1"),
        alert(alertname="A", namespace="n", pod="p2", status="resolved"),
        alert(alertname="A", namespace="n", pod="p3"),
    )
    assert [s.target.name for s in signals] == ["p1", "p2", "p3"]
    assert [s.firing for s in signals] == [True, False, True]


@pytest.mark.parametrize(
    ("labels", "kind", "name"),
    [
        # kube-state-metrics: the Deployment, not the exporter's own pod
        ({"pod": "kube-state-metrics-0", "deployment": "d"}, "Deployment", "d"),
        ({"deployment": "d", "node": "n1"}, "Deployment", "d"),
        ({"statefulset": "s", "pod": "s-0"}, "StatefulSet", "s"),
        ({"daemonset": "ds", "pod": "ds-x"}, "DaemonSet", "ds"),
        ({"cronjob": "cj", "job_name": "cj-1"}, "CronJob", "cj"),
        ({"job_name": "j", "pod": "j-x"}, "Job", "j"),
        ({"replicaset": "rs", "pod": "rs-x"}, "ReplicaSet", "rs"),
        ({"persistentvolumeclaim": "data", "pod": "p"}, "PersistentVolumeClaim", "data"),
        ({"horizontalpodautoscaler": "web", "pod": "p"}, "HorizontalPodAutoscaler", "web"),
        ({"pod": "p", "node": "n1", "container": "app"}, "Pod", "p"),
        ({"node": "n1", "service": "svc", "instance": "10.0.0.1:9100"}, "Node", "n1"),
    ],
)
def test_target_is_the_first_label_of_the_first_tier_present(labels, kind, name):
    (signal,) = _signals(alert(alertname="A", namespace="n", **labels))
    assert (signal.target.kind, signal.target.name) == (kind, name)


def test_scrape_labels_are_never_targets_and_the_alert_is_named_by_its_label_set():
    scrape = {"job": "node-exporter", "service": "ne", "endpoint": "metrics", "container": "c"}
    one, two = _signals(
        alert(alertname="NodeFilesystemAlmostFull", instance="10.0.0.1:9100", **scrape),
        alert(alertname="NodeFilesystemAlmostFull", instance="10.0.0.2:9100", **scrape),
    )
    assert (one.target.kind, two.target.kind) == ("Unknown", "Unknown")
    assert one.target.name == label_set_fingerprint(dict(one.labels))
    assert one.fingerprint != two.fingerprint


def test_without_alertmanager_fingerprint_the_name_is_16_hex_of_the_sorted_labels():
    raw = alert(alertname="TargetDown", namespace="n", job="api", instance="10.0.0.3:80")
    del raw["fingerprint"]
    (signal,) = _signals(raw)
    labels = json.dumps(sorted(raw["labels"].items()), separators=(",", ":")).encode()
    assert signal.target == ResourceRef("Unknown", hashlib.sha256(labels).hexdigest()[:16], "n")


def test_namespace_falls_back_to_exported_namespace_then_cluster_scope():
    exported = _signals(alert(alertname="A", exported_namespace="team-a", pod="p"))[0]
    cluster = _signals(alert(alertname="A", node="n1"))[0]
    assert exported.namespace == "team-a"
    assert cluster.namespace == ""
    assert cluster.fingerprint == fingerprint(signal_name="A", namespace="", kind="Node", name="n1")


def test_start_time_annotations_and_alertmanager_fingerprint_never_change_identity():
    first = alert(alertname="A", namespace="n", pod="p")
    second = alert(alertname="A", namespace="n", pod="p")
    second["startsAt"] = "2026-11-20T00:00:00Z"
    second["annotations"] = {"summary": "different"}
    second["fingerprint"] = "ffff"
    one, two = _signals(first, second)
    assert one.fingerprint == two.fingerprint


@pytest.mark.parametrize(
    ("label", "aliases", "expected"),
    [
        ("critical", {}, Severity.CRITICAL),
        ("INFO", {}, Severity.INFO),
        ("page", {}, Severity.WARNING),
        ("page", {"page": "critical"}, Severity.CRITICAL),
    ],
)
def test_severity_maps_unknown_values_through_configuration(label, aliases, expected):
    (signal,) = _signals(alert(alertname="A", namespace="n", severity=label), aliases=aliases)
    assert signal.severity is expected


def test_each_signal_keeps_only_its_own_alert_as_payload():
    one, _ = _signals(
        alert(alertname="A", namespace="n", pod="p1"), alert(alertname="A", namespace="n", pod="p2")
    )
    assert b'"pod":"p1"' in one.payload
    assert b"p2" not in one.payload


def test_label_values_and_counts_are_bounded():
    values = {f"k{i:03}": "x" * 5000 for i in range(100)}
    kept = bounded(values, limit=1024)
    assert len(kept) == MAX_ENTRIES
    assert all(len(v) == 1024 for v in kept.values())


@pytest.mark.parametrize("builder", [core_event, events_v1_event, exporter_event])
def test_each_event_shape_names_its_object_and_reason(builder):
    signal = _event(builder(reason="BackOff", namespace="team-a", name="api-1"))
    assert signal.signal_type is SignalType.KUBERNETES_EVENT
    assert (signal.name, signal.namespace) == ("BackOff", "team-a")
    assert (signal.target.kind, signal.target.name) == ("Pod", "api-1")
    assert signal.severity is Severity.WARNING
    assert signal.actionable


def test_critical_event_reasons_are_critical_and_normal_events_are_not_actionable():
    oom = _event(core_event(reason="OOMKilled", namespace="n", name="p"))
    normal = _event(core_event(reason="Pulled", namespace="n", name="p", type_="Normal"))
    assert oom.severity is Severity.CRITICAL
    assert not normal.actionable


def test_node_events_are_cluster_scoped():
    signal = _event(core_event(reason="NodeNotReady", namespace="default", name="n1", kind="Node"))
    assert signal.namespace == ""
    assert signal.target.namespace == ""


def test_exporter_cluster_and_object_labels_become_signal_labels():
    signal = _event(exporter_event(reason="BackOff", namespace="n", name="p"))
    assert signal.labels["cluster"] == "prod-eu-1"
    assert signal.labels["app"] == "api"

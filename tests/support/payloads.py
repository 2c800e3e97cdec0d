"""Request bodies for tests; every call gets names of its own unless told otherwise."""

from __future__ import annotations

import uuid
from typing import Any


def unique(prefix: str) -> str:
    """Return a name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_SEPARATOR = 0xFF


def label_set_fingerprint(labels: dict[str, str]) -> str:
    """Return Alertmanager's fingerprint of a label set (prometheus/common's FNV-1a 64 over the
    sorted names and values, each followed by a 0xff byte), as 16 hex digits."""
    digest = _FNV_OFFSET
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in (*part.encode("utf-8", "surrogatepass"), _SEPARATOR):
                digest = ((digest ^ byte) * _FNV_PRIME) % 2**64
    return f"{digest:016x}"


def alert(
    *,
    alertname: str,
    namespace: str | None = None,
    status: str = "firing",
    severity: str = "critical",
    **labels: str,
) -> dict[str, Any]:
    """Return one Alertmanager alert."""
    all_labels = {"alertname": alertname, "severity": severity, **labels}
    if namespace is not None:
        all_labels["namespace"] = namespace
    return {
        "status": status,
        "labels": all_labels,
        "annotations": {"summary": f"{alertname} is firing"},
        "startsAt": "2026-11-24T10:00:00.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": label_set_fingerprint(all_labels),
    }


def webhook(*alerts: dict[str, Any], receiver: str = "kubernaut") -> dict[str, Any]:
    """Return an Alertmanager version 4 webhook carrying `alerts`."""
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "version": "4",
        "groupKey": '{}:{alertname="x"}',
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": receiver,
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
        "someFieldFromANewerAlertmanager": {"ignored": True},
    }


def core_event(
    *, reason: str, namespace: str, name: str, kind: str = "Pod", type_: str = "Warning"
) -> dict[str, Any]:
    """Return a core/v1 Event."""
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.17a", "namespace": namespace},
        "involvedObject": {"kind": kind, "name": name, "namespace": namespace, "apiVersion": "v1"},
        "reason": reason,
        "message": f"{reason} happened",
        "type": type_,
        "count": 3,
        "firstTimestamp": "2026-11-24T09:58:00Z",
        "lastTimestamp": "2026-11-24T10:00:00Z",
        "eventTime": None,
        "source": {"component": "kubelet", "host": "node-1"},
    }


def events_v1_event(*, reason: str, namespace: str, name: str, kind: str = "Pod") -> dict[str, Any]:
    """Return an events.k8s.io/v1 Event."""
    return {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.18b", "namespace": namespace},
        "regarding": {"kind": kind, "name": name, "namespace": namespace},
        "reason": reason,
        "note": f"{reason} happened",
        "type": "Warning",
        "eventTime": "2026-11-24T10:00:00.000000Z",
        "series": {"count": 4, "lastObservedTime": "2026-11-24T10:01:00.000000Z"},
        "reportingController": "kubelet",
        "reportingInstance": "node-1",
        "action": "Killing",
    }


def exporter_event(
    *, reason: str, namespace: str, name: str, owner: str = "api-7d9f"
) -> dict[str, Any]:
    """Return kubernetes-event-exporter's body: core/v1 plus cluster and object metadata."""
    event = core_event(reason=reason, namespace=namespace, name=name)
    event["clusterName"] = "prod-eu-1"
    event["involvedObject"]["labels"] = {"app": "api"}
    event["involvedObject"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": owner,
            "uid": "5f0c7d3e-2b1a-4c8d-9e6f-0a1b2c3d4e5f",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    return event

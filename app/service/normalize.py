"""Turn loaded webhook and event bodies into normalized signals (contract section 3)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from app.domain import (
    CLUSTER_SCOPED_KINDS,
    IgnoredReason,
    ResourceRef,
    Severity,
    Signal,
    SignalType,
    controller_of,
)

# Target labels by tier (contract section 3), flattened: the first label present names the
# target. Workload controllers outrank other objects, which outrank pods and nodes, because
# kube-state-metrics alerts about a Deployment also carry the exporter's own `pod`. Scrape
# labels (`job`, `service`, `instance`, `endpoint`, `container`) are never targets.
TARGET_LABELS = (
    ("deployment", "Deployment"),
    ("statefulset", "StatefulSet"),
    ("daemonset", "DaemonSet"),
    ("cronjob", "CronJob"),
    ("job_name", "Job"),
    ("replicaset", "ReplicaSet"),
    ("persistentvolumeclaim", "PersistentVolumeClaim"),
    ("horizontalpodautoscaler", "HorizontalPodAutoscaler"),
    ("pod", "Pod"),
    ("node", "Node"),
)
UNKNOWN = "Unknown"
# Alertmanager's fingerprint of an alert's label set (16 hex digits; a little more is allowed).
_LABEL_SET_ID = re.compile(r"[0-9a-f]{1,64}")
MAX_ENTRIES = 64
MAX_LABEL_VALUE = 1024
MAX_ANNOTATION_VALUE = 4096


def bounded(values: Mapping[str, str], *, limit: int) -> dict[str, str]:
    """Keep at most MAX_ENTRIES entries with values cut to `limit` characters (what a new
    resource carries; a signal keeps its labels whole until then)."""
    kept = sorted(values.items())[:MAX_ENTRIES]
    return {k: v if len(v) <= limit else v[: limit - 1] + "…" for k, v in kept}


def _severity(raw: str, *, aliases: Mapping[str, str], default: str) -> Severity:
    value = raw.strip().lower()
    if value in Severity.__members__.values():
        return Severity(value)
    return Severity(aliases.get(value, default))


def label_set_id(labels: Mapping[str, str], *, given: str) -> str:
    """Name an alert that names no resource by its label set: Alertmanager's fingerprint of
    it when given, else the first 16 hex of sha256 of the sorted labels."""
    if _LABEL_SET_ID.fullmatch(given):
        return given
    encoded = json.dumps(sorted(labels.items()), separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


def alert_signals(
    webhook: Mapping[str, Any],
    raw_alerts: list[Any],
    *,
    received_at: datetime,
    severity_aliases: Mapping[str, str],
    default_severity: str,
) -> list[Signal]:
    """Normalize every alert of an Alertmanager webhook, firing and resolved."""
    source = webhook["receiver"] or "alertmanager"
    return [
        alert_signal(
            alert,
            raw,
            source=source,
            received_at=received_at,
            severity_aliases=severity_aliases,
            default_severity=default_severity,
        )
        for alert, raw in zip(webhook["alerts"], raw_alerts, strict=True)
    ]


def alert_signal(
    alert: Mapping[str, Any],
    raw: Any,
    *,
    source: str,
    received_at: datetime,
    severity_aliases: Mapping[str, str],
    default_severity: str,
) -> Signal:
    """Normalize one Prometheus alert."""
    labels: Mapping[str, str] = alert["labels"]
    namespace = labels.get("namespace") or labels.get("exported_namespace") or ""
    kind, name = next(
        ((kind, labels[label]) for label, kind in TARGET_LABELS if labels.get(label)),
        (UNKNOWN, ""),
    )
    if kind == UNKNOWN:
        name = label_set_id(labels, given=alert.get("fingerprint") or "")
    return Signal(
        signal_type=SignalType.PROMETHEUS_ALERT,
        name=labels["alertname"],
        namespace=namespace,
        target=ResourceRef(kind, name, "" if kind in CLUSTER_SCOPED_KINDS else namespace),
        severity=_severity(
            labels.get("severity", ""), aliases=severity_aliases, default=default_severity
        ),
        firing=alert["status"] == "firing",
        firing_time=alert["startsAt"] or received_at,
        source=source,
        labels=labels,
        annotations=alert["annotations"],
        raw=raw,
    )


def event_signal(
    event: Mapping[str, Any],
    raw: Any,
    *,
    received_at: datetime,
    critical_reasons: Collection[str],
) -> Signal:
    """Normalize one Kubernetes Event of any of the three accepted shapes."""
    obj = event["involvedObject"] or event["regarding"]
    namespace = obj["namespace"] or event["metadata"]["namespace"]
    if obj["kind"] in CLUSTER_SCOPED_KINDS:
        namespace = ""
    series = event["series"] or {}
    source = event["source"] or {}
    labels = {"reason": event["reason"], **obj["labels"]}
    if event["clusterName"]:
        labels["cluster"] = event["clusterName"]
    return Signal(
        signal_type=SignalType.KUBERNETES_EVENT,
        name=event["reason"],
        namespace=namespace,
        target=ResourceRef(obj["kind"], obj["name"], namespace),
        severity=(Severity.CRITICAL if event["reason"] in critical_reasons else Severity.WARNING),
        firing=True,
        firing_time=(
            event["lastTimestamp"]
            or series.get("lastObservedTime")
            or event["eventTime"]
            or event["firstTimestamp"]
            or received_at
        ),
        source=(
            event["reportingComponent"]
            or event["reportingController"]
            or source.get("component")
            or "kubernetes-event"
        ),
        labels=labels,
        annotations=(
            {"message": event["message"] or event["note"]}
            if event["message"] or event["note"]
            else {}
        ),
        raw=raw,
        ignored=None if event["type"] == "Warning" else IgnoredReason.NORMAL_EVENT,
        owner=controller_of(obj["ownerReferences"], namespace=namespace),
    )

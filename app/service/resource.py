"""Build the RemediationRequest for a claimed signal (contract section 4)."""

from __future__ import annotations

import base64
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain import MANAGED_BY, Classification, Signal, rfc3339
from app.service.normalize import MAX_ANNOTATION_VALUE, MAX_LABEL_VALUE, bounded

API_VERSION = "remediation.kubernaut.io/v1alpha1"
KIND = "RemediationRequest"
MAX_PAYLOAD = 1024 * 1024
MAX_PREVIOUS = 10  # spec.recurrence.previous lists at most this many, newest first
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def new_name(fingerprint: str) -> str:
    """Return rr-<12 hex of the fingerprint>-<8 random [a-z0-9]>: never reused.

    The 8 are hex digits (32 random bits from the process PRNG, like unique_id): within the
    contract's alphabet, and cheaper than drawing from all 36.
    """
    return f"rr-{fingerprint[:12]}-{random.getrandbits(32):08x}"


def is_label_value(value: str) -> bool:
    """Tell whether Kubernetes accepts `value` as a label value."""
    return len(value) <= 63 and bool(_LABEL_VALUE.fullmatch(value))


def labels_for(signal: Signal, classification: Classification) -> dict[str, str]:
    """Return the labels every RemediationRequest carries."""
    labels = {
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "kubernaut.io/signal-fingerprint": signal.fingerprint[:63],
        "kubernaut.io/signal-type": signal.signal_type.value,
        "kubernaut.io/severity": signal.severity.value,
        "kubernaut.io/environment": classification.environment,
        "kubernaut.io/priority": classification.priority,
    }
    if classification.origin_namespace and is_label_value(classification.origin_namespace):
        labels["kubernaut.io/origin-namespace"] = classification.origin_namespace
    return labels


@dataclass(frozen=True)
class Storm:
    """What a storm resource says about its storm when it is created."""

    storm_type: str
    window: str
    affected: tuple[str, ...]


def remediation_request(
    signal: Signal,
    classification: Classification,
    *,
    name: str,
    received_at: datetime,
    first_seen: datetime,
    occurrence_count: int,
    storm: Storm | None = None,
    ended: Sequence[str] = (),
) -> dict[str, Any]:
    """Return the full object to create for one signal, or for the storm it tipped; `ended`
    names the fingerprint's resources that ended within the recurrence window, newest
    first."""
    payload = base64.b64encode(signal.payload).decode()
    spec: dict[str, Any] = {
        "signalFingerprint": signal.fingerprint,
        "signalName": signal.name,
        "severity": signal.severity.value,
        "environment": classification.environment,
        "priority": classification.priority,
        "signalType": signal.signal_type.value,
        "signalSource": signal.source[:253],
        "targetType": "kubernetes",
        "targetResource": {
            "kind": signal.resource.kind,
            "name": signal.resource.name[:253],
            "namespace": signal.resource.namespace[:63],
        },
        "firingTime": rfc3339(signal.firing_time),
        "receivedTime": rfc3339(received_at),
        "signalLabels": bounded(signal.labels, limit=MAX_LABEL_VALUE),
        "signalAnnotations": bounded(signal.annotations, limit=MAX_ANNOTATION_VALUE),
        "deduplication": {
            "firstSeen": rfc3339(first_seen),
            "lastSeen": rfc3339(received_at),
            "occurrenceCount": occurrence_count,
        },
    }
    if len(payload) <= MAX_PAYLOAD:
        spec["originalPayload"] = payload
    labels = labels_for(signal, classification)
    if ended:
        labels["kubernaut.io/recurring"] = "true"
        spec["recurrence"] = {"count": len(ended), "previous": list(ended[:MAX_PREVIOUS])}
    if storm:
        labels["kubernaut.io/storm"] = "true"
        spec.update(
            isStorm=True,
            stormType=storm.storm_type,
            stormWindow=storm.window,
            stormAlertCount=1,
            affectedResources=[r[:512] for r in storm.affected[:100]],
        )
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": name, "namespace": classification.namespace, "labels": labels},
        "spec": spec,
    }


def affected_resource(signal: Signal) -> str:
    """Return how a storm lists a signal's resource (its workload in workload mode):
    namespace:Kind:name."""
    target = signal.resource
    return f"{target.namespace or signal.namespace}:{target.kind}:{target.name}"

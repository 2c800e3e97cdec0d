"""Plain domain objects: signals, fingerprints, outcomes, settings. No I/O here."""

from __future__ import annotations

import enum
import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

# The value of app.kubernetes.io/managed-by on every RemediationRequest the gateway creates.
MANAGED_BY = "kubernaut-gateway"
# status.overallPhase values (lower-cased) after which a RemediationRequest works on nothing.
TERMINAL_PHASES = frozenset({"completed", "failed", "timedout", "skipped", "cancelled"})


def unique_id() -> str:
    """Return 128 random bits as 32 hex digits: unique (claim tokens, request ids), not secret.

    From the process's PRNG, which Python seeds from the OS and re-seeds in every forked
    worker: the OS's random source would cost a system call per use on the hot path.
    """
    return f"{random.getrandbits(128):032x}"


def rfc3339(moment: datetime) -> str:
    """Format a moment as RFC 3339 UTC with milliseconds."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


class SignalType(enum.StrEnum):
    PROMETHEUS_ALERT = "prometheus-alert"
    KUBERNETES_EVENT = "kubernetes-event"


class Outcome(enum.StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    AGGREGATED = "aggregated"
    RESOLVED = "resolved"
    IGNORED = "ignored"


@dataclass(frozen=True)
class ResourceRef:
    """A Kubernetes object named by kind, name and (for namespaced kinds) namespace."""

    kind: str
    name: str
    namespace: str = ""


CLUSTER_SCOPED_KINDS = frozenset({"Node", "Namespace", "PersistentVolume", "StorageClass"})


def controller_of(references: Any, *, namespace: str) -> ResourceRef | None:
    """Return the controller among an object's ownerReferences (the one with `controller:
    true`), in the object's namespace unless its kind is cluster-scoped; None without one."""
    for reference in references if isinstance(references, list) else ():
        if not isinstance(reference, Mapping) or reference.get("controller") is not True:
            continue
        kind, name = reference.get("kind"), reference.get("name")
        if isinstance(kind, str) and isinstance(name, str) and kind and name:
            return ResourceRef(kind, name, "" if kind in CLUSTER_SCOPED_KINDS else namespace)
    return None


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Where a RemediationRequest lives."""

    namespace: str
    name: str


def fingerprint(*, signal_name: str, namespace: str, kind: str, name: str) -> str:
    """Return the stable identity of a problem: sha256 hex of name:namespace:kind:name."""
    return hashlib.sha256(f"{signal_name}:{namespace}:{kind}:{name}".encode()).hexdigest()


def workload_fingerprint(workload: ResourceRef) -> str:
    """Return the identity of every problem of one workload: sha256 hex of namespace:kind:name."""
    key = f"{workload.namespace}:{workload.kind}:{workload.name}"
    return hashlib.sha256(key.encode()).hexdigest()


class IgnoredReason(enum.StrEnum):
    """Why a signal was answered `ignored`."""

    NORMAL_EVENT = "normal-event"
    TARGET_NOT_FOUND = "target-not-found"


@dataclass(frozen=True)
class Signal:
    """One alert or Warning Event, normalized; identity is its fingerprint."""

    signal_type: SignalType
    name: str
    namespace: str
    target: ResourceRef
    severity: Severity
    firing: bool
    firing_time: datetime
    source: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    # The signal as its sender wrote it (JSON-compatible); serialized only for a new resource.
    raw: Any = None
    # Set when the signal creates nothing and joins nothing.
    ignored: IgnoredReason | None = None
    # The controller of the target, when the signal names it (kubernetes-event-exporter).
    owner: ResourceRef | None = None
    # identity.mode workload: the target's top controller, which the fingerprint names.
    workload: ResourceRef | None = None

    @property
    def actionable(self) -> bool:
        """Tell whether the signal is recorded (not ignored)."""
        return self.ignored is None

    @property
    def resource(self) -> ResourceRef:
        """Return what the signal's RemediationRequest targets: the workload, else the target."""
        return self.workload or self.target

    @cached_property
    def payload(self) -> bytes:
        """Return the sender's JSON, compact and with sorted keys."""
        return json.dumps(self.raw, separators=(",", ":"), sort_keys=True).encode()

    @cached_property
    def fingerprint(self) -> str:
        """Return the identity of this signal's problem: its workload's when it has one."""
        if self.workload is not None:
            return workload_fingerprint(self.workload)
        return fingerprint(
            signal_name=self.name,
            namespace=self.namespace,
            kind=self.target.kind,
            name=self.target.name,
        )


@dataclass(frozen=True)
class Classification:
    """Where a signal's resource goes and how urgent it is."""

    environment: str
    priority: str
    namespace: str
    origin_namespace: str = ""


@dataclass(frozen=True)
class Result:
    """What happened to one signal of a request."""

    fingerprint: str
    outcome: Outcome
    remediation_request: ObjectRef | None = None
    occurrence_count: int | None = None
    reason: IgnoredReason | None = None


@dataclass(frozen=True)
class BreakerSettings:
    """When to open (failure ratio over at least `min_calls` in `window` s) and for how long."""

    failure_ratio: float = 0.5
    min_calls: int = 10
    window: float = 30.0
    cool_down: float = 10.0
    probes: int = 2


@dataclass(frozen=True)
class FlappingSettings:
    """When an alert flaps: this many state changes (firing <-> resolved) within the window."""

    transitions: int = 6
    window: float = 1800.0


@dataclass(frozen=True)
class StormSettings:
    """Storm detection thresholds and windows (contract defaults)."""

    rate_threshold: int = 10
    rate_window: float = 60.0
    pattern_threshold: int = 5
    pattern_window: float = 120.0
    quiet_period: float = 300.0
    max_affected: int = 100

    def window(self, storm_type: str) -> str:
        """Return the detection window of a storm type as a duration such as "60s"."""
        seconds = self.rate_window if storm_type == "rate" else self.pattern_window
        return f"{round(seconds)}s"

"""identity.mode workload: each signal joins the RemediationRequest of its workload, the top
controller of its target (contract section 3), found by following controller references."""

from __future__ import annotations

import dataclasses
import enum
import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from app.domain import IgnoredReason, ResourceRef, Signal
from app.service.errors import ServiceError
from app.service.owner_cache import OwnerCache

log = logging.getLogger(__name__)
WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "CronJob"})
# The kinds whose controller is looked up, and the controllers the walk goes on from: a Pod's
# ReplicaSet or Job. Any other controller ends the walk (Deployment, StatefulSet, DaemonSet,
# CronJob, or another kind, such as an Argo Rollout); a Pod's Node makes it a static pod.
WALKED = frozenset({"Pod", "ReplicaSet", "Job"})
_ONWARD = {"Pod": frozenset({"ReplicaSet", "Job"})}
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


class Resolution(enum.StrEnum):
    """How a signal's workload was found (gateway_identity_resolutions_total's `result`)."""

    LABEL = "label"  # the signal names a workload controller
    ITSELF = "itself"  # a kind that is its own workload: Node, PVC, HPA, Unknown, ...
    OWNER_REFERENCE = "owner-reference"  # the signal names its target's controller
    LOOKUP = "lookup"  # at least one GET of object metadata
    CACHED = "cached"  # every step answered by this worker's cache
    NOT_FOUND = "not-found"  # the target is gone and the signal names no owner: ignored
    ERROR = "error"  # a lookup failed: the request is a 503


def lookable(ref: ResourceRef) -> bool:
    """Tell whether an object could exist under this namespace and name (else: not looked up)."""
    return bool(_NAMESPACE.fullmatch(ref.namespace) and _NAME.fullmatch(ref.name))


class WorkloadIdentity:
    """Give each actionable signal its workload, or ignore it when its target is gone."""

    def __init__(
        self,
        *,
        owners: OwnerCache,
        observe: Callable[[Mapping[str, int]], None] | None = None,
    ) -> None:
        self._owners = owners
        self._observe = observe or (lambda counts: None)

    def resolve(self, signals: Sequence[Signal]) -> list[Signal]:
        """Return the signals with their workloads; raise KubernetesUnavailable if a lookup
        fails (never a fingerprint of a guess)."""
        counts: Counter[str] = Counter()
        try:
            return [self._one(s, counts) if s.actionable else s for s in signals]
        except ServiceError:
            counts[Resolution.ERROR] += 1
            raise
        finally:
            self._observe(counts)

    def _one(self, signal: Signal, counts: Counter[str]) -> Signal:
        target = signal.target
        if target.kind in WORKLOADS or target.kind not in WALKED:
            counts[Resolution.LABEL if target.kind in WORKLOADS else Resolution.ITSELF] += 1
            return dataclasses.replace(signal, workload=target)
        looked: list[bool] = []
        controller = signal.owner
        if controller is None:
            exists, controller = self._controller(target, looked)
            if not exists:
                counts[Resolution.NOT_FOUND] += 1
                log.info(
                    "signal ignored: its target no longer exists and it names no owner",
                    extra={"signalName": signal.name, "target": f"{target.kind}/{target.name}"},
                )
                return dataclasses.replace(signal, ignored=IgnoredReason.TARGET_NOT_FOUND)
        workload = self._walk(target, controller, looked)
        counts[
            Resolution.OWNER_REFERENCE
            if signal.owner
            else (Resolution.LOOKUP if any(looked) else Resolution.CACHED)
        ] += 1
        return dataclasses.replace(signal, workload=workload)

    def _walk(
        self, current: ResourceRef, controller: ResourceRef | None, looked: list[bool]
    ) -> ResourceRef:
        """Follow controllers from `current`, whose controller is `controller`, to the top."""
        while controller is not None:
            if current.kind == "Pod" and controller.kind == "Node":
                return current  # a static pod: the kubelet's mirror of a manifest
            if controller.kind not in _ONWARD.get(current.kind, frozenset()):
                return controller
            current = controller
            exists, controller = self._controller(current, looked)
            if not exists:
                return current  # missing higher up: the walk ends at the last one named
        return current

    def _controller(self, ref: ResourceRef, looked: list[bool]) -> tuple[bool, ResourceRef | None]:
        """Return whether `ref` exists and its controller; an impossible name does not exist."""
        if not lookable(ref):
            return False, None
        answer, fresh = self._owners.ownership(ref)
        looked.append(fresh)
        return answer.exists, answer.controller

"""A scenario's figures from what its runs counted: wrk's report, Redis's command calls and the
Kubernetes API test server's request log, each call attributed to what it did."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from typing import Any

from bench.load import WrkResult
from bench.scenarios import Scenario
from tests.support.kubeapi import RecordedRequest

_CREATE = re.compile(r"/remediationrequests$")
# What workload identity GETs (object metadata, for controllers).
LOOKED_UP = ("pods", "replicasets", "jobs")
_STATUS = re.compile(r"/remediationrequests/([^/]+)/status$")


def kube_operation(request: RecordedRequest) -> str:
    """Name a Kubernetes API call by what it does, without object names."""
    path = request.path
    if path.endswith("/status"):
        return f"{request.method} remediationrequests/status"
    for kind in ("remediationrequests", "tokenreviews", "subjectaccessreviews"):
        if kind in path:
            return f"{request.method} {kind}"
    for kind in LOOKED_UP:
        if f"/{kind}/" in path:
            return f"{request.method} {kind}"
    if re.search(r"/api/v1/namespaces/[^/]+$", path):
        return f"{request.method} namespace"
    return f"{request.method} {path}"


def created_name(call: RecordedRequest) -> str:
    """The name a create asked for (the gateway names its resources itself)."""
    try:
        return str(json.loads(call.body)["metadata"]["name"])
    except (ValueError, KeyError, TypeError):
        return ""


def carried_over(call: RecordedRequest, created: set[str]) -> bool:
    """A status write for a resource this run did not create: an earlier scenario's deferred
    occurrence count, written when it fell due."""
    match = _STATUS.search(call.path)
    return match is not None and match.group(1) not in created


def run_figures(
    scenario: Scenario,
    result: WrkResult,
    *,
    redis_calls: int,
    kube_calls: list[RecordedRequest],
) -> dict[str, Any]:
    """One run's figures."""
    requests = max(result.requests, 1)
    created = {
        created_name(call)
        for call in kube_calls
        if call.method == "POST" and _CREATE.search(call.path) and call.status == 201
    }
    return {
        "requests": result.requests,
        "seconds": round(result.seconds, 3),
        "requests_per_s": result.requests_per_s,
        "alerts_per_s": result.requests_per_s * scenario.alerts_per_request,
        "p50_ms": result.percentile_ms("50"),
        "p90_ms": result.percentile_ms("90"),
        "p99_ms": result.percentile_ms("99"),
        "redis_calls_per_request": redis_calls / requests,
        "kube_calls": len(kube_calls),
        "kube_calls_by_operation": dict(Counter(kube_operation(c) for c in kube_calls)),
        "resources_created": len(created),
        "kube_calls_carried_over": sum(1 for call in kube_calls if carried_over(call, created)),
        "errors": result.errors,
    }


def summary(
    scenario: Scenario,
    runs: list[dict[str, Any]],
    *,
    backend: bool,
    ceiling_rps: float | None,
) -> dict[str, Any]:
    """A scenario's figures: the medians of its runs, and every run's."""
    rps = _median_of(runs, "requests_per_s")
    figures: dict[str, Any] = {
        "title": scenario.title,
        "alerts_per_request": scenario.alerts_per_request,
        "runs": runs,
        "requests": sum(int(run["requests"]) for run in runs),
        "requests_per_s": rps,
        "alerts_per_s": _median_of(runs, "alerts_per_s"),
        "p50_ms": _median_of(runs, "p50_ms"),
        "p99_ms": _median_of(runs, "p99_ms"),
        "ratio_to_ceiling": rps / ceiling_rps if ceiling_rps else None,
    }
    if backend:
        figures |= _backend_summary(runs, requests=figures["requests"])
    return figures


def _backend_summary(runs: list[dict[str, Any]], *, requests: int) -> dict[str, Any]:
    """What the runs cost Redis and the Kubernetes API."""
    kube_calls = sum(int(run["kube_calls"]) for run in runs)
    carried = sum(int(run["kube_calls_carried_over"]) for run in runs)
    created = sum(int(run["resources_created"]) for run in runs)
    operations: Counter[str] = Counter()
    for run in runs:
        operations.update(run["kube_calls_by_operation"])
    own = kube_calls - carried - operations["GET namespace"]
    return {
        "redis_calls_per_request": _median_of(runs, "redis_calls_per_request"),
        "kube_calls": kube_calls,
        "kube_calls_per_request": kube_calls / max(requests, 1),
        "kube_calls_by_operation": dict(operations),
        "resources_created": created,
        # Calls this scenario made: not the earlier scenario's status writes. Namespace
        # reads are cached (classification.namespaceCacheSeconds) and shown apart.
        "kube_calls_carried_over": carried,
        "namespace_reads": operations["GET namespace"],
        "kube_calls_per_created_resource": own / created if created else None,
    }


def storm_figures(storm: dict[str, Any], *, pattern_threshold: int) -> dict[str, Any]:
    """Per storm (a run of the storm scenario): alerts, resources created, Kubernetes calls."""
    runs = storm["runs"]
    return {
        "storm_alerts_per_storm": _median_of(runs, "requests"),
        "storm_resources_created_per_storm": _median_of(runs, "resources_created"),
        "kube_calls_per_storm": _median_of(runs, "kube_calls"),
        "storm_pattern_threshold": pattern_threshold,
    }


def workload_figures(workload: dict[str, Any], *, workloads: int) -> dict[str, Any]:
    """Resources per workload, and the API calls (lookups included) per created resource and
    per 1,000 signals, over the workload scenario's runs (each run a new signal name)."""
    signals = max(int(workload["requests"]) * int(workload["alerts_per_request"]), 1)
    operations = workload["kube_calls_by_operation"]
    own = int(workload["kube_calls"]) - int(workload["kube_calls_carried_over"])
    lookups = sum(int(operations.get(f"GET {kind}", 0)) for kind in LOOKED_UP)
    created = int(workload["resources_created"])
    return {
        "workload_resources_per_workload": created / workloads,
        "workload_kube_calls_per_created_resource": own / created if created else None,
        "workload_kube_calls_per_1000_signals": 1000 * own / signals,
        "workload_lookups_per_1000_signals": 1000 * lookups / signals,
    }


def _median_of(runs: list[dict[str, Any]], key: str) -> float:
    """The median of one figure over the runs, 0 for no runs."""
    return float(statistics.median(float(run[key]) for run in runs)) if runs else 0.0

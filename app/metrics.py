"""Prometheus metrics: registered once per app, summed across gunicorn workers."""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from prometheus_flask_exporter import PrometheusMetrics

from app.domain import Outcome, SignalType

# The methods the HTTP metrics name; any other (a client may send any token) is "other".
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The reasons a resource index relists (app.adapters.reflector.Restart's values).
INDEX_RESTART_REASONS = ("short-watch", "expired", "error", "stalled")
# How workload identity found a signal's workload (app.service.workloads.Resolution's values).
IDENTITY_RESULTS = (
    "label",
    "itself",
    "owner-reference",
    "lookup",
    "cached",
    "not-found",
    "error",
)
SOURCES = {
    SignalType.PROMETHEUS_ALERT: "prometheus",
    SignalType.KUBERNETES_EVENT: "kubernetes-event",
}


class Metrics:
    """The gateway's own metrics; no label takes unbounded values."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.signals_received = Counter(
            "gateway_signals_received_total",
            "Signals received, by source and outcome (rejected counts requests)",
            ["source", "outcome"],
            registry=registry,
        )
        self.remediation_requests_created = Counter(
            "gateway_remediation_requests_created_total",
            "RemediationRequests created",
            registry=registry,
        )
        self.kubernetes_requests = Counter(
            "gateway_kubernetes_requests_total",
            "Kubernetes API calls, by operation and HTTP code (or error)",
            ["operation", "code"],
            registry=registry,
        )
        self.redis_script_duration = Histogram(
            "gateway_redis_script_duration_seconds",
            "Duration of one Redis Lua script call",
            ["script"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0),
            registry=registry,
        )

        self.kubernetes_retries = Counter(
            "gateway_kubernetes_retries_total",
            "Kubernetes API calls retried, by operation",
            ["operation"],
            registry=registry,
        )
        self.storms_detected = Counter(
            "gateway_storms_detected_total",
            "Storms detected (storm resources created), by type",
            ["type"],
            registry=registry,
        )
        self.auth_decisions = Counter(
            "gateway_auth_decisions_total",
            "Authentication and authorization decisions, by result",
            ["result"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "gateway_rate_limited_total",
            "Signal requests refused with 429",
            registry=registry,
        )
        self.http_request_duration = Histogram(
            "gateway_http_request_duration_seconds",
            "HTTP request duration in seconds, by method, URL rule and status",
            ["method", "url_rule", "status"],
            registry=registry,
        )
        self.http_requests = Counter(
            "gateway_http_request_total",
            "HTTP requests, by method and status",
            ["method", "status"],
            registry=registry,
        )
        # Each (method, rule, status) seen: its two children, looked up once (labels() checks
        # its arguments and locks on every call). Methods, rules and statuses are bounded.
        self._http: dict[tuple[str, str, int], tuple[Histogram, Counter]] = {}
        # max over live workers: open while any worker's breaker is open.
        self.resource_index_synced = Gauge(
            "gateway_resource_index_synced",
            "1 while every worker's index of active RemediationRequests follows the API",
            registry=registry,
            multiprocess_mode="livemin",
        )
        self.resource_index_restarts = _counter_of_each(
            "gateway_resource_index_restarts_total",
            "Relists of a worker's resource index after a watch or list failure, by reason",
            label="reason",
            values=INDEX_RESTART_REASONS,
            registry=registry,
        )
        self.identity_resolutions = _counter_of_each(
            "gateway_identity_resolutions_total",
            "Signals given a workload (identity.mode workload), by how it was found",
            label="result",
            values=IDENTITY_RESULTS,
            registry=registry,
        )
        for reason in INDEX_RESTART_REASONS:
            self.resource_index_restarts.labels(reason)
        self.recurrences = Counter(
            "gateway_recurrences_total",
            "RemediationRequests created for a problem whose earlier resources ended lately",
            registry=registry,
        )
        self.flapping_changes = Counter(
            "gateway_flapping_changes_total",
            "Fingerprints that started (to=on) or stopped (to=off) flapping",
            ["to"],
            registry=registry,
        )
        for change in ("on", "off"):
            self.flapping_changes.labels(change)
        self.flapping_fingerprints = Gauge(
            "gateway_flapping_fingerprints",
            "Fingerprints flapping now (shared by every worker and replica through Redis)",
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.circuit_breaker_open = Gauge(
            "gateway_circuit_breaker_open",
            "1 while a worker's Kubernetes API circuit breaker is open (failing calls fast)",
            registry=registry,
            multiprocess_mode="livemax",
        )

    def observe_http(self, method: str, rule: str, status: int, seconds: float) -> None:
        """Record one HTTP request (`rule` is the URL rule that served it, not its path)."""
        key = (method if method in HTTP_METHODS else "other", rule, status)
        children = self._http.get(key)
        if children is None:
            code = str(status)
            children = (
                self.http_request_duration.labels(key[0], rule, code),
                self.http_requests.labels(key[0], code),
            )
            self._http[key] = children
        children[0].observe(seconds)
        children[1].inc()

    def observe_signals(self, counts: Mapping[tuple[SignalType, Outcome], int]) -> None:
        """Count the outcomes of one request's signals."""
        for (signal_type, outcome), count in counts.items():
            self.signals_received.labels(SOURCES[signal_type], outcome.value).inc(count)
            if outcome is Outcome.CREATED:
                self.remediation_requests_created.inc(count)

    def observe_storm(self, storm_type: str) -> None:
        """Count one detected storm."""
        self.storms_detected.labels(storm_type).inc()

    def observe_auth(self, result: str) -> None:
        """Count one auth decision: allowed, unauthenticated, forbidden or error."""
        self.auth_decisions.labels(result).inc()

    def observe_retry(self, operation: str) -> None:
        """Count one retried Kubernetes API call."""
        self.kubernetes_retries.labels(operation).inc()

    def observe_breaker(self, state: str) -> None:
        """Show the breaker state: 1 while open; 0 closed or half-open (probes flow)."""
        self.circuit_breaker_open.set(1 if state == "open" else 0)

    def observe_index(self, synced: bool) -> None:
        """Record whether this worker's resource index follows the API."""
        self.resource_index_synced.set(1 if synced else 0)

    def observe_index_restart(self, reason: str) -> None:
        """Count one relist of the resource index (reason: short-watch|expired|error|stalled)."""
        self.resource_index_restarts.labels(reason).inc()

    def observe_recurrence(self) -> None:
        """Count one resource created with spec.recurrence."""
        self.recurrences.inc()

    def observe_flapping(self, started: bool) -> None:
        """Count one fingerprint that started or stopped flapping."""
        self.flapping_changes.labels("on" if started else "off").inc()

    def observe_flapping_now(self, count: int) -> None:
        """Show how many fingerprints flap now."""
        self.flapping_fingerprints.set(count)

    def observe_identity(self, counts: Mapping[str, int]) -> None:
        """Count one request's workload resolutions by result (IDENTITY_RESULTS)."""
        for result, count in counts.items():
            self.identity_resolutions.labels(result).inc(count)

    def observe_rate_limited(self) -> None:
        """Count one signal request refused with 429."""
        self.rate_limited.inc()

    def observe_rejected(self, source: str) -> None:
        """Count one request rejected as invalid."""
        self.signals_received.labels(source, "rejected").inc()

    def observe_kubernetes(self, operation: str, code: str) -> None:
        """Count one Kubernetes API call."""
        self.kubernetes_requests.labels(operation, code).inc()

    def observe_script(self, script: str, seconds: float) -> None:
        """Record one Redis script's duration."""
        self.redis_script_duration.labels(script).observe(seconds)


def _counter_of_each(
    name: str,
    documentation: str,
    *,
    label: str,
    values: Iterable[str],
    registry: CollectorRegistry,
) -> Counter:
    """Return a counter with one label whose every value is exported from the start (at 0)."""
    counter = Counter(name, documentation, [label], registry=registry)
    for value in values:
        counter.labels(value)
    return counter


# A value file starts with its used length (4 bytes) and 4 bytes of padding.
_FILE_HEADER = 8


def settled_files(directory: str | Path, pattern: str = "*.db") -> list[str]:
    """Return the workers' value files that can be read: not those a starting worker has
    created but not sized yet (empty), nor a dead worker's live gauges removed meanwhile."""
    settled = []
    for path in glob.glob(os.path.join(directory, pattern)):
        try:
            size = os.path.getsize(path)
        except FileNotFoundError:
            continue
        if size >= _FILE_HEADER:
            settled.append(path)
    return settled


class WorkerFilesCollector(Collector):
    """Sum every worker's value files, leaving out those a starting worker has not sized yet.

    A worker creates its file empty, then sizes it: prometheus_client's own collector fails
    to read it in between (struct.error, a 500 for the whole scrape) while a worker is being
    started or recycled. An empty file holds no value yet, so leaving it out of this scrape
    loses nothing, and files only grow.
    """

    def __init__(self, registry: CollectorRegistry, path: str) -> None:
        self._directory = path
        registry.register(self)

    def collect(self) -> Iterable[Metric]:
        files = settled_files(self._directory)
        merge = MultiProcessCollector.merge
        merged: Iterable[Metric] = merge(files, accumulate=True)  # type: ignore[no-untyped-call]
        return merged


class _WorkerMetrics(PrometheusMetrics):  # type: ignore[misc]
    """prometheus-flask-exporter, scraping the workers' files with WorkerFilesCollector."""

    def __init__(self, app: Flask, *, directory: str | None, **kwargs: Any) -> None:
        self._directory = directory
        super().__init__(app, **kwargs)

    def generate_metrics(
        self, accept_header: str | None = None, names: list[str] | None = None
    ) -> tuple[str, str]:
        directory = self._directory
        if not directory:  # one process (tests, the Flask dev server): its own registry
            generated: tuple[str, str] = super().generate_metrics(accept_header, names)
            return generated
        registry = CollectorRegistry()
        WorkerFilesCollector(registry, directory)
        scraped = registry.restricted_registry(names) if names else registry
        encode, content_type = choose_encoder(accept_header or "")
        return encode(scraped).decode("utf-8"), content_type


def instrument(app: Flask, metrics: Metrics, *, directory: str | None = None) -> None:
    """Expose /metrics (prometheus-flask-exporter) and time every request.

    The request metrics are the exporter's defaults, by URL rule (never by raw path), recorded
    by two small hooks of our own, which cost less than the exporter's on the hot path.
    """
    _WorkerMetrics(
        app,
        directory=directory,
        path="/metrics",
        registry=metrics.registry,
        export_defaults=False,
    )

    def start_timer() -> None:
        g.started = time.perf_counter()

    def observe(response: Response) -> Response:
        started = g.get("started")
        if started is not None:  # None if an earlier before_request hook failed
            metrics.observe_http(
                request.method,
                str(request.url_rule),
                response.status_code,
                time.perf_counter() - started,
            )
        return response

    app.before_request(start_timer)
    app.after_request(observe)

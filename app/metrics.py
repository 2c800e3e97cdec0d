"""Prometheus metrics: registered once per app, summed across gunicorn workers."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_flask_exporter import PrometheusMetrics

from app.domain import Outcome, SignalType

SOURCES = {
    SignalType.PROMETHEUS_ALERT: "prometheus",
    SignalType.KUBERNETES_EVENT: "kubernetes-event",
}


class GatewayMetrics:
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
        # max over live workers: open while any worker's breaker is open.
        self.resource_index_synced = Gauge(
            "gateway_resource_index_synced",
            "1 while every worker's index of active RemediationRequests follows the API",
            registry=registry,
            multiprocess_mode="livemin",
        )
        self.circuit_breaker_open = Gauge(
            "gateway_circuit_breaker_open",
            "1 while the Kubernetes API circuit breaker is open or half-open",
            registry=registry,
            multiprocess_mode="livemax",
        )

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
        """Show the breaker state."""
        self.circuit_breaker_open.set(0 if state == "closed" else 1)

    def observe_index(self, synced: bool) -> None:
        """Record whether this worker's resource index follows the API."""
        self.resource_index_synced.set(1 if synced else 0)

    def observe_rejected(self, source: str) -> None:
        """Count one request rejected as invalid."""
        self.signals_received.labels(source, "rejected").inc()

    def observe_kubernetes(self, operation: str, code: str) -> None:
        """Count one Kubernetes API call."""
        self.kubernetes_requests.labels(operation, code).inc()

    def observe_script(self, script: str, seconds: float) -> None:
        """Record one Redis script's duration."""
        self.redis_script_duration.labels(script).observe(seconds)


def instrument(app: Flask, metrics: GatewayMetrics) -> None:
    """Expose /metrics and the HTTP duration histogram (by URL rule, never by raw path)."""
    PrometheusMetrics(
        app,
        path="/metrics",
        registry=metrics.registry,
        defaults_prefix="gateway",
        group_by="url_rule",
    )

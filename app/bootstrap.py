"""The composition root: builds clients and adapters from the configuration."""

from __future__ import annotations

import time

from kubernetes.client import ApiClient
from prometheus_client import CollectorRegistry

from app.adapters.auth import Access, KubernetesAuthenticator
from app.adapters.breaker import CircuitBreaker
from app.adapters.kubernetes import KubernetesApi, api_client, import_client_classes
from app.adapters.redis_client import RedisUrlError, redis_from_url
from app.adapters.redis_store import RedisSignalStore
from app.adapters.reflector import Timing
from app.adapters.rr_index import ResourceIndex
from app.adapters.rr_lookups import ResourceLookups
from app.config import Config, ConfigError
from app.metrics import Metrics
from app.redis_url import parse_redis_url
from app.service.classify import Classifier, NamespaceCache
from app.service.health import Readiness
from app.service.ingest import IngestService, utc_now
from app.service.occurrences import OccurrenceWriter
from app.service.owner_cache import OwnerCache
from app.service.services import Services
from app.service.workloads import WorkloadIdentity


def build(config: Config) -> Services:
    """Wire the real adapters for one worker process."""
    metrics = Metrics(CollectorRegistry())
    store = _store(config, metrics)
    api = api_client(kubeconfig=config.kubeconfig)
    index = _index(api, config, metrics) if config.resource_index else None
    kube = KubernetesApi(
        api,
        timeout=config.kubernetes_timeout,
        retry_budget=config.kubernetes_retry_budget,
        breaker=CircuitBreaker(
            config.breaker, clock=time.monotonic, on_change=metrics.observe_breaker
        ),
        record=metrics.observe_kubernetes,
        on_retry=metrics.observe_retry,
        index=index,
    )
    namespaces = NamespaceCache(kube, ttl=config.namespace_cache_ttl, clock=time.monotonic)
    lookups = ResourceLookups(kube, index=index, window_seconds=config.recurrence_window)
    ingest = IngestService(
        store=store,
        remediation_requests=kube,
        history=lookups,
        classifier=Classifier(namespaces=namespaces, config=config),
        config=config,
        observe=metrics.observe_signals,
        observe_storm=metrics.observe_storm,
        observe_recurrence=metrics.observe_recurrence,
        identity=_identity(config, kube, metrics),
    )
    readiness = Readiness(
        store=store, kubernetes=kube, clock=time.monotonic, circuit=lambda: kube.breaker.state
    )
    occurrences = OccurrenceWriter(
        queue=store,
        remediation_requests=kube,
        clock=utc_now,
        period=config.status_flush_period,
        observe_flapping=metrics.observe_flapping,
        observe_flapping_now=metrics.observe_flapping_now,
        history=lookups,
    )
    return Services(
        ingest=ingest,
        readiness=readiness,
        metrics=metrics,
        occurrences=occurrences,
        tokens=store,
        drain_seconds=config.drain_seconds,
        auth=_auth(api, config),
        index=index,
    )


def _store(config: Config, metrics: Metrics) -> RedisSignalStore:
    return RedisSignalStore(
        lambda: redis_from_url(config.redis_url, timeout=config.redis_timeout),
        prefix=config.redis_key_prefix,
        ttl=config.dedup_ttl,
        claim_ttl=config.claim_ttl,
        status_interval=config.status_interval,
        storms=config.storms,
        flapping=config.flapping,
        # identity.mode workload: every signal name about a workload has one fingerprint and
        # so one record, whatever its storm scope.
        records_per_namespace=config.identity_mode == "workload",
        timer=metrics.observe_script,
    )


def _index(api: ApiClient, config: Config, metrics: Metrics) -> ResourceIndex:
    return ResourceIndex(
        api,
        timeout=config.kubernetes_timeout,
        window_seconds=config.recurrence_window,
        timing=Timing(watch_seconds=config.watch_timeout),
        on_sync=metrics.observe_index,
        on_restart=metrics.observe_index_restart,
    )


def _auth(api: ApiClient, config: Config) -> KubernetesAuthenticator | None:
    if config.auth_mode != "kubernetes":
        return None
    return KubernetesAuthenticator(
        api,
        access=Access(namespace=config.auth_namespace),
        audiences=config.auth_audiences,
        timeout=config.kubernetes_timeout,
        ttl=config.auth_cache_ttl,
        denied_ttl=config.auth_denied_cache_ttl,
        clock=time.monotonic,
    )


def _identity(config: Config, kube: KubernetesApi, metrics: Metrics) -> WorkloadIdentity | None:
    """Resolve workloads in identity.mode workload; None in resource mode."""
    if config.identity_mode != "workload":
        return None
    owners = OwnerCache(
        kube,
        ttl=config.identity_cache_ttl,
        missing_ttl=config.identity_not_found_ttl,
        clock=time.monotonic,
    )
    return WorkloadIdentity(owners=owners, observe=metrics.observe_identity)


def check(config: Config) -> None:
    """Raise ConfigError for what only a client itself can judge, connecting to nothing (a
    Cluster client connects as it is built: its URL is checked in full by app.redis_url)."""
    if parse_redis_url(config.redis_url).topology == "cluster":
        return
    try:
        redis_from_url(config.redis_url, timeout=config.redis_timeout).close()
    except RedisUrlError as exc:
        raise ConfigError([f"redis.url (REDIS_URL): {exc}"]) from None


def preload() -> None:
    """Import in gunicorn's master what every worker will import (see app.server)."""
    import_client_classes()

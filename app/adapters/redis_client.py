"""Build a fail-fast Redis client for a standalone, Sentinel or Cluster URL (see app.redis_url).

A standalone URL goes to ``redis.Redis.from_url``, which reads its query parameters.
"""

from __future__ import annotations

from typing import Any, cast

import redis
import redis.cluster
import redis.sentinel
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from app.redis_url import RedisUrl, RedisUrlError, parse_redis_url

__all__ = ["RedisUrlError", "redis_from_url"]

_HEALTH_CHECK_INTERVAL = 30

AnyRedis = redis.Redis | redis.cluster.RedisCluster


def redis_from_url(url: str, *, timeout: float) -> redis.Redis | redis.cluster.RedisCluster:
    """Build a fail-fast client (short timeouts, two quick retries) for a Redis URL."""
    parsed = parse_redis_url(url)
    try:
        if parsed.topology == "sentinel":
            return _sentinel(parsed, timeout)
        if parsed.topology == "cluster":
            return _cluster(parsed, timeout)
        return redis.Redis.from_url(url, retry=_retry(), **_common_options(timeout))
    except (ValueError, TypeError) as exc:
        raise parsed.error(str(exc)) from None


def _common_options(timeout: float) -> dict[str, Any]:
    """Return the connection options every topology shares."""
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "health_check_interval": _HEALTH_CHECK_INTERVAL,
    }


def _retry() -> Retry:
    """Return the retry policy: two retries, at most 0.1 s apart."""
    return Retry(ExponentialBackoff(cap=0.1, base=0.01), retries=2)


def _sentinel(url: RedisUrl, timeout: float) -> redis.Redis:
    """Build a client for the master a set of Sentinels names."""
    tls: dict[str, Any] = {"ssl": True, **url.options} if url.tls else {}
    shared = {**_common_options(timeout), "retry": _retry(), **tls}
    sentinel = redis.sentinel.Sentinel(
        list(url.nodes), sentinel_kwargs={**shared, **url.sentinel_auth}, **shared
    )
    master = sentinel.master_for(url.master, db=url.db, **url.credentials())
    return cast(redis.Redis, master)


def _cluster(url: RedisUrl, timeout: float) -> redis.cluster.RedisCluster:
    """Build a client for a Redis Cluster from its startup nodes (connects right away)."""
    tls: dict[str, Any] = {"ssl": True, **url.options} if url.tls else {}
    startup_nodes = [
        redis.cluster.ClusterNode(host, port)  # type: ignore[no-untyped-call]
        for host, port in url.nodes
    ]
    return redis.cluster.RedisCluster(
        startup_nodes=startup_nodes,
        retry=_retry(),
        **_common_options(timeout),
        **url.credentials(),
        **tls,
    )

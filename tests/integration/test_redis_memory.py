"""Redis memory is bounded: every key has a TTL, and its size per fingerprint is measured."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from app.adapters.redis_store import RedisDedupStore, storm_tag
from app.domain import ObjectRef, StormSettings, fingerprint
from app.sandbox.redis_server import RedisServer
from app.service.ports import StormScope

WARM = 300
COUNT = 1200
NOW = 1_795_000_000_000


@pytest.fixture
def quiet_redis(tmp_path) -> Iterator[RedisServer]:
    """A Redis of this test alone: nothing else moves its memory figures."""
    with RedisServer(workdir=tmp_path / "redis") as server:
        yield server


def _store(redis_server: RedisServer) -> RedisDedupStore:
    return RedisDedupStore(redis_server.client(), prefix="kgw:", ttl=300, claim_ttl=30)


def _activate(store: RedisDedupStore, numbers: range) -> None:
    """Make fingerprints active: claimed, created, and repeated once."""
    for i in numbers:
        fp = fingerprint(signal_name="HighCPU", namespace="prod", kind="Pod", name=f"api-{i}")
        ref = ObjectRef("prod", f"rr-{fp[:12]}-{uuid.uuid4().hex[:8]}")
        store.record_firing(fp, now_ms=NOW, token="t", ref=ref)
        store.confirm(fp, now_ms=NOW, token="t", ref=ref)
        store.record_firing(fp, now_ms=NOW + 1, token="u", ref=ref)


def test_an_active_fingerprint_costs_at_most_300_bytes_of_redis(quiet_redis):
    store = _store(quiet_redis)
    client = quiet_redis.client()
    _activate(store, range(WARM))
    client.delete(store.queue_key)
    used_before = client.info("memory")["used_memory"]

    _activate(store, range(WARM, WARM + COUNT))
    # The status-write queue only holds counts not yet written (seconds); steady state is without.
    client.delete(store.queue_key)
    per_fingerprint = (client.info("memory")["used_memory"] - used_before) / COUNT

    print(f"\nRedis bytes per active fingerprint: {per_fingerprint:.0f}")
    assert per_fingerprint <= 300
    assert all(client.pttl(key) > 0 for key in client.scan_iter("kgw:*", count=1000))


def test_a_storm_scope_is_bounded_whatever_the_storm_size(quiet_redis):
    store = _store(quiet_redis)
    client = quiet_redis.client()
    scope = StormScope("prod", "PodDown")

    def storm_of(numbers: range) -> int:
        for i in numbers:
            store.observe_storm(
                scope,
                now_ms=NOW + i,
                new=True,
                resource=f"prod:Pod:p-{i}",
                token=f"t{i}",
                ref=ObjectRef("prod", "rr-storm"),
            )
        return sum(client.memory_usage(key) or 0 for key in client.scan_iter("kgw:storm:*"))

    after_200 = storm_of(range(200))
    after_2000 = storm_of(range(200, 2000))

    print(f"\nRedis bytes per storm scope: {after_2000}")
    assert after_2000 <= after_200 + 256
    affected = f"kgw:storm:{{{storm_tag(scope)}}}:affected"
    assert client.llen(affected) == StormSettings().max_affected
    assert all(client.pttl(key) > 0 for key in client.scan_iter("kgw:*"))

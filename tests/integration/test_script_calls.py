"""The store's script calls on a real Redis: the lean EVALSHA path and its recoveries."""

from __future__ import annotations

import uuid

import redis

from app.adapters.redis_client import redis_from_url
from app.adapters.redis_store import RedisSignalStore
from app.domain import ObjectRef, fingerprint
from app.service.ports import Observation, StormScope
from tests.support.redis_keys import command_calls
from tests.support.redis_server import RedisServer

NOW = 1_795_000_000_000
TIMEOUT = 0.2


def _store(server: RedisServer) -> RedisSignalStore:
    return RedisSignalStore(
        lambda: redis_from_url(server.url, timeout=TIMEOUT),
        prefix=f"t{uuid.uuid4().hex[:8]}:",
        ttl=300,
        claim_ttl=30,
    )


def _observation() -> Observation:
    name = f"Scripted{uuid.uuid4().hex[:8]}"
    fp = fingerprint(signal_name=name, namespace="prod", kind="Pod", name="api-0")
    return Observation(
        fp,
        StormScope("prod", name),
        firing=True,
        token=uuid.uuid4().hex,
        ref=ObjectRef("prod", f"rr-{fp[:12]}-1"),
        resource="api-0",
    )


def _active(store: RedisSignalStore) -> Observation:
    """A fingerprint claimed and confirmed: its next observation is a duplicate."""
    observation = _observation()
    (claim,) = store.record([observation], now_ms=NOW)
    assert claim.kind == "claimed"
    assert store.confirm(observation, now_ms=NOW, ref=observation.ref) == 1
    return observation


def test_a_flushed_script_cache_is_reloaded_and_the_call_counts_once(own_redis):
    store = _store(own_redis)
    observation = _active(store)
    own_redis.client().script_flush()

    (repeat,) = store.record([observation], now_ms=NOW + 1)

    assert (repeat.kind, repeat.occurrence_count) == ("duplicate", 2)
    (after,) = store.record([observation], now_ms=NOW + 2)
    assert (after.kind, after.occurrence_count) == ("duplicate", 3)


def test_a_call_that_times_out_is_sent_again_and_counts_once(own_redis):
    store = _store(own_redis)
    observation = _active(store)
    # Redis holds every write for longer than the client waits: the first attempt times out
    # (its connection is dropped, so Redis never runs it), a retry gets through.
    own_redis.client().execute_command("CLIENT", "PAUSE", int(TIMEOUT * 1500), "WRITE")

    (repeat,) = store.record([observation], now_ms=NOW + 1)

    assert (repeat.kind, repeat.occurrence_count) == ("duplicate", 2)
    (after,) = store.record([observation], now_ms=NOW + 2)
    assert (after.kind, after.occurrence_count) == ("duplicate", 3)


def test_a_repeat_is_counted_in_one_write_and_trims_only_its_rate_window(own_redis):
    """A duplicate's count and last-seen time are written together; its resource is already
    in its scope's pattern window, which then has nothing to trim."""
    store = _store(own_redis)
    observation = _active(store)
    store.record([observation], now_ms=NOW + 1)  # its count becomes unwritten: queued once
    before = command_calls(own_redis)

    (repeat,) = store.record([observation], now_ms=NOW + 2)

    ran = command_calls(own_redis) - before
    assert (repeat.kind, repeat.occurrence_count, repeat.first_seen_ms) == ("duplicate", 3, NOW)
    assert (ran["hincrby"], ran["hset"], ran["zremrangebyrank"]) == (0, 1, 1)


def test_calls_reuse_a_connection_and_a_dropped_one_is_replaced(own_redis):
    store = _store(own_redis)
    observation = _active(store)
    admin = own_redis.client()
    store.record([observation], now_ms=NOW + 1)
    clients = admin.info("clients")["connected_clients"]

    for step in range(2, 5):
        store.record([observation], now_ms=NOW + step)
    assert admin.info("clients")["connected_clients"] == clients
    # Every connection but this one is dropped: the next call reconnects and counts once.
    admin.client_kill_filter(_type="normal", skipme=True)

    (repeat,) = store.record([observation], now_ms=NOW + 5)

    assert (repeat.kind, repeat.occurrence_count) == ("duplicate", 6)


def test_script_calls_are_packed_by_hiredis_not_by_redis_py(own_redis, monkeypatch):
    """redis-py's packer walks every argument in Python first (bench/README.md has what that
    costs a 50-alert call); the store packs its calls with hiredis, once per call."""
    store = _store(own_redis)
    observation = _active(store)

    def python_packer(*args: object) -> None:
        raise AssertionError("packed by redis-py")

    monkeypatch.setattr(redis.connection.HiredisRespSerializer, "pack", python_packer)
    (repeat,) = store.record([observation], now_ms=NOW + 1)

    assert (repeat.kind, repeat.occurrence_count) == ("duplicate", 2)

"""Redis memory is bounded: every key has a TTL, and its size per fingerprint is measured."""

from __future__ import annotations

import uuid
from typing import Any

from app.adapters.redis_keys import storm_tag
from app.adapters.redis_store import RedisSignalStore
from app.domain import ObjectRef, StormSettings, fingerprint
from app.service.ports import Observation, Occurrences, StormScope
from tests.support.redis_server import RedisServer

WARM = 300
COUNT = 1200
NOW = 1_795_000_000_000


def _store(redis_server: RedisServer) -> RedisSignalStore:
    return RedisSignalStore(redis_server.client(), prefix="kgw:", ttl=300, claim_ttl=30)


def _observation(i: int, token: str) -> Observation:
    # A scope per fingerprint: none of them storms.
    name = f"HighCPU{i}"
    fp = fingerprint(signal_name=name, namespace="prod", kind="Pod", name=f"api-{i}")
    ref = ObjectRef("prod", f"rr-{fp[:12]}-{uuid.uuid4().hex[:8]}")
    return Observation(
        fp, StormScope("prod", name), firing=True, token=token, ref=ref, resource=f"api-{i}"
    )


def _activate(store: RedisSignalStore, numbers: range) -> None:
    """Make fingerprints active: claimed, created, and repeated once."""
    for i in numbers:
        claimed = _observation(i, uuid.uuid4().hex)
        (first,) = store.record([claimed], now_ms=NOW)
        assert first.kind == "claimed"
        assert store.confirm(claimed, now_ms=NOW, ref=claimed.ref) == 1
        (repeat,) = store.record([_observation(i, uuid.uuid4().hex)], now_ms=NOW + 1)
        assert (repeat.kind, repeat.occurrence_count) == ("duplicate", 2)


def _records_only(store: RedisSignalStore, client: Any) -> int:
    """Used memory once the scopes' keys and the status-write queue are gone (the queue only
    holds counts not yet written, for seconds): what the records take."""
    client.delete(store.keys.queue)
    scopes = list(client.scan_iter("kgw:storm:*", count=1000))
    if scopes:
        client.delete(*scopes)
    used: int = client.info("memory")["used_memory"]
    return used


def test_an_active_fingerprint_costs_at_most_300_bytes_of_redis(own_redis):
    store = _store(own_redis)
    client = own_redis.client()
    _activate(store, range(WARM))
    used_before = _records_only(store, client)

    _activate(store, range(WARM, WARM + COUNT))
    per_fingerprint = (_records_only(store, client) - used_before) / COUNT

    print(f"\nRedis bytes per active fingerprint: {per_fingerprint:.0f}")
    assert per_fingerprint <= 300
    assert all(client.pttl(key) > 0 for key in client.scan_iter("kgw:*", count=1000))


def _created(store: RedisSignalStore, i: int) -> tuple[Observation, str]:
    """Claim fingerprint i and back it by its resource; return the claim and the record's key."""
    claimed = _observation(i, uuid.uuid4().hex)
    store.record([claimed], now_ms=NOW)
    store.confirm(claimed, now_ms=NOW, ref=claimed.ref)
    return claimed, store.keys.record(claimed.fingerprint, claimed.scope)


def _names_answered(
    store: RedisSignalStore, claimed: Observation
) -> tuple[ObjectRef | None, ObjectRef]:
    """Repeat the fingerprint and take its count for a status write: the resource the repeat
    was answered with, and what the status write got."""
    i = int(claimed.scope.signal_name.removeprefix("HighCPU"))
    (repeat,) = store.record([_observation(i, uuid.uuid4().hex)], now_ms=NOW + 1)
    member = store.keys.member(claimed.fingerprint, claimed.scope)
    written = store.take_occurrences(member, now_ms=NOW + 2)
    assert isinstance(written, Occurrences)
    return repeat.ref, written.ref


def test_a_record_holds_its_resource_name_short_and_answers_it_in_full(own_redis):
    store = _store(own_redis)
    claimed, key = _created(store, 1)

    answered = _names_answered(store, claimed)

    suffix = claimed.ref.name.rsplit("-", 1)[1]
    assert own_redis.client().hget(key, "n") == suffix.encode()
    assert answered == (claimed.ref, claimed.ref)
    # A key of at most 44 characters takes a 48-byte allocation (sds header and terminator).
    assert len(key) <= 44


def test_a_record_written_with_a_full_name_still_answers_it(own_redis):
    # A record that holds its resource's full name answers it as it is.
    store = _store(own_redis)
    claimed, key = _created(store, 2)
    own_redis.client().hset(key, "n", claimed.ref.name)

    assert _names_answered(store, claimed) == (claimed.ref, claimed.ref)


def test_a_storm_scope_is_bounded_whatever_the_storm_size(own_redis):
    store = _store(own_redis)
    client = own_redis.client()
    scope = StormScope("prod", "PodDown")

    def storm_of(numbers: range) -> int:
        for i in numbers:
            fp = fingerprint(signal_name="PodDown", namespace="prod", kind="Pod", name=f"p-{i}")
            observation = Observation(
                fp,
                scope,
                firing=True,
                token=f"t{i}",
                ref=ObjectRef("prod", f"rr-{i}"),
                resource=f"prod:Pod:p-{i}",
            )
            store.record([observation], now_ms=NOW + i)
        return sum(client.memory_usage(key) or 0 for key in client.scan_iter("kgw:storm:*"))

    after_200 = storm_of(range(200))
    after_2000 = storm_of(range(200, 2000))

    print(f"\nRedis bytes per storm scope: {after_2000}")
    assert after_2000 <= after_200 + 256
    affected = f"kgw:storm:{{{storm_tag(scope)}}}:affected"
    assert client.llen(affected) == StormSettings().max_affected
    assert all(client.pttl(key) > 0 for key in client.scan_iter("kgw:*"))

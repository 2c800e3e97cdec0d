"""The dedup store on Redis: every read-modify-write is one Lua script call."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from app.adapters.redis_batches import RecordCall, RecordCalls, record_settings
from app.adapters.redis_client import AnyRedis
from app.adapters.redis_keys import FLAP_MEMBER, STORM_MEMBER, KeyLayout, stored_name
from app.adapters.redis_replies import (
    SignalReply,
    decode_flapping,
    decode_occurrences,
    decode_signal,
    decode_storm,
    rate_limited_ms,
    split_due,
    text,
)
from app.adapters.redis_scripts import Scripts, ScriptTimer, translate_errors
from app.domain import FlappingSettings, ObjectRef, StormSettings
from app.service.errors import OverRateLimit, StoreUnavailable
from app.service.ports import (
    ActiveResource,
    Admission,
    Flapping,
    Observation,
    Occurrences,
    Recorded,
    StormAggregation,
    StormResource,
    StormScope,
)

log = logging.getLogger(__name__)
FLAPPING_COUNT_TTL_MS = 24 * 3600 * 1000


class RedisSignalStore:
    """Dedup records and storm state (the SignalStore port), and the status writes they make
    due (the OccurrenceQueue port); `keys` names where each lives."""

    def __init__(
        self,
        client: AnyRedis | Callable[[], AnyRedis],
        *,
        prefix: str,
        ttl: float,
        claim_ttl: float,
        status_interval: float = 5.0,
        storms: StormSettings | None = None,
        flapping: FlappingSettings | None = None,
        records_per_namespace: bool = False,
        timer: ScriptTimer | None = None,
    ) -> None:
        self._scripts = Scripts(client if callable(client) else (lambda: client), timer=timer)
        self.keys = KeyLayout(prefix, per_namespace=records_per_namespace)
        self._ttl_ms = int(ttl * 1000)
        self._status_interval_ms = int(status_interval * 1000)
        self._storms = storms or StormSettings()
        self._flapping = flapping or FlappingSettings()
        settings = record_settings(
            ttl_ms=self._ttl_ms,
            claim_ttl_ms=int(claim_ttl * 1000),
            status_interval_ms=self._status_interval_ms,
            storms=self._storms,
            flapping=self._flapping,
            prefix=prefix,
        )
        self._calls = RecordCalls(self.keys, settings=settings)

    def record(
        self,
        observations: Sequence[Observation],
        *,
        now_ms: int,
        admission: Admission | None = None,
    ) -> list[Recorded]:
        """Record a request's signals: one script call standalone, one per scope in Cluster.

        An admission's token is taken by the same call standalone (by a call of its own
        before, in Cluster: a caller's bucket is in another slot); without a token,
        OverRateLimit is raised and nothing is recorded. Raises StoreUnavailable having given
        back every claim it made (best effort: a claim it cannot give back expires after the
        claim TTL)."""
        cluster = self._scripts.cluster
        if admission and (cluster or not observations):
            self._admit(admission, now_ms=now_ms)
            admission = None
        calls = self._calls.build(observations, now_ms=now_ms, cluster=cluster, admission=admission)
        recorded: list[Recorded | None] = [None] * len(observations)
        due: dict[str, int] = {}
        try:
            for call in calls:
                replies, call_due = self._record_call(observations, call, admission=admission)
                due |= call_due
                for index, reply in zip(call.order, replies, strict=True):
                    recorded[index] = reply.recorded
            if due:
                self._queue_all(due)
        except StoreUnavailable:
            self._give_back_claims(observations, recorded, now_ms=now_ms)
            raise
        return [done for done in recorded if done is not None]

    def _record_call(
        self, observations: Sequence[Observation], call: RecordCall, *, admission: Admission | None
    ) -> tuple[list[SignalReply], dict[str, int]]:
        """Run one record_signals call; return its replies, in the call's order, and the
        status writes it left for the caller to queue (Cluster)."""
        reply = self._scripts.run("record_signals", keys=call.keys, args=call.args)
        if admission and (wait_ms := rate_limited_ms(reply)) is not None:
            raise OverRateLimit(admission.caller, wait_ms / 1000)
        entries, due = split_due(reply)
        decoded = [
            decode_signal(entry, observations[index].fingerprint)
            for index, entry in zip(call.order, entries, strict=True)
        ]
        return decoded, due

    def _give_back_claims(
        self,
        observations: Sequence[Observation],
        recorded: list[Recorded | None],
        *,
        now_ms: int,
    ) -> None:
        """Give back the claims a failed record made, logging those it cannot."""
        for observation, done in zip(observations, recorded, strict=True):
            if done is None or done.kind != "claimed":
                continue
            try:
                self.give_back(observation, now_ms=now_ms)
            except StoreUnavailable:
                log.warning(
                    "could not give a claim back; it expires after the claim TTL",
                    extra={"fingerprint": observation.fingerprint},
                )

    def confirm(
        self,
        observation: Observation,
        *,
        now_ms: int,
        ref: ObjectRef,
        adopted: ActiveResource | None = None,
    ) -> int | None:
        """Back the claim by `ref` (adding an adopted resource's history); None if taken over."""
        extra = (adopted.occurrence_count, adopted.first_seen_ms) if adopted else (0, 0)
        name = stored_name(observation.fingerprint, ref.name)
        args = [now_ms, self._ttl_ms, observation.token, ref.namespace, name, *extra]
        key = self.keys.record(observation.fingerprint, observation.scope)
        return int(self._scripts.run("confirm", keys=[key], args=args)) or None

    def give_back(self, observation: Observation, *, now_ms: int) -> None:
        """Release the claim and take the signal out of its scope's rate window."""
        key = self.keys.record(observation.fingerprint, observation.scope)
        self._scripts.run("release", keys=[key], args=[now_ms, self._ttl_ms, observation.token])
        rate_key = self.keys.scope_keys(observation.scope).rate
        with translate_errors("redis storm"):
            self._scripts.client.zrem(rate_key, f"{now_ms}:{observation.token}")

    def join_storm(
        self, observation: Observation, storm: StormResource, *, now_ms: int
    ) -> int | None:
        """Aggregate a claimed signal into a storm Kubernetes holds and Redis lost, restoring
        the scope's storm from it; return the record's count, or None if taken over."""
        keys = self.keys.scope_keys(observation.scope)
        args = [
            now_ms,
            self._ttl_ms,
            int(self._storms.quiet_period * 1000),
            observation.token,
            self._storms.max_affected,
            observation.resource,
            storm.ref.namespace,
            storm.ref.name,
            storm.storm_type,
            storm.alert_count,
            storm.truncated,
            storm.updated_ms,
            *storm.affected[: self._storms.max_affected],
        ]
        record = self.keys.record(observation.fingerprint, observation.scope)
        reply = self._scripts.run("join_storm", keys=[record, keys.scope, keys.affected], args=args)
        if not int(reply[0]):
            return None
        if int(reply[3]):
            member = STORM_MEMBER + self.keys.storm_member(observation.scope)
            self._queue_all({member: now_ms + self._status_interval_ms})
        return int(reply[0])

    def settle_storm(self, scope: StormScope, *, token: str, created: bool) -> None:
        """Mark the storm resource created, or end the storm if it could not be."""
        key = self.keys.scope_keys(scope).scope
        self._scripts.run("settle_storm", keys=[key], args=[token, int(created)])

    def due_occurrences(self, *, now_ms: int, limit: int) -> list[str]:
        """Pop fingerprints whose status write is due; each goes to exactly one caller."""
        queue = self.keys.queue
        with translate_errors("redis occurrence queue"):
            client = self._scripts.client
            due: list[Any] = client.zrangebyscore(queue, "-inf", now_ms, start=0, num=limit)
            if not due:
                return []
            pipe = client.pipeline(transaction=False)
            for member in due:
                pipe.zrem(queue, member)
            won = pipe.execute()
        return [text(member) for member, mine in zip(due, won, strict=True) if mine]

    def take_occurrences(
        self, member: str, *, now_ms: int
    ) -> Occurrences | StormAggregation | Flapping | int | None:
        """Return what to write now for a queued member, the ms when it is due, or None."""
        if member.startswith(FLAP_MEMBER):
            key = self.keys.queued(member)
            window = int(self._flapping.window * 1000)
            reply = self._scripts.run("take_flapping", keys=[key], args=[now_ms, window])
            return decode_flapping(reply, member=member.removeprefix(FLAP_MEMBER))
        if member.startswith(STORM_MEMBER):
            storm = self.keys.storm(member.removeprefix(STORM_MEMBER))
            keys = [storm.scope, storm.affected]
            return decode_storm(self._scripts.run("take_storm", keys=keys, args=[now_ms]))
        key = self.keys.record_of(member)
        args = [now_ms, self._status_interval_ms]
        reply = self._scripts.run("take_occurrences", keys=[key], args=args)
        return decode_occurrences(reply, member=member)

    def flapping_written(self, member: str, *, flapping: bool) -> int:
        """Note that a flapping start (or stop) of a queued member was written; return how
        many fingerprints flap now (a count kept a day after its last change)."""
        key = self.keys.queued(member)
        args = ["on" if flapping else "off", int(self._flapping.window * 1000)]
        self._scripts.run("flapping_written", keys=[key], args=args)
        with translate_errors("redis flapping count"):
            pipe = self._scripts.client.pipeline(transaction=False)
            pipe.incrby(self.keys.flapping, 1 if flapping else -1)
            pipe.pexpire(self.keys.flapping, FLAPPING_COUNT_TTL_MS)
            count, _ = pipe.execute()
        return max(0, int(count))

    def flapping_now(self) -> int:
        """Return how many fingerprints flap now."""
        with translate_errors("redis flapping count"):
            count = self._scripts.client.get(self.keys.flapping)
        return max(0, int(count or 0))

    def requeue(self, member: str, *, now_ms: int, due_ms: int, failed: bool) -> None:
        """Queue a status write again; after a failed write, mark the figures unwritten
        (a flapping check needs no mark: it is taken again as it was)."""
        key = self.keys.queued(member)
        retake = failed and not member.startswith(FLAP_MEMBER)
        if retake and not self._scripts.run("retake_later", keys=[key], args=[now_ms]):
            return
        self._queue_all({member: due_ms})

    def _queue_all(self, due: dict[str, int]) -> None:
        """Queue status writes, each member due at its ms."""
        with translate_errors("redis occurrence queue"):
            pipe = self._scripts.client.pipeline(transaction=False)
            pipe.zadd(self.keys.queue, due, lt=True)
            pipe.pexpire(self.keys.queue, self._ttl_ms)
            pipe.execute()

    def take_token(self, caller: str, *, now_ms: int, rate: float, burst: int) -> float:
        """Take a request token for `caller`; return 0, or the seconds until one is free."""
        key = self.keys.bucket(caller)
        wait_ms = self._scripts.run("take_token", keys=[key], args=[now_ms, rate, burst])
        return int(wait_ms) / 1000

    def _admit(self, admission: Admission, *, now_ms: int) -> None:
        """Take the admission's token by a call of its own; OverRateLimit without one."""
        wait = self.take_token(
            admission.caller, now_ms=now_ms, rate=admission.rate, burst=admission.burst
        )
        if wait:
            raise OverRateLimit(admission.caller, wait)

    def ping(self) -> None:
        """Raise StoreUnavailable unless Redis answers."""
        with translate_errors("redis"):
            self._scripts.client.ping()

"""The dedup store on Redis: every read-modify-write is one Lua script call."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

import redis
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.exceptions import RedisClusterException

from app.domain import ObjectRef, StormSettings
from app.service.errors import StoreUnavailable
from app.service.ports import (
    ActiveResource,
    Claim,
    Occurrences,
    StormAggregation,
    StormDecision,
    StormScope,
)

ScriptTimer = Callable[[str, float], None]
SCRIPTS = (
    "record_firing",
    "confirm",
    "release",
    "record_resolved",
    "take_occurrences",
    "retake_later",
    "observe_storm",
    "settle_storm",
    "take_storm",
    "take_token",
)
STORM_MEMBER = "storm:"


def short_id(fingerprint: str) -> str:
    """Return a fingerprint in 43 characters (base64url of its digest): smaller keys."""
    return base64.urlsafe_b64encode(bytes.fromhex(fingerprint)).rstrip(b"=").decode()


def storm_tag(scope: StormScope) -> str:
    """Return the hash tag of a scope's keys: short, fixed-size, one cluster slot per scope."""
    return hashlib.sha256(f"{scope.namespace}:{scope.signal_name}".encode()).hexdigest()[:16]


def _load(name: str) -> str:
    return (resources.files("app.adapters") / "lua" / f"{name}.lua").read_text(encoding="utf-8")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


AnyRedis = redis.Redis | RedisCluster
# A cluster client raises RedisClusterException (not a RedisError) when no node answers.
REDIS_ERRORS = (redis.RedisError, RedisClusterException)


class RedisDedupStore:
    """Per-fingerprint dedup records under `{prefix}dedup:{<fingerprint>}`."""

    def __init__(
        self,
        client: AnyRedis | Callable[[], AnyRedis],
        *,
        prefix: str,
        ttl: float,
        claim_ttl: float,
        status_interval: float = 5.0,
        storms: StormSettings | None = None,
        timer: ScriptTimer | None = None,
    ) -> None:
        self._connect = client if callable(client) else (lambda: client)
        self._connected: AnyRedis | None = None
        self._lock = threading.Lock()
        self._prefix = prefix
        self._ttl_ms = int(ttl * 1000)
        self._claim_ttl_ms = int(claim_ttl * 1000)
        self._status_interval_ms = int(status_interval * 1000)
        self.queue_key = f"{prefix}occurrences"
        self._storms = storms or StormSettings()
        self._timer = timer
        self._sources = {name: _load(name) for name in SCRIPTS}
        self._scripts: dict[str, Script] = {}

    @property
    def _client(self) -> AnyRedis:
        """Connect on first use: a Redis that is down at start-up is a 503, not a crash."""
        with self._lock:
            if self._connected is None:
                try:
                    client = self._connect()
                except REDIS_ERRORS as exc:
                    raise StoreUnavailable(f"redis: {type(exc).__name__}") from exc
                self._scripts = {n: client.register_script(s) for n, s in self._sources.items()}
                self._connected = client
            return self._connected

    def key(self, fingerprint: str) -> str:
        """Return the record's key; the hash tag keeps a script's keys in one cluster slot."""
        return self._record_key(short_id(fingerprint))

    def _record_key(self, short: str) -> str:
        return f"{self._prefix}d:{{{short}}}"

    def record_firing(self, fingerprint: str, *, now_ms: int, token: str, ref: ObjectRef) -> Claim:
        """Claim the fingerprint, or count a repeat of an existing record."""
        reply = self._run(
            "record_firing",
            [self.key(fingerprint)],
            [
                now_ms,
                self._ttl_ms,
                self._claim_ttl_ms,
                token,
                ref.namespace,
                ref.name,
                self._status_interval_ms,
            ],
        )
        claimed, count, namespace, name, first, due = reply
        if due:
            self._queue(short_id(fingerprint), due_ms=int(due))
        return Claim(
            claimed=bool(claimed),
            occurrence_count=int(count),
            ref=ObjectRef(_text(namespace), _text(name)),
            first_seen_ms=int(first),
        )

    def confirm(
        self,
        fingerprint: str,
        *,
        now_ms: int,
        token: str,
        ref: ObjectRef,
        adopted: ActiveResource | None = None,
        aggregated: bool = False,
    ) -> int | None:
        """Back the claim by `ref` (adding an adopted resource's history); None if taken over."""
        extra = (adopted.occurrence_count, adopted.first_seen_ms) if adopted else (0, 0)
        state = "a" if aggregated else "c"
        args = [now_ms, self._ttl_ms, token, ref.namespace, ref.name, *extra, state]
        count = int(self._run("confirm", [self.key(fingerprint)], args))
        return count or None

    def release(self, fingerprint: str, *, now_ms: int, token: str) -> None:
        """Give the claim up so that the next occurrence claims again."""
        self._run("release", [self.key(fingerprint)], [now_ms, self._ttl_ms, token])

    def record_resolved(self, fingerprint: str, *, now_ms: int) -> Claim | None:
        """Remember that the problem resolved; None when there is no record."""
        reply = self._run("record_resolved", [self.key(fingerprint)], [now_ms])
        if not reply:
            return None
        count, namespace, name, state, first = reply
        created = _text(state) in ("c", "a")
        return Claim(
            claimed=False,
            occurrence_count=int(count),
            ref=ObjectRef(_text(namespace), _text(name)) if created else None,
            first_seen_ms=int(first or 0),
        )

    def due_occurrences(self, *, now_ms: int, limit: int) -> list[str]:
        """Pop fingerprints whose status write is due; each goes to exactly one caller."""
        try:
            due: list[Any] = self._client.zrangebyscore(
                self.queue_key, "-inf", now_ms, start=0, num=limit
            )
            if not due:
                return []
            pipe = self._client.pipeline(transaction=False)
            for member in due:
                pipe.zrem(self.queue_key, member)
            won = pipe.execute()
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(f"redis occurrence queue: {type(exc).__name__}") from exc
        return [_text(member) for member, mine in zip(due, won, strict=True) if mine]

    def take_occurrences(
        self, member: str, *, now_ms: int
    ) -> Occurrences | StormAggregation | int | None:
        """Return what to write now for a queued member, the ms when it is due, or None."""
        if member.startswith(STORM_MEMBER):
            return self._take_storm(member.removeprefix(STORM_MEMBER), now_ms=now_ms)
        reply = self._run(
            "take_occurrences", [self._record_key(member)], [now_ms, self._status_interval_ms]
        )
        if reply[0] == 0:
            return None
        if reply[0] == 1:
            return int(reply[1])
        _, count, first, last, namespace, name = reply
        return Occurrences(
            ref=ObjectRef(_text(namespace), _text(name)),
            count=int(count),
            first_seen_ms=int(first),
            last_seen_ms=int(last),
        )

    def requeue(self, member: str, *, now_ms: int, due_ms: int, failed: bool) -> None:
        """Queue a status write again; after a failed write, mark the figures unwritten."""
        if member.startswith(STORM_MEMBER):
            key = self._storm_keys(member.removeprefix(STORM_MEMBER))[0]
        else:
            key = self._record_key(member)
        if failed and not self._run("retake_later", [key], [now_ms]):
            return
        self._queue(member, due_ms=due_ms)

    def observe_storm(
        self,
        scope: StormScope,
        *,
        now_ms: int,
        new: bool,
        resource: str,
        token: str,
        ref: ObjectRef,
    ) -> StormDecision:
        """Count a signal in its scope; decide for a new fingerprint."""
        tag = storm_tag(scope)
        s = self._storms
        reply = self._run(
            "observe_storm",
            self._storm_keys(tag),
            [
                now_ms,
                int(new),
                resource,
                s.rate_threshold,
                int(s.rate_window * 1000),
                s.pattern_threshold,
                int(s.pattern_window * 1000),
                s.max_affected,
                int(s.quiet_period * 1000),
                token,
                ref.namespace,
                ref.name,
            ],
        )
        kind = _text(reply[0])
        if kind == "aggregated":
            if int(reply[3]):
                self._queue(STORM_MEMBER + tag, due_ms=now_ms + self._status_interval_ms)
            return StormDecision(kind, ObjectRef(_text(reply[1]), _text(reply[2])))
        if kind == "tipped":
            affected = tuple(_text(r) for r in reply[2:])
            return StormDecision(kind, ref, _text(reply[1]), affected)
        return StormDecision("none")

    def settle_storm(self, scope: StormScope, *, token: str, created: bool) -> None:
        """Mark the storm resource created, or end the storm if it could not be."""
        key = self._storm_keys(storm_tag(scope))[0]
        self._run("settle_storm", [key], [token, int(created)])

    def forget_signal(self, scope: StormScope, *, now_ms: int, token: str) -> None:
        """Take back a signal that was not recorded, so a sender's retries count once."""
        rate_key = self._storm_keys(storm_tag(scope))[1]
        try:
            self._client.zrem(rate_key, f"{now_ms}:{token}")
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(f"redis storm: {type(exc).__name__}") from exc

    def _take_storm(self, tag: str, *, now_ms: int) -> StormAggregation | int | None:
        keys = self._storm_keys(tag)
        reply = self._run("take_storm", [keys[0], keys[3]], [now_ms])
        if reply[0] == 0:
            return None
        if reply[0] == 1:
            return int(reply[1])
        _, alerts, truncated, updated, namespace, name, *affected = reply
        return StormAggregation(
            ref=ObjectRef(_text(namespace), _text(name)),
            alert_count=int(alerts),
            truncated=int(truncated),
            updated_ms=int(updated),
            affected=tuple(_text(a) for a in affected),
        )

    def _storm_keys(self, tag: str) -> list[str]:
        base = f"{self._prefix}storm:{{{tag}}}"
        return [base, f"{base}:rate", f"{base}:pattern", f"{base}:affected"]

    def _queue(self, fingerprint: str, *, due_ms: int) -> None:
        try:
            pipe = self._client.pipeline(transaction=False)
            pipe.zadd(self.queue_key, {fingerprint: due_ms})
            pipe.pexpire(self.queue_key, self._ttl_ms)
            pipe.execute()
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(f"redis occurrence queue: {type(exc).__name__}") from exc

    def take_token(self, caller: str, *, now_ms: int, rate: float, burst: int) -> float:
        """Take a request token for `caller`; return 0, or the seconds until one is free."""
        tag = hashlib.sha256(caller.encode()).hexdigest()[:16]
        wait_ms = self._run("take_token", [f"{self._prefix}rl:{{{tag}}}"], [now_ms, rate, burst])
        return int(wait_ms) / 1000

    def ping(self) -> None:
        """Raise StoreUnavailable unless Redis answers."""
        try:
            self._client.ping()
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(f"redis: {type(exc).__name__}") from exc

    def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        started = time.perf_counter()
        try:
            client = self._client
            return self._scripts[name](keys=keys, args=args, client=client)
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(f"redis script {name}: {type(exc).__name__}") from exc
        finally:
            if self._timer:
                self._timer(name, time.perf_counter() - started)

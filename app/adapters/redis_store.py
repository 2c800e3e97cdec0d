"""The dedup store on Redis: every read-modify-write is one Lua script call."""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources
from typing import Any

import redis
from redis.commands.core import Script

from app.domain import ObjectRef
from app.service.errors import StoreUnavailable
from app.service.ports import Claim

ScriptTimer = Callable[[str, float], None]
SCRIPTS = ("record_firing", "confirm", "release", "record_resolved")


def _load(name: str) -> str:
    return (resources.files("app.adapters") / "lua" / f"{name}.lua").read_text(encoding="utf-8")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


class RedisDedupStore:
    """Per-fingerprint dedup records under `{prefix}dedup:{<fingerprint>}`."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str,
        ttl: float,
        claim_ttl: float,
        timer: ScriptTimer | None = None,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl_ms = int(ttl * 1000)
        self._claim_ttl_ms = int(claim_ttl * 1000)
        self._timer = timer
        self._scripts: dict[str, Script] = {n: client.register_script(_load(n)) for n in SCRIPTS}

    def key(self, fingerprint: str) -> str:
        """Return the record's key; the hash tag keeps a script's keys in one cluster slot."""
        return f"{self._prefix}dedup:{{{fingerprint}}}"

    def record_firing(self, fingerprint: str, *, now_ms: int, token: str, ref: ObjectRef) -> Claim:
        """Claim the fingerprint, or count a repeat of an existing record."""
        reply = self._run(
            "record_firing",
            [self.key(fingerprint)],
            [now_ms, self._ttl_ms, self._claim_ttl_ms, token, ref.namespace, ref.name],
        )
        claimed, count, namespace, name, first = reply
        return Claim(
            claimed=bool(claimed),
            occurrence_count=int(count),
            ref=ObjectRef(_text(namespace), _text(name)),
            first_seen_ms=int(first),
        )

    def confirm(self, fingerprint: str, *, now_ms: int, token: str, ref: ObjectRef) -> bool:
        """Mark the claim as backed by `ref`; False when another holder took it over."""
        args = [now_ms, self._ttl_ms, token, ref.namespace, ref.name]
        return bool(self._run("confirm", [self.key(fingerprint)], args))

    def release(self, fingerprint: str, *, now_ms: int, token: str) -> None:
        """Give the claim up so that the next occurrence claims again."""
        self._run("release", [self.key(fingerprint)], [now_ms, self._ttl_ms, token])

    def record_resolved(self, fingerprint: str, *, now_ms: int) -> Claim | None:
        """Remember that the problem resolved; None when there is no record."""
        reply = self._run("record_resolved", [self.key(fingerprint)], [now_ms])
        if not reply:
            return None
        count, namespace, name, state, first = reply
        created = _text(state) == "created"
        return Claim(
            claimed=False,
            occurrence_count=int(count),
            ref=ObjectRef(_text(namespace), _text(name)) if created else None,
            first_seen_ms=int(first or 0),
        )

    def ping(self) -> None:
        """Raise StoreUnavailable unless Redis answers."""
        try:
            self._client.ping()
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {type(exc).__name__}") from exc

    def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        started = time.perf_counter()
        try:
            return self._scripts[name](keys=keys, args=args)
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis script {name}: {type(exc).__name__}") from exc
        finally:
            if self._timer:
                self._timer(name, time.perf_counter() - started)

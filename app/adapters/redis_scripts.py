"""The store's Lua scripts: their sources with the libraries they need, registered once the
client connects, run by name, timed, and their failures translated to StoreUnavailable."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

import hiredis
import redis
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.exceptions import NoScriptError, RedisClusterException

from app.adapters.redis_client import AnyRedis
from app.service.errors import StoreUnavailable

ScriptTimer = Callable[[str, float], None]
SCRIPTS = (
    "record_signals",
    "confirm",
    "release",
    "take_occurrences",
    "retake_later",
    "settle_storm",
    "take_storm",
    "take_token",
    "take_flapping",
    "flapping_written",
    "join_storm",
)
# Lua libraries a script needs, prepended to its source (a script cannot load another).
LIBRARIES = {
    "record_signals": ("token_bucket", "storm", "flapping"),
    "take_token": ("token_bucket",),
    "join_storm": ("storm",),
}
# A cluster client raises RedisClusterException (not a RedisError) when no node answers.
_REDIS_ERRORS = (redis.RedisError, RedisClusterException)


@contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Raise StoreUnavailable, naming `what` failed, for a Redis error inside."""
    try:
        yield
    except _REDIS_ERRORS as exc:
        raise StoreUnavailable(f"{what}: {type(exc).__name__}") from exc


def load(name: str) -> str:
    """Return a script's source, after the libraries it needs."""
    return "".join(_read(part) for part in (*LIBRARIES.get(name, ()), name))


def _read(name: str) -> str:
    return (resources.files("app.adapters") / "lua" / f"{name}.lua").read_text(encoding="utf-8")


def evalsha(client: redis.Redis, script: Script, *, keys: list[str], args: list[Any]) -> Any:
    """Run a registered script on one of the client's pooled connections.

    What ``script(keys, args, client)`` does, under the same retry policy (the connection's:
    a dropped or timed-out attempt disconnects and is sent again), with the command packed
    once by hiredis and without redis-py's generic command dispatch: both cost the hot path
    CPU for nothing it uses (bench/README.md has the figures). A NOSCRIPT reply (Redis
    restarted or flushed its scripts) goes to ``script()``, which loads the script.
    """
    pool = client.connection_pool
    connection = pool.get_connection()
    packed = [hiredis.pack_command(("EVALSHA", script.sha, len(keys), *keys, *args))]

    def send() -> Any:
        connection.send_packed_command(packed)  # type: ignore[no-untyped-call]
        return connection.read_response()

    def drop(_error: Exception) -> None:
        connection.disconnect()  # type: ignore[no-untyped-call]

    try:
        return connection.retry.call_with_retry(send, drop)
    except NoScriptError:
        pass
    finally:
        pool.release(connection)
    return script(keys=keys, args=args, client=client)


class Scripts:
    """A Redis client made on first use, with the scripts registered on it."""

    def __init__(
        self, connect: Callable[[], AnyRedis], *, timer: ScriptTimer | None = None
    ) -> None:
        self._connect = connect
        self._connected: AnyRedis | None = None
        self._lock = threading.Lock()
        self._timer = timer
        self._sources = {name: load(name) for name in SCRIPTS}
        self._registered: dict[str, Script] = {}

    @property
    def client(self) -> AnyRedis:
        """Connect on first use: a Redis that is down at start-up is a 503, not a crash."""
        with self._lock:
            if self._connected is None:
                with translate_errors("redis"):
                    client = self._connect()
                self._registered = {n: client.register_script(s) for n, s in self._sources.items()}
                self._connected = client
            return self._connected

    @property
    def cluster(self) -> bool:
        """Tell whether the client is a Redis Cluster's (connecting, which tells it)."""
        return isinstance(self.client, RedisCluster)

    def run(self, name: str, *, keys: list[str], args: list[Any]) -> Any:
        """Run a script by name; raise StoreUnavailable when Redis fails."""
        started = time.perf_counter()
        try:
            client = self.client
            script = self._registered[name]
            if isinstance(client, RedisCluster):
                return script(keys=keys, args=args, client=client)
            return evalsha(client, script, keys=keys, args=args)
        except _REDIS_ERRORS as exc:
            raise StoreUnavailable(f"redis script {name}: {type(exc).__name__}") from exc
        finally:
            if self._timer:
                self._timer(name, time.perf_counter() - started)

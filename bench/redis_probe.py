"""What the gateway costs its Redis: commands, round trips and memory."""

from __future__ import annotations

import socket
import threading
from typing import Any

import redis


def command_calls(client: redis.Redis) -> int:
    """Return the calls of every command so far (INFO commandstats), including inside Lua.

    The INFO command that answers is not counted yet; the next snapshot counts it.
    """
    stats: dict[str, Any] = client.info("commandstats")
    return sum(int(entry["calls"]) for entry in stats.values())


def used_memory(client: redis.Redis) -> int:
    info: dict[str, Any] = client.info("memory")
    return int(info["used_memory"])


def memory_sizes(client: redis.Redis, keys: list[Any]) -> list[int | None]:
    """Return MEMORY USAGE of each key, None for one that is gone (500 keys per round trip)."""
    sizes: list[int | None] = []
    for start in range(0, len(keys), 500):
        pipe = client.pipeline(transaction=False)
        for key in keys[start : start + 500]:
            pipe.memory_usage(key, samples=0)
        sizes += [None if size is None else int(size) for size in pipe.execute()]
    return sizes


def key_memory(client: redis.Redis, pattern: str) -> int:
    """Return the bytes by MEMORY USAGE of the keys matching `pattern`."""
    keys = list(client.scan_iter(pattern, count=1000))
    return sum(size or 0 for size in memory_sizes(client, keys))


def record_sizes(client: redis.Redis, keys: list[str]) -> list[int]:
    """Return MEMORY USAGE of every key (all must exist)."""
    sizes = [size for size in memory_sizes(client, keys) if size is not None]
    if len(sizes) < len(keys):
        raise KeyError(f"{len(keys) - len(sizes)} of {len(keys)} records are gone")
    return sizes


def all_written(client: redis.Redis, keys: list[str]) -> bool:
    """Tell whether every record's count was written to its resource: its last write is
    set ('w') and no count is waiting ('d')."""
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hmget(key, "w", "d")
    return all(written is not None and waiting is None for written, waiting in pipe.execute())


class Monitor:
    """Count the commands clients send (not the ones Lua scripts run) with MONITOR.

    MONITOR prints `<time> [<db> <client address>] "COMMAND" ...` for a client's command and
    `[<db> lua]` for one a script runs; pipelined commands are counted one by one, so the count
    is an upper bound of round trips.
    """

    def __init__(self, host: str, port: int) -> None:
        self._socket = socket.create_connection((host, port), timeout=5)
        self._socket.sendall(b"MONITOR\r\n")
        self._buffer = b""
        self._stop = threading.Event()
        self.client_commands = 0
        self.script_commands = 0
        self._read_until_ok()
        self._thread = threading.Thread(target=self._run, name="redis-monitor", daemon=True)
        self._thread.start()

    def _read_until_ok(self) -> None:
        while b"\r\n" not in self._buffer:
            chunk = self._socket.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the MONITOR connection")
            self._buffer += chunk
        first, self._buffer = self._buffer.split(b"\r\n", 1)
        if first != b"+OK":
            raise ConnectionError(f"MONITOR refused: {first!r}")

    def _count(self, line: bytes) -> None:
        start, end = line.find(b"["), line.find(b"]")
        if start < 0 or end < 0:
            return
        source = line[start + 1 : end].split(b" ", 1)[-1]
        if source == b"lua":
            self.script_commands += 1
        else:
            self.client_commands += 1

    def _run(self) -> None:
        self._socket.settimeout(0.1)
        while True:
            try:
                chunk = self._socket.recv(1 << 20)
            except TimeoutError:
                # Once told to stop, a quiet moment means everything sent has been read.
                if self._stop.is_set():
                    return
                continue
            except OSError:
                return
            if not chunk:
                return
            self._buffer += chunk
            *lines, self._buffer = self._buffer.split(b"\r\n")
            for line in lines:
                self._count(line)

    def stop(self) -> None:
        """Stop counting once everything already sent is read, then close."""
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()

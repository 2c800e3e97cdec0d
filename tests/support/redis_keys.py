"""Look at a test's Redis: its keys, on standalone Redis and on every master of a Cluster alike,
and the commands it ran."""

from __future__ import annotations

from collections import Counter

from tests.support.redis_cluster import RedisClusterServer
from tests.support.redis_server import RedisServer


def keys(server: RedisServer | RedisClusterServer, pattern: str) -> list[bytes | str]:
    """Return the keys matching `pattern` on every node."""
    nodes = server.nodes if isinstance(server, RedisClusterServer) else [server]
    return [key for node in nodes for key in node.client().keys(pattern)]


def wipe(server: RedisServer | RedisClusterServer, pattern: str) -> None:
    """Delete the keys matching `pattern` on every node, as a flush would."""
    nodes = server.nodes if isinstance(server, RedisClusterServer) else [server]
    for node in nodes:
        client = node.client()
        for key in client.keys(pattern):
            client.delete(key)


def command_calls(server: RedisServer) -> Counter[str]:
    """Return every command's calls so far (INFO commandstats), the ones scripts run included.

    The INFO that answers is counted by the next call, under "info"."""
    stats = server.client().info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): int(e["calls"]) for name, e in stats.items()})

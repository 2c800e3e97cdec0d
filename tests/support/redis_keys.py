"""Look at and remove keys on standalone Redis and on every master of a Cluster alike."""

from __future__ import annotations

from app.sandbox.redis_cluster import RedisClusterServer
from app.sandbox.redis_server import RedisServer


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

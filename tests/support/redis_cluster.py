"""Launch a throwaway Redis Cluster (masters only, no replicas) on loopback."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import redis
import redis.cluster
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.support.processes import Running
from tests.support.redis_server import (
    RedisServer,
    RedisServerError,
    find_redis_server,
    server_version,
)
from tests.support.waiting import eventually

__all__ = ["RedisClusterServer"]

HASH_SLOTS = 16384
BUS_PORT_OFFSET = 10000  # the cluster bus listens on port + 10000 (no cluster-port before 7.0)
NODE_TIMEOUT_MS = 2000
_PORT_RANGE = (20000, 65535 - BUS_PORT_OFFSET)  # below the ephemeral range, bus port valid
_PORT_ATTEMPTS = 20
_NODE_ATTEMPTS = 5
_ADDSLOTS_CHUNK = 2048
_POLL_INTERVAL = 0.05
_CONTROL_TIMEOUT = 1.0


class RedisClusterServer(Running):
    """Run a cluster of disposable redis-server masters that together cover every slot."""

    def __init__(
        self,
        *,
        masters: int = 3,
        host: str = "127.0.0.1",
        workdir: Path | None = None,
        binary: str | None = None,
    ) -> None:
        """Configure the cluster; nothing is launched until start()."""
        if not 1 <= masters <= HASH_SLOTS:
            raise ValueError(f"masters must be between 1 and {HASH_SLOTS}, not {masters}")
        self.masters = masters
        self.host = host
        self._binary = binary
        self._given_workdir = workdir
        self._workdir: Path | None = None
        self._owns_workdir = False
        self._nodes: list[RedisServer] = []

    def __repr__(self) -> str:
        """Return a debugging representation."""
        ports = ",".join(str(node.port) for node in self._nodes if node.running)
        return (
            f"<RedisClusterServer {self.host} [{ports}] {'running' if self.running else 'stopped'}>"
        )

    @property
    def nodes(self) -> list[RedisServer]:
        """Return the master nodes (empty until start())."""
        return list(self._nodes)

    @property
    def running(self) -> bool:
        """Return whether every node process is alive."""
        return bool(self._nodes) and all(node.running for node in self._nodes)

    @property
    def url(self) -> str:
        """Return the redis+cluster:// URL listing every node."""
        if not self._nodes:
            raise RedisServerError("the cluster is not started: call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return "redis+cluster://" + ",".join(f"{host}:{node.port}" for node in self._nodes)

    def client(self, **kwargs: Any) -> redis.cluster.RedisCluster:
        """Return a redis-py cluster client that discovers the cluster from every node."""
        if not self._nodes:
            raise RedisServerError("the cluster is not started: call start() first")
        startup = [redis.cluster.ClusterNode(self.host, node.port) for node in self._nodes]
        return redis.cluster.RedisCluster(startup_nodes=startup, **kwargs)

    def slot_ranges(self) -> list[tuple[int, int]]:
        """Return the inclusive slot range each master owns, in node order."""
        bounds = [i * HASH_SLOTS // self.masters for i in range(self.masters + 1)]
        return [(bounds[i], bounds[i + 1] - 1) for i in range(self.masters)]

    def start(self, *, timeout: float = 20.0) -> RedisClusterServer:
        """Launch the masters, assign the slots, join them, and wait for cluster_state:ok."""
        if self.running:
            return self
        self.stop()  # a half-started or crashed cluster is rebuilt from scratch
        deadline = time.monotonic() + timeout
        try:
            self._prepare_workdir()
            for index in range(self.masters):
                self._nodes.append(self._start_node(index, deadline))
            self._form(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every node and remove the cluster's own temporary directory; idempotent."""
        errors: list[RedisServerError] = []
        for node in self._nodes:
            try:
                node.stop()
            except RedisServerError as exc:  # keep stopping the others
                errors.append(exc)
        self._nodes = []
        if self._owns_workdir and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._workdir = None
        self._owns_workdir = False
        if errors:
            raise errors[0]

    def _prepare_workdir(self) -> None:
        """Create the directory holding one sub-directory per node."""
        if self._given_workdir is not None:
            self._given_workdir.mkdir(parents=True, exist_ok=True)
            self._workdir = self._given_workdir
        else:
            self._workdir = Path(tempfile.mkdtemp(prefix="redis-cluster-"))
            self._owns_workdir = True

    def _start_node(self, index: int, deadline: float) -> RedisServer:
        """Start node `index` on a port whose cluster bus port is free too."""
        assert self._workdir is not None
        if self._binary is None:  # absolute: each node runs with its own workdir as cwd
            self._binary = os.path.abspath(find_redis_server())  # keep symlinks: argv[0] matters
        workdir = self._workdir / f"node-{index}"
        config_file = f"nodes-{index}.conf"
        last_error: RedisServerError | None = None
        for _ in range(_NODE_ATTEMPTS):
            workdir.mkdir(parents=True, exist_ok=True)
            (workdir / config_file).unlink(missing_ok=True)  # never resume an old identity
            node = RedisServer(
                port=_cluster_port(self.host),
                host=self.host,
                workdir=workdir,
                binary=self._binary,
                extra_args=[
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", config_file,
                    "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
                ],
            )  # fmt: skip
            try:
                return node.start(timeout=max(deadline - time.monotonic(), 0.5))
            except RedisServerError as exc:  # most likely lost a race for the port
                node.stop()
                last_error = exc
                if time.monotonic() >= deadline:
                    break
        raise RedisServerError(f"cluster node {index} did not start: {last_error}")

    def _form(self, deadline: float) -> None:
        """Give each master its slots, introduce the masters, and wait until all agree."""
        clients = [self._control(node) for node in self._nodes]
        try:
            ranges = self.slot_ranges()
            use_range = server_version(self._nodes[0].binary) >= (7, 0, 0)
            for epoch, (conn, (first, last)) in enumerate(zip(clients, ranges, strict=True), 1):
                # Distinct config epochs up front spare the cluster its collision resolution.
                _command(conn, "CLUSTER", "SET-CONFIG-EPOCH", epoch)
                _add_slots(conn, first, last, use_range=use_range)
            for node in self._nodes[1:]:
                _command(clients[0], "CLUSTER", "MEET", self.host, node.port)
            self._wait_ok(clients, deadline)
        finally:
            for conn in clients:
                conn.close()

    def _wait_ok(self, clients: list[redis.Redis], deadline: float) -> None:
        """Poll every node until it reports cluster_state:ok and knows every master."""
        eventually(
            lambda: self._problem(clients) is None,
            within=max(0.0, deadline - time.monotonic()),
            what=lambda: f"the cluster converging; {self._problem(clients)}",
            every=_POLL_INTERVAL,
            error=RedisServerError,
        )

    def _problem(self, clients: list[redis.Redis]) -> str | None:
        """Return why the cluster is not ready yet, or None when it is."""
        for node, conn in zip(self._nodes, clients, strict=True):
            if not node.running:
                raise RedisServerError(f"cluster node {node.port} died:\n{node.log_tail()}")
            try:
                info = _parse_info(_text(_command(conn, "CLUSTER", "INFO")))
                table = _text(_command(conn, "CLUSTER", "NODES"))
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                return f"node {node.port}: {type(exc).__name__}"
            if info.get("cluster_state") != "ok":
                return f"node {node.port}: cluster_state:{info.get('cluster_state')}"
            masters = _ready_masters(table)
            expected = {(self.host, other.port) for other in self._nodes}
            if masters != expected:
                return f"node {node.port} knows masters {sorted(masters)}, not {sorted(expected)}"
        return None

    def _control(self, node: RedisServer) -> redis.Redis:
        """Return a plain, no-retry client for administering one node."""
        return node.client(
            socket_timeout=_CONTROL_TIMEOUT,
            socket_connect_timeout=_CONTROL_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )


def _cluster_port(host: str) -> int:
    """Return a port p with p and p + 10000 both currently free on `host`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    low, high = _PORT_RANGE
    for _ in range(_PORT_ATTEMPTS):
        port = low + secrets.randbelow(high - low + 1)
        with contextlib.ExitStack() as stack:
            try:
                for candidate in (port, port + BUS_PORT_OFFSET):
                    sock = stack.enter_context(socket.socket(family, socket.SOCK_STREAM))
                    sock.bind((host, candidate))
            except OSError:
                continue
        return port
    raise RedisServerError(f"found no free port pair (p, p+{BUS_PORT_OFFSET}) on {host}")


def _add_slots(conn: redis.Redis, first: int, last: int, *, use_range: bool) -> None:
    """Assign slots first..last to the node; ADDSLOTSRANGE needs Redis 7.0+."""
    if use_range:
        _command(conn, "CLUSTER", "ADDSLOTSRANGE", first, last)
        return
    for start in range(first, last + 1, _ADDSLOTS_CHUNK):
        end = min(start + _ADDSLOTS_CHUNK - 1, last)
        _command(conn, "CLUSTER", "ADDSLOTS", *range(start, end + 1))


def _command(conn: redis.Redis, *args: str | int) -> Any:
    """Run one raw command (redis-py leaves execute_command unannotated)."""
    return conn.execute_command(*args)


def _text(value: Any) -> str:
    """Return a reply as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _parse_info(text: str) -> dict[str, str]:
    """Parse CLUSTER INFO's ``field:value`` lines."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.strip().partition(":")
        if sep:
            fields[name] = value
    return fields


def _ready_masters(table: str) -> set[tuple[str, int]]:
    """Return (host, port) of the connected, healthy masters in CLUSTER NODES output."""
    unhealthy = {"handshake", "fail", "fail?", "noaddr"}
    masters: set[tuple[str, int]] = set()
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 8:
            continue
        address, flags, link = fields[1], set(fields[2].split(",")), fields[7]
        if "master" not in flags or flags & unhealthy or link != "connected":
            continue
        host_port = address.split("@", 1)[0]  # ip:port@cport[,hostname]
        host, _, port = host_port.rpartition(":")
        masters.add((host, int(port)))
    return masters

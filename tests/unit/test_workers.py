"""The gunicorn worker class: a worker whose threads are all busy leaves new connections to
the others (driven by hand: a real listening socket and poller, a thread pool that never runs)."""

from __future__ import annotations

import selectors
import socket
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from gunicorn.config import Config

from app.workers import BalancedThreadWorker


class Idle:
    """A thread pool that takes requests and never runs them: they stay in flight."""

    def __init__(self) -> None:
        self.futures: list[Future[Any]] = []

    def submit(self, fn: Any, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.futures.append(future)
        return future


class Conn:
    """A finished request's connection, closed rather than kept alive."""

    closed = False

    def close(self, graceful: bool = False) -> None:
        self.closed = True


@pytest.fixture
def worker() -> Iterator[BalancedThreadWorker]:
    cfg = Config()
    cfg.set("threads", 2)
    listener = socket.create_server(("127.0.0.1", 0))
    worker = BalancedThreadWorker(0, 0, [listener], None, 30, cfg, None)
    worker.tpool = Idle()
    worker.poller = selectors.DefaultSelector()
    worker.set_accept_enabled(True)
    yield worker
    worker.poller.close()
    listener.close()


def accepting(worker: BalancedThreadWorker) -> bool:
    return any(key.fileobj in worker.sockets for key in worker.poller.get_map().values())


def test_a_worker_stops_accepting_while_all_its_threads_are_busy(worker: BalancedThreadWorker):
    worker.nr_conns = 2
    worker.enqueue_req(Conn())
    assert accepting(worker)

    worker.enqueue_req(Conn())

    assert not accepting(worker)
    # gthread's loop asks again on every turn: still not while both threads are busy.
    worker.set_accept_enabled(True)
    assert not accepting(worker)


def test_a_worker_accepts_again_when_a_thread_is_free(worker: BalancedThreadWorker):
    worker.nr_conns = 2
    first, second = Conn(), Conn()
    worker.enqueue_req(first)
    worker.enqueue_req(second)
    done = worker.tpool.futures[0]
    done.set_result(False)  # the request is answered and its connection closed

    worker.finish_request(first, done)

    assert first.closed
    assert (worker.in_flight, worker.nr_conns) == (1, 1)
    assert accepting(worker)


def test_a_stopping_worker_does_not_accept_again(worker: BalancedThreadWorker):
    worker.nr_conns = 1
    conn = Conn()
    worker.enqueue_req(conn)
    worker.alive = False
    worker.set_accept_enabled(False)  # what gthread's shutdown does first
    done = worker.tpool.futures[0]
    done.set_result(False)

    worker.finish_request(conn, done)

    assert not accepting(worker)

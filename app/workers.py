"""The gunicorn worker class: gthread, sharing connections fairly between worker processes."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """A gthread worker that accepts connections only while one of its threads is free.

    gthread's main thread accepts every connection it is woken for, however busy its threads
    are, and a kept-alive connection stays with the worker that accepted it. Clients that open
    several connections at once (wrk, or Alertmanager replicas after a restart) then land
    unevenly: 8 connections were never split 4/4 between two workers in 14 runs, and 7/1
    happened. A worker whose threads are all busy now leaves the listening socket to the
    others; when every worker is busy, a new connection waits in the kernel's backlog until
    a thread is free, as a request would in the thread pool's queue.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Requests handed to the thread pool and not finished; only the main thread counts.
        self.in_flight = 0

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled and self.in_flight < self.cfg.threads)

    def enqueue_req(self, conn: Any) -> None:
        self.in_flight += 1
        super().enqueue_req(conn)
        self._accept_if_free()

    def finish_request(self, conn: Any, fs: Future[Any]) -> None:
        self.in_flight -= 1
        super().finish_request(conn, fs)
        self._accept_if_free()

    def _accept_if_free(self) -> None:
        # As gthread's own loop decides, with the threads' state; never while stopping.
        if self.alive:
            self.set_accept_enabled(self.nr_conns < self.worker_connections)

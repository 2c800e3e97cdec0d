"""Readiness: Redis answers and the Kubernetes API answers (the latter cached briefly)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from app.service.errors import Unavailable
from app.service.ports import NamespaceDirectory, SignalStore

log = logging.getLogger(__name__)


class Readiness:
    """Report why the gateway cannot take signals now, if it cannot."""

    def __init__(
        self,
        *,
        store: SignalStore,
        kubernetes: NamespaceDirectory,
        clock: Callable[[], float],
        circuit: Callable[[], str] = lambda: "closed",
        kubernetes_ttl: float = 5.0,
    ) -> None:
        self._store = store
        self._kubernetes = kubernetes
        self._clock = clock
        self._circuit = circuit
        self._ttl = kubernetes_ttl
        self._kube_checked: tuple[float, str | None] = (float("-inf"), None)
        self._lock = threading.Lock()
        self.shutting_down = False

    def problems(self) -> list[str]:
        """Return the reasons for not being ready; empty when ready."""
        problems = []
        if self.shutting_down:
            problems.append("shutting down")
        try:
            self._store.ping()
        except Unavailable as exc:
            problems.append(f"redis unavailable: {exc}")
        except Exception as exc:  # whatever Redis said, readiness answers 503, never 500
            log.warning("redis readiness check failed", exc_info=exc)
            problems.append(f"redis check failed: {type(exc).__name__}")
        circuit = self._circuit()
        if circuit != "closed":
            problems.append(f"kubernetes API circuit breaker {circuit}")
        kube = self._kubernetes_problem()
        if kube:
            problems.append(kube)
        return problems

    def _kubernetes_problem(self) -> str | None:
        now = self._clock()
        with self._lock:
            checked_at, problem = self._kube_checked
            if now - checked_at < self._ttl:
                return problem
        try:
            self._kubernetes.ping()
            problem = None
        except Unavailable as exc:
            problem = f"kubernetes API unavailable: {exc}"
        except Exception as exc:  # whatever the API said, readiness answers 503, never 500
            log.warning("kubernetes readiness check failed", exc_info=exc)
            problem = f"kubernetes API check failed: {type(exc).__name__}"
        with self._lock:
            self._kube_checked = (now, problem)
        return problem

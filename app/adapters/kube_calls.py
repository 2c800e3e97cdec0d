"""One Kubernetes API call as the gateway makes every one: through the circuit breaker,
counted, and retried with backoff (Retry-After honoured) within a budget of time."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Generator
from typing import Any, TypeVar

import backoff
import urllib3
from kubernetes.client.exceptions import ApiException

from app.adapters.breaker import CircuitBreaker
from app.service.errors import KubernetesUnavailable

TRANSIENT_CODES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 10.0

log = logging.getLogger(__name__)
T = TypeVar("T")
CallRecorder = Callable[[str, str], None]


class CircuitOpen(Exception):
    """The breaker is open: the call was not made."""


class Transient(Exception):
    """A failure worth retrying; carries the server's Retry-After when it sent one."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def wait_gen(*, base: float = 0.05, cap: float = 1.0) -> Generator[float, Any, None]:
    """Yield the server's Retry-After when given, else capped exponential with full jitter."""
    attempt = 0
    exc = yield 0.0
    while True:
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            delay = min(float(retry_after), MAX_RETRY_AFTER)
        else:
            delay = random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 - jitter
        attempt += 1
        exc = yield delay


def retry_after_header(exc: ApiException) -> float | None:
    """Return the seconds of an API error's Retry-After header, if it has a usable one."""
    value = (exc.headers or {}).get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class Calls:
    """Make API calls through one breaker, each retried within the budget."""

    def __init__(
        self,
        *,
        breaker: CircuitBreaker,
        budget: float,
        record: CallRecorder | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        self.breaker = breaker
        self._budget = budget
        self._record = record or (lambda operation, code: None)
        self._on_retry = on_retry or (lambda operation: None)

    def call(self, operation: str, call: Callable[[], T]) -> T:
        """Make one API call through the breaker; turn transient failures into Transient."""
        if not self.breaker.allow():
            self._record(operation, "circuit_open")
            raise CircuitOpen("circuit breaker open")
        try:
            result = call()
        except ApiException as exc:
            self._record(operation, str(exc.status))
            transient = exc.status in TRANSIENT_CODES
            # Throttling (429) means the API is alive and busy: backoff absorbs it.
            self.breaker.record(success=exc.status < 500)
            if transient:
                raise Transient(f"HTTP {exc.status}", retry_after_header(exc)) from exc
            raise
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            self._record(operation, "error")
            self.breaker.record(success=False)
            raise Transient(type(exc).__name__) from exc
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # An answer the client cannot read (a proxy's HTML page, a malformed body).
            self._record(operation, "malformed")
            self.breaker.record(success=False)
            raise Transient(f"unexpected answer ({type(exc).__name__})") from exc
        self._record(operation, "ok")
        self.breaker.record(success=True)
        return result

    def _retried(self, operation: str, details: Any) -> None:
        self._on_retry(operation)
        log.info(
            "retrying kubernetes %s after %s (attempt %d)",
            operation,
            details.get("exception"),
            details["tries"],
        )

    def retrying(self, operation: str, attempt: Callable[[], T]) -> T:
        retrying = backoff.on_exception(
            wait_gen,
            Transient,
            max_time=self._budget,
            jitter=None,
            on_backoff=lambda details: self._retried(operation, details),
        )(attempt)
        try:
            return retrying()
        except Transient as exc:
            raise KubernetesUnavailable(f"kubernetes {operation}: gave up: {exc}") from exc
        except CircuitOpen as exc:
            raise KubernetesUnavailable(f"kubernetes {operation}: {exc}") from exc
        except ApiException as exc:
            raise KubernetesUnavailable(
                f"kubernetes {operation}: rejected: HTTP {exc.status} {exc.reason}"
            ) from exc

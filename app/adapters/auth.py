"""Bearer tokens checked with a TokenReview and authorized with a SubjectAccessReview."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import urllib3
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from app.service.errors import AuthError, Forbidden, KubernetesUnavailable, Unauthenticated

MAX_CACHED = 10_000


@dataclass(frozen=True)
class Access:
    """What a caller must be allowed to do: the SubjectAccessReview's resource attributes."""

    namespace: str
    verb: str = "create"
    group: str = "remediation.kubernaut.io"
    resource: str = "remediationrequests"


class KubernetesAuthenticator:
    """Decide whether a bearer token may send signals; decisions are cached by token hash."""

    def __init__(
        self,
        api: k8s.ApiClient,
        *,
        access: Access,
        audiences: Sequence[str],
        timeout: float,
        ttl: float,
        denied_ttl: float,
        clock: Callable[[], float],
    ) -> None:
        self._authn = k8s.AuthenticationV1Api(api)
        self._authz = k8s.AuthorizationV1Api(api)
        self._access = access
        self._audiences = list(audiences) or None
        self._timeout = timeout
        self._ttl = ttl
        self._denied_ttl = denied_ttl
        self._clock = clock
        self._decisions: dict[str, tuple[float, str | AuthError]] = {}
        self._reviewing: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def authorize(self, token: str) -> str:
        """Return the caller's username, or raise Unauthenticated, Forbidden or Unavailable."""
        key = hashlib.sha256(token.encode()).hexdigest()
        decision = self._cached(key)
        if decision is None:
            with self._lock:
                review_lock = self._reviewing.setdefault(key, threading.Lock())
            # Concurrent requests with the same new token wait for one review, not one each.
            with review_lock:
                decision = self._cached(key)
                if decision is None:
                    try:
                        decision = self._review(token)
                    finally:
                        with self._lock:
                            self._reviewing.pop(key, None)
                    self._remember(key, decision)
        if isinstance(decision, AuthError):
            raise decision
        return decision

    def _remember(self, key: str, decision: str | AuthError) -> None:
        """Cache a decision; random tokens cannot grow the cache without bound."""
        now = self._clock()
        ttl = self._ttl if isinstance(decision, str) else self._denied_ttl
        with self._lock:
            if len(self._decisions) >= MAX_CACHED:
                self._decisions = {k: v for k, v in self._decisions.items() if v[0] > now}
                if len(self._decisions) >= MAX_CACHED:
                    self._decisions.clear()
            self._decisions[key] = (now + ttl, decision)

    def _cached(self, key: str) -> str | AuthError | None:
        with self._lock:
            cached = self._decisions.get(key)
        return cached[1] if cached and cached[0] > self._clock() else None

    def _review(self, token: str) -> str | AuthError:
        try:
            review = self._authn.create_token_review(
                k8s.V1TokenReview(
                    spec=k8s.V1TokenReviewSpec(token=token, audiences=self._audiences)
                ),
                _request_timeout=self._timeout,
            )
            status = review.status
            if not (status and status.authenticated and status.user):
                return Unauthenticated("the token was not accepted")
            user = status.user
            allowed = self._authz.create_subject_access_review(
                k8s.V1SubjectAccessReview(
                    spec=k8s.V1SubjectAccessReviewSpec(
                        user=user.username,
                        groups=user.groups,
                        uid=user.uid,
                        resource_attributes=k8s.V1ResourceAttributes(
                            namespace=self._access.namespace,
                            verb=self._access.verb,
                            group=self._access.group,
                            resource=self._access.resource,
                        ),
                    )
                ),
                _request_timeout=self._timeout,
            )
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise KubernetesUnavailable(f"kubernetes review: {type(exc).__name__}") from exc
        if not (allowed.status and allowed.status.allowed):
            return Forbidden(
                f"{user.username} may not {self._access.verb} {self._access.resource} "
                f"in {self._access.namespace}"
            )
        return str(user.username)

"""Errors the service layer and its adapters raise; the API renders them once."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error the gateway raises on purpose."""


class Unavailable(ServiceError):
    """A dependency cannot durably record a signal now; the sender should retry."""

    dependency = "dependency"


class StoreUnavailable(Unavailable):
    """Redis did not answer, or answered with an error."""

    dependency = "redis"


class KubernetesUnavailable(Unavailable):
    """The Kubernetes API failed, throttled past the retry budget, or refused the write."""

    dependency = "kubernetes"


class MissingPermission(KubernetesUnavailable):
    """The API refused a read the gateway needs (HTTP 403): its service account lacks a grant."""

    def __init__(self, permission: str) -> None:
        super().__init__(f"kubernetes: forbidden: {permission}")
        self.permission = permission  # what to grant, e.g. "get replicasets.apps"


class OverRateLimit(ServiceError):
    """The caller has no request token left; nothing of its request was recorded."""

    def __init__(self, caller: str, wait: float) -> None:
        super().__init__(f"rate limited for {wait:g} s")
        self.caller = caller
        self.wait = wait  # seconds until a token is available


class AuthError(ServiceError):
    """The caller may not send signals."""


class Unauthenticated(AuthError):
    """No bearer token, or one the Kubernetes API does not accept."""


class Forbidden(AuthError):
    """An authenticated caller that may not create RemediationRequests."""

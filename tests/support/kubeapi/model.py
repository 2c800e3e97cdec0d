"""Value types shared by the Kubernetes API test server and its callers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TokenIdentity:
    """Who a bearer token authenticates as, and what that user may do."""

    username: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    # Empty means the token is valid for any audience.
    audiences: tuple[str, ...] = ()
    # (verb, group, resource, namespace) tuples; "*" in a slot matches anything.
    allowed: frozenset[tuple[str, str, str, str]] = frozenset()


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server answered (status 0 when the connection was dropped)."""

    method: str
    path: str
    query: str
    status: int
    body: bytes

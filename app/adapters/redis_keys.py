"""The store's keys and the short names a record holds.

A record lives under `{prefix}d:{<slot tag>}<short id>`, next to its storm scope's keys
`{prefix}storm:{<slot tag>}<scope id>...`: one hash tag, so one script call (one Cluster slot)
covers a scope's signals and their storm. The slot is the storm scope itself (its id is then
empty), unless records are kept per namespace (identity.mode workload, where every signal
name about one workload shares one fingerprint, so one record): then the slot is the
namespace and the scope id tells its scopes apart.
"""

from __future__ import annotations

import base64
import hashlib
from typing import NamedTuple

from app.service.ports import StormScope

STORM_MEMBER = "storm:"  # a queued storm's member: this, then its scope's tag
FLAP_MEMBER = "f:"  # a queued flapping check: this, then the record's member
TAG_LENGTH = 11  # storm_tag()'s length


def short_id(fingerprint: str) -> str:
    """Return a fingerprint's first 128 bits in 22 characters (base64url): smaller keys, and
    unique within its scope's keys for any practical number of fingerprints."""
    return base64.urlsafe_b64encode(bytes.fromhex(fingerprint[:32])).rstrip(b"=").decode()


def storm_tag(scope: StormScope) -> str:
    """Return the hash tag of a scope's keys: 64 bits of its digest in 11 characters
    (base64url), one cluster slot per scope, and short record keys (a record's key is part
    of what each active fingerprint costs Redis: bench/README.md)."""
    digest = hashlib.sha256(f"{scope.namespace}:{scope.signal_name}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:8]).rstrip(b"=").decode()


def namespace_tag(namespace: str) -> str:
    """Return the hash tag of a namespace's keys (records kept per namespace)."""
    digest = hashlib.sha256(f"ns:{namespace}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:8]).rstrip(b"=").decode()


def scope_id(scope: StormScope) -> str:
    """Return a scope's id within its namespace's slot: 64 bits of its signal name's digest."""
    digest = hashlib.sha256(scope.signal_name.encode()).digest()
    return base64.urlsafe_b64encode(digest[:8]).rstrip(b"=").decode()


def member_fingerprint(member: str) -> str:
    """Return the leading hex digits of a record's fingerprint (32 of them) from its id."""
    encoded = member[TAG_LENGTH:]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).hex()


def stored_name(fingerprint: str, name: str) -> str:
    """Return a resource name as a fingerprint's record holds it: the fingerprint's own name,
    rr-<its 12 hex>-<suffix>, as just the suffix (the rest is the fingerprint's); another
    name with a "-" (a storm resource's) as is; any other after "=", which no Kubernetes
    name contains."""
    own = f"rr-{fingerprint[:12]}-"
    suffix = name[len(own) :] if name.startswith(own) else ""
    if suffix and "-" not in suffix:
        return suffix
    return name if "-" in name else "=" + name


def full_name(fingerprint: str, stored: str) -> str:
    """Return the name that stored_name() stored for a fingerprint (or its first 12 hex
    digits); a stored name with a "-" is a full name and reads as it is."""
    if stored.startswith("="):
        return stored[1:]
    if "-" in stored or not stored:
        return stored
    return f"rr-{fingerprint[:12]}-{stored}"


class StormKeys(NamedTuple):
    """A storm scope's keys, in the order record_signals.lua takes them."""

    scope: str  # hash: the storm's state and resource
    rate: str  # zset: recent signals
    pattern: str  # zset: distinct resources
    affected: str  # list: the storm's affected resources


class KeyLayout:
    """Name every key of the store under one prefix; records per storm scope, or per
    namespace (`per_namespace`)."""

    def __init__(self, prefix: str, *, per_namespace: bool = False) -> None:
        self._prefix = prefix
        self._per_namespace = per_namespace
        self.queue = f"{prefix}occurrences"  # zset of the members whose status write is due
        self.flapping = f"{prefix}flapping"  # how many fingerprints flap now

    def slot(self, scope: StormScope) -> str:
        """Return the hash tag of a scope's keys and of the records of its signals."""
        return namespace_tag(scope.namespace) if self._per_namespace else storm_tag(scope)

    def storm_member(self, scope: StormScope) -> str:
        """Return a storm scope's queue member: its slot's tag and its id in the slot."""
        return self.slot(scope) + (scope_id(scope) if self._per_namespace else "")

    def scope_keys(self, scope: StormScope) -> StormKeys:
        """Return the keys of a storm scope."""
        return self.storm(self.storm_member(scope))

    def member(self, fingerprint: str, scope: StormScope) -> str:
        """Return a record's id (its queue member): its slot's tag and its short id."""
        return self.slot(scope) + short_id(fingerprint)

    def record(self, fingerprint: str, scope: StormScope) -> str:
        """Return the key of a fingerprint's record."""
        return self.record_of(self.member(fingerprint, scope))

    def record_of(self, member: str) -> str:
        """Return the key of the record a member names."""
        return f"{self._prefix}d:{{{member[:TAG_LENGTH]}}}{member[TAG_LENGTH:]}"

    def transitions_of(self, member: str) -> str:
        """Return the key of a record's state changes (flapping.lua: "t:" for "d:")."""
        return f"{self._prefix}t:{{{member[:TAG_LENGTH]}}}{member[TAG_LENGTH:]}"

    def storm(self, member: str) -> StormKeys:
        """Return the keys of the storm scope a storm member names (see storm_member)."""
        base = f"{self._prefix}storm:{{{member[:TAG_LENGTH]}}}{member[TAG_LENGTH:]}"
        return StormKeys(base, f"{base}:rate", f"{base}:pattern", f"{base}:affected")

    def queued(self, member: str) -> str:
        """Return the key holding what a queued member's status write writes."""
        if member.startswith(STORM_MEMBER):
            return self.storm(member.removeprefix(STORM_MEMBER)).scope
        if member.startswith(FLAP_MEMBER):
            return self.transitions_of(member.removeprefix(FLAP_MEMBER))
        return self.record_of(member)

    def bucket(self, caller: str) -> str:
        """Return the key of a caller's token bucket (its own slot)."""
        tag = hashlib.sha256(caller.encode()).hexdigest()[:16]
        return f"{self._prefix}rl:{{{tag}}}"

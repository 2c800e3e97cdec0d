"""The scripts' replies, decoded into the ports' dataclasses; each reply's shape is documented
in its script's header, and every kind and field is named here."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum, StrEnum
from typing import Any, NamedTuple

from app.adapters.redis_keys import full_name, member_fingerprint
from app.domain import ObjectRef
from app.service.ports import (
    Flapping,
    Occurrences,
    Recorded,
    SignalCount,
    SignalIdentity,
    StormAggregation,
    StormDecision,
)


class ReplyKind(StrEnum):
    """What record_signals made of one signal: the first element of the signal's entry."""

    DUPLICATE = "d"
    CLAIMED = "c"
    AGGREGATED = "a"
    RESOLVED = "r"
    RESOLVED_WITHOUT_RECORD = "n"
    # Not an entry: the whole reply, when the caller had no request token.
    RATE_LIMITED = "l"
    # Not a signal's entry: the last one, without a queue key, lists the status writes due.
    DUE = "q"


class RecordState(StrEnum):
    """A record's `s` field."""

    PENDING = "p"
    CREATED = "c"
    AGGREGATED = "a"
    RELEASED = "r"


# A resolved signal's record in these states is backed by a resource (its own or a storm's).
BACKED = (RecordState.CREATED, RecordState.AGGREGATED)


class Take(IntEnum):
    """What take_occurrences and take_storm answer first."""

    NOTHING = 0
    LATER = 1
    NOW = 2


class SignalReply(NamedTuple):
    """One signal's entry of a record_signals reply."""

    recorded: Recorded


def text(value: Any) -> str:
    """Return a reply's string (bytes decoded; nil as "")."""
    return value.decode() if isinstance(value, bytes) else str(value or "")


def rate_limited_ms(reply: list[Any]) -> int | None:
    """Return the ms until the caller has a token if record_signals recorded nothing for lack
    of one, else None."""
    if reply and not isinstance(reply[0], list) and text(reply[0]) == ReplyKind.RATE_LIMITED:
        return int(reply[1])
    return None


def split_due(reply: list[Any]) -> tuple[list[Any], dict[str, int]]:
    """Return a record_signals reply's signal entries, and the status writes its last entry
    lists as due (Cluster: the caller queues them), by member."""
    if reply and text(reply[-1][0]) == ReplyKind.DUE:
        listed = reply[-1][1:]
        due = {text(member): int(ms) for ms, member in zip(listed[::2], listed[1::2], strict=True)}
        return reply[:-1], due
    return reply, {}


def decode_signal(entry: list[Any], fingerprint: str) -> SignalReply:
    """Decode one signal's entry of a record_signals reply."""
    return _DECODERS[text(entry[0])](entry, fingerprint)


def _ref(fingerprint: str, namespace: Any, name: Any) -> ObjectRef:
    """The resource an entry names, its name read in full."""
    return ObjectRef(text(namespace), full_name(fingerprint, text(name)))


def _claimed(entry: list[Any], fingerprint: str) -> SignalReply:
    _, count, namespace, name, first_seen, _due, storm, *tipped = entry
    ref = _ref(fingerprint, namespace, name)
    decision = StormDecision("none")
    if text(storm) == "tipped":
        storm_type, *affected = tipped
        decision = StormDecision("tipped", ref, text(storm_type), tuple(map(text, affected)))
    return SignalReply(Recorded("claimed", int(count), ref, int(first_seen), decision))


def _duplicate(entry: list[Any], fingerprint: str) -> SignalReply:
    _, count, namespace, name, first_seen, _due = entry
    ref = _ref(fingerprint, namespace, name)
    return SignalReply(Recorded("duplicate", int(count), ref, int(first_seen)))


def _aggregated(entry: list[Any], fingerprint: str) -> SignalReply:
    _, count, namespace, name, first_seen, _newly_unwritten = entry
    storm = _ref(fingerprint, namespace, name)
    decision = StormDecision("aggregated", storm)
    return SignalReply(Recorded("aggregated", int(count), storm, int(first_seen), decision))


def _resolved(entry: list[Any], fingerprint: str) -> SignalReply:
    _, count, namespace, name, state, first_seen = entry
    ref = _ref(fingerprint, namespace, name) if text(state) in BACKED else None
    return SignalReply(Recorded("resolved", int(count), ref, int(first_seen)))


def _resolved_without_record(_entry: list[Any], _fingerprint: str) -> SignalReply:
    return SignalReply(Recorded("resolved"))


# By kind, looked up by the reply's text (a StrEnum member is equal to its value).
_DECODERS: dict[str, Callable[[list[Any], str], SignalReply]] = {
    ReplyKind.CLAIMED: _claimed,
    ReplyKind.DUPLICATE: _duplicate,
    ReplyKind.AGGREGATED: _aggregated,
    ReplyKind.RESOLVED: _resolved,
    ReplyKind.RESOLVED_WITHOUT_RECORD: _resolved_without_record,
}


# A signal's type as a record's distinct signals hold it (one letter: records stay small).
_TYPES = {"prometheus-alert": "a", "kubernetes-event": "e"}
_TYPE_NAMES = {letter: name for name, letter in _TYPES.items()}


def encode_signal(signal: SignalIdentity) -> str:
    """Return a signal as a record counts it: "<type>|<kind>|<target name>|<name>"."""
    kind = _TYPES.get(signal.signal_type, signal.signal_type)
    return f"{kind}|{signal.target_kind}|{signal.target_name}|{signal.name}"


def _decode_signal_count(signal: Any, figures: Any) -> SignalCount:
    kind, target_kind, target_name, name = text(signal).split("|", 3)
    count, last_seen = text(figures).split(" ")
    identity = SignalIdentity(name, _TYPE_NAMES.get(kind, kind), target_kind, target_name)
    return SignalCount(identity, int(count), int(last_seen))


def decode_occurrences(reply: list[Any], *, member: str) -> Occurrences | int | None:
    """Decode take_occurrences: what to write now, the ms when it is due, or None."""
    if Take(reply[0]) is not Take.NOW:
        return _not_now(reply)
    _, count, first_seen, last_seen, namespace, name, more, left_out, *signals = reply
    listed = [_decode_signal_count(*pair) for pair in zip(signals[::2], signals[1::2], strict=True)]
    return Occurrences(
        ref=_ref(member_fingerprint(member), namespace, name),
        count=int(count),
        first_seen_ms=int(first_seen),
        last_seen_ms=int(last_seen),
        more=bool(int(more)),
        signals=tuple(sorted(listed, key=lambda s: -s.last_seen_ms)),
        signals_truncated=int(left_out),
    )


def decode_storm(reply: list[Any]) -> StormAggregation | int | None:
    """Decode take_storm: what to write now, the ms when it is due, or None."""
    if Take(reply[0]) is not Take.NOW:
        return _not_now(reply)
    _, alerts, truncated, updated, namespace, name, *affected = reply
    return StormAggregation(
        ref=ObjectRef(text(namespace), text(name)),
        alert_count=int(alerts),
        truncated=int(truncated),
        updated_ms=int(updated),
        affected=tuple(map(text, affected)),
    )


def decode_flapping(reply: list[Any], *, member: str) -> Flapping | int | None:
    """Decode take_flapping: what to write now, the ms when it is due, or None."""
    if Take(reply[0]) is not Take.NOW:
        return _not_now(reply)
    _, state, changes, since, stops, namespace, name = reply
    return Flapping(
        ref=_ref(member_fingerprint(member), namespace, name),
        flapping=text(state) == "on",
        transitions=int(changes),
        since_ms=int(since),
        stops_ms=int(stops),
    )


def _not_now(reply: list[Any]) -> int | None:
    """The ms when a take is due (Take.LATER), or None (Take.NOTHING)."""
    return int(reply[1]) if Take(reply[0]) is Take.LATER else None

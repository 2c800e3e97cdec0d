"""A request's signals as record_signals calls: grouped by storm scope (every group in one call
on standalone Redis, a call per group in Cluster, where a group is one slot), with KEYS and
ARGV laid out as the script's header documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.adapters.redis_keys import (
    STORM_MEMBER,
    TAG_LENGTH,
    KeyLayout,
    short_id,
    stored_name,
)
from app.adapters.redis_replies import encode_signal
from app.domain import FlappingSettings, StormSettings
from app.service.ports import Admission, Observation

# A scope's queue member (its slot's tag, then its id), and the indexes of its observations.
Group = tuple[str, list[int]]


@dataclass(frozen=True)
class RecordCall:
    """One record_signals call, and which observation each entry of its reply answers."""

    keys: list[str]
    args: list[Any]
    order: list[int]


def record_settings(
    *,
    ttl_ms: int,
    claim_ttl_ms: int,
    status_interval_ms: int,
    storms: StormSettings,
    flapping: FlappingSettings,
    prefix: str,
) -> list[int]:
    """Return ARGV[2] to ARGV[13] of record_signals: the record, storm and flapping settings."""
    return [
        ttl_ms,
        claim_ttl_ms,
        status_interval_ms,
        storms.rate_threshold,
        int(storms.rate_window * 1000),
        storms.pattern_threshold,
        int(storms.pattern_window * 1000),
        storms.max_affected,
        int(storms.quiet_period * 1000),
        flapping.transitions,
        int(flapping.window * 1000),
        len(prefix),
    ]


def _batches(
    observations: Sequence[Observation], *, keys: KeyLayout, cluster: bool
) -> list[list[Group]]:
    """Group observations by storm scope: every group in one call standalone, a call per
    slot (the groups whose keys share a hash tag) in Cluster."""
    groups: dict[str, list[int]] = {}
    for index, observation in enumerate(observations):
        groups.setdefault(keys.storm_member(observation.scope), []).append(index)
    if not cluster:
        return [list(groups.items())]
    slots: dict[str, list[Group]] = {}
    for group in groups.items():
        slots.setdefault(group[0][:TAG_LENGTH], []).append(group)
    return list(slots.values())


class RecordCalls:
    """Lay out the record_signals calls of a request: their KEYS and ARGV."""

    def __init__(self, keys: KeyLayout, *, settings: list[int]) -> None:
        self._keys = keys
        self._settings = settings

    def build(
        self,
        observations: Sequence[Observation],
        *,
        now_ms: int,
        cluster: bool,
        admission: Admission | None,
    ) -> list[RecordCall]:
        """Return the calls recording `observations`; each takes the admission's token, so
        the caller passes one only for a single call (standalone)."""
        return [
            self._encode(observations, batch, now_ms=now_ms, cluster=cluster, admission=admission)
            for batch in _batches(observations, keys=self._keys, cluster=cluster)
        ]

    def _encode(
        self,
        observations: Sequence[Observation],
        batch: list[Group],
        *,
        now_ms: int,
        cluster: bool,
        admission: Admission | None,
    ) -> RecordCall:
        """Return the call recording a batch of observations."""
        call = self._head(now_ms=now_ms, cluster=cluster, admission=admission)
        keys, args, order = call.keys, call.args, call.order
        args.append(len(batch))
        for scope_member, indexes in batch:
            keys += self._keys.storm(scope_member)
            args += (STORM_MEMBER + scope_member, len(indexes))
            for index in indexes:
                observation = observations[index]
                member = scope_member[:TAG_LENGTH] + short_id(observation.fingerprint)
                keys.append(self._keys.record_of(member))
                args += _signal_args(observation, member)
                order.append(index)
        return call

    def _head(self, *, now_ms: int, cluster: bool, admission: Admission | None) -> RecordCall:
        """The KEYS and ARGV before the groups: the queue (standalone), the settings, and the
        caller's bucket."""
        call = RecordCall([] if cluster else [self._keys.queue], [], [])
        call.args.extend([now_ms, *self._settings, 0 if cluster else 1])
        if admission:
            call.keys.append(self._keys.bucket(admission.caller))
            call.args.extend([admission.rate, admission.burst])
        else:
            call.args.extend([0, 0])
        return call


def _signal_args(observation: Observation, member: str) -> tuple[str, str, str]:
    """A signal's three values: what it is and names (none has a space), its resource, and
    the signal to count among its record's distinct signals (or "")."""
    ref = observation.ref
    name = ref.name or "-"
    fingerprint = observation.fingerprint
    stored = stored_name(fingerprint, name)
    ended = ",".join(stored_name(fingerprint, ended) for ended in observation.ended) or "-"
    return (
        f"{int(observation.firing)} {observation.token or '-'} "
        f"{ref.namespace or '-'} {name} {member} {stored} {ended}",
        observation.resource,
        encode_signal(observation.signal) if observation.signal else "",
    )

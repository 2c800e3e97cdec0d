"""Script replies decode into the ports' dataclasses, every reply kind the scripts send named."""

from __future__ import annotations

import re

from app.adapters.redis_keys import short_id, storm_tag
from app.adapters.redis_replies import (
    ReplyKind,
    Take,
    decode_flapping,
    decode_occurrences,
    decode_signal,
    decode_storm,
    encode_signal,
    rate_limited_ms,
    split_due,
)
from app.adapters.redis_scripts import load
from app.domain import ObjectRef, fingerprint
from app.service.ports import (
    Flapping,
    Occurrences,
    Recorded,
    SignalCount,
    SignalIdentity,
    StormAggregation,
    StormDecision,
    StormScope,
)

FP = fingerprint(signal_name="HighCPU", namespace="prod", kind="Pod", name="api-1")
OWN = ObjectRef("prod", f"rr-{FP[:12]}-a1b2c3d4")
STORM = ObjectRef("prod", "rr-0123456789ab-zz99yy88")
NOW = 1_795_000_000_000


def test_every_reply_kind_record_signals_documents_is_named():
    header = "".join(re.findall(r"^--.*$", load("record_signals"), flags=re.MULTILINE))

    assert set(re.findall(r'\{"(\w)"', header)) == {kind.value for kind in ReplyKind}


def test_a_claim_that_tips_its_scope_carries_the_storm_and_its_resources():
    entry = [b"c", 1, b"prod", OWN.name.encode(), NOW, 0, b"tipped", b"pattern", b"a", b"b"]

    reply = decode_signal(entry, FP)

    tipped = StormDecision("tipped", OWN, "pattern", ("a", "b"))
    assert reply.recorded == Recorded("claimed", 1, OWN, NOW, tipped)


def test_a_duplicate_reads_its_own_name_in_full():
    reply = decode_signal([b"d", 3, b"prod", b"a1b2c3d4", NOW, NOW + 5], FP)

    assert reply.recorded == Recorded("duplicate", 3, OWN, NOW)


def test_an_aggregated_signal_names_the_storm_resource():
    entry = [b"a", 1, b"prod", STORM.name.encode(), NOW, 1]

    reply = decode_signal(entry, FP)

    aggregated = StormDecision("aggregated", STORM)
    assert reply.recorded == Recorded("aggregated", 1, STORM, NOW, aggregated)


def test_the_status_writes_a_cluster_call_leaves_to_its_caller_come_apart_from_the_entries():
    duplicate = [b"d", 3, b"prod", b"a1b2c3d4", NOW, NOW + 5]
    entries, due = split_due([duplicate, [b"q", NOW + 5, b"tag-id", NOW, b"f:tag-id"]])
    assert (entries, due) == ([duplicate], {"tag-id": NOW + 5, "f:tag-id": NOW})
    assert split_due([duplicate]) == ([duplicate], {})


def test_a_resolved_signal_names_a_resource_only_when_one_backs_its_record():
    pending = decode_signal([b"r", 2, b"prod", b"a1b2c3d4", b"p", NOW], FP)
    created = decode_signal([b"r", 2, b"prod", b"a1b2c3d4", b"c", NOW], FP)
    unknown = decode_signal([b"n"], FP)

    assert pending.recorded == Recorded("resolved", 2, None, NOW)
    assert created.recorded == Recorded("resolved", 2, OWN, NOW)
    assert unknown.recorded == Recorded("resolved")


def test_only_a_reply_without_a_token_is_rate_limited():
    assert rate_limited_ms([b"l", 250]) == 250
    assert rate_limited_ms([[b"n"]]) is None
    assert rate_limited_ms([]) is None


def test_a_take_is_nothing_later_or_the_figures_to_write_now():
    member = storm_tag(StormScope("prod", "HighCPU")) + short_id(FP)

    assert decode_occurrences([Take.NOTHING], member=member) is None
    assert decode_occurrences([Take.LATER, NOW], member=member) == NOW
    reply = [Take.NOW, 4, NOW, NOW + 9, b"prod", b"a1b2c3d4", 0, 0]
    assert decode_occurrences(reply, member=member) == Occurrences(OWN, 4, NOW, NOW + 9)
    ended = decode_occurrences([*reply[:-2], 1, 0], member=member)
    assert ended == Occurrences(OWN, 4, NOW, NOW + 9, more=True)


def test_a_workload_records_distinct_signals_come_newest_first_with_those_left_out():
    member = storm_tag(StormScope("prod", "HighCPU")) + short_id(FP)
    crash = SignalIdentity("Crash|Loop", "prometheus-alert", "Pod", "api-1")
    oom = SignalIdentity("OOMKilled", "kubernetes-event", "Pod", "api-2")
    signals = [encode_signal(crash), f"2 {NOW}", encode_signal(oom), f"1 {NOW + 5}"]
    reply = [Take.NOW, 3, NOW, NOW + 5, b"prod", b"a1b2c3d4", 0, 4, *signals]

    written = decode_occurrences(reply, member=member)

    assert isinstance(written, Occurrences)
    assert written.signals == (SignalCount(oom, 1, NOW + 5), SignalCount(crash, 2, NOW))
    assert written.signals_truncated == 4


def test_a_flapping_take_says_on_or_off_for_the_resource_it_labels():
    member = storm_tag(StormScope("prod", "HighCPU")) + short_id(FP)
    on = [Take.NOW, b"on", 6, NOW, NOW + 1800_000, b"prod", b"a1b2c3d4"]

    assert decode_flapping(on, member=member) == Flapping(OWN, True, 6, NOW, NOW + 1800_000)
    off = Flapping(OWN, False, 6, NOW, NOW + 1800_000)
    assert decode_flapping([Take.NOW, b"off", *on[2:]], member=member) == off
    assert decode_flapping([Take.LATER, NOW], member=member) == NOW


def test_a_storm_take_carries_its_figures_and_affected_resources():
    reply = [Take.NOW, 12, 2, NOW, b"prod", STORM.name.encode(), b"a", b"b"]

    assert decode_storm(reply) == StormAggregation(STORM, 12, 2, NOW, ("a", "b"))
    assert decode_storm([Take.LATER, NOW]) == NOW

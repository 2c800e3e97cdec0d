"""Script replies decode into the ports' dataclasses, every reply kind the scripts send named."""

from __future__ import annotations

import re

from app.adapters.redis_keys import short_id, storm_tag
from app.adapters.redis_replies import (
    ReplyKind,
    Take,
    decode_occurrences,
    decode_signal,
    decode_storm,
    rate_limited_ms,
)
from app.adapters.redis_scripts import load
from app.domain import ObjectRef, fingerprint
from app.service.ports import (
    Occurrences,
    Recorded,
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


def test_a_duplicate_reads_its_own_name_in_full_and_says_when_its_write_is_due():
    reply = decode_signal([b"d", 3, b"prod", b"a1b2c3d4", NOW, NOW + 5], FP)

    assert reply.recorded == Recorded("duplicate", 3, OWN, NOW)
    assert (reply.due_ms, reply.storm_unwritten) == (NOW + 5, False)


def test_an_aggregated_signal_names_the_storm_resource_and_whether_its_figures_are_unwritten():
    entry = [b"a", 1, b"prod", STORM.name.encode(), NOW, 1]

    reply = decode_signal(entry, FP)

    aggregated = StormDecision("aggregated", STORM)
    assert reply.recorded == Recorded("aggregated", 1, STORM, NOW, aggregated)
    assert (reply.due_ms, reply.storm_unwritten) == (0, True)


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
    written = decode_occurrences([Take.NOW, 4, NOW, NOW + 9, b"prod", b"a1b2c3d4"], member=member)
    assert written == Occurrences(OWN, 4, NOW, NOW + 9)


def test_a_storm_take_carries_its_figures_and_affected_resources():
    reply = [Take.NOW, 12, 2, NOW, b"prod", STORM.name.encode(), b"a", b"b"]

    assert decode_storm(reply) == StormAggregation(STORM, 12, 2, NOW, ("a", "b"))
    assert decode_storm([Take.LATER, NOW]) == NOW

"""A record holds its own resource's name short, and every name reads back in full."""

from __future__ import annotations

import pytest

from app.adapters.redis_keys import (
    full_name,
    member_fingerprint,
    short_id,
    stored_name,
    storm_tag,
)
from app.domain import fingerprint
from app.service.ports import StormScope

FP = fingerprint(signal_name="HighCPU", namespace="prod", kind="Pod", name="api-1")
OTHER = fingerprint(signal_name="HighCPU", namespace="prod", kind="Pod", name="api-2")


def test_the_fingerprints_own_name_is_stored_as_its_suffix():
    assert stored_name(FP, f"rr-{FP[:12]}-a1b2c3d4") == "a1b2c3d4"


@pytest.mark.parametrize(
    "name",
    [
        f"rr-{FP[:12]}-a1b2c3d4",  # its own
        f"rr-{OTHER[:12]}-a1b2c3d4",  # a storm resource's: another fingerprint's
        f"rr-{FP[:12]}-a1b2-c3d4",  # own prefix, but not the contract's suffix
        f"rr-{FP[:12]}-",  # own prefix, no suffix
        "rr-7",
        "handmade",  # not named by the contract: no dash
        "=odd",
        "",
    ],
)
def test_every_name_reads_back_as_it_was(name):
    assert full_name(FP, stored_name(FP, name)) == name


def test_names_of_other_resources_are_stored_whole():
    storm = f"rr-{OTHER[:12]}-a1b2c3d4"
    assert stored_name(FP, storm) == storm
    assert stored_name(FP, "handmade") == "=handmade"


def test_a_record_written_with_a_full_name_reads_it_as_it_is():
    # A stored name with a "-" is a full name: it reads as it is.
    assert full_name(FP, f"rr-{FP[:12]}-a1b2c3d4") == f"rr-{FP[:12]}-a1b2c3d4"


def test_a_record_id_gives_back_the_fingerprints_leading_digits():
    member = storm_tag(StormScope("prod", "HighCPU")) + short_id(FP)
    assert member_fingerprint(member) == FP[:32]
    assert full_name(member_fingerprint(member), "a1b2c3d4") == f"rr-{FP[:12]}-a1b2c3d4"

"""The suite's one way of waiting: poll with a deadline."""

from __future__ import annotations

import pytest

from tests.support.waiting import eventually


def test_eventually_returns_the_first_truthy_answer():
    answers = iter([None, 0, "", "ready", "later"])
    assert eventually(lambda: next(answers), within=5, what="ready", every=0) == "ready"


def test_eventually_raises_the_given_error_naming_what_is_still_missing():
    asked = []

    def missing() -> str:
        asked.append(True)
        return "node 7001: cluster_state:fail"

    with pytest.raises(LookupError, match=r"not within 0s: node 7001: cluster_state:fail"):
        eventually(lambda: None, within=0, what=missing, every=0, error=LookupError)
    assert asked == [True]


def test_eventually_fails_as_an_assertion_by_default():
    with pytest.raises(AssertionError, match=r"not within 0\.2s: the thing"):
        eventually(lambda: False, within=0.2, what="the thing", every=0.01)

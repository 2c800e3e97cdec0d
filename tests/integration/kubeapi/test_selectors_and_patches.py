"""Label selector parsing, JSON patches and merge patches, tested directly."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.kubeapi.patches import PatchError, json_patch, merge_patch
from tests.support.kubeapi.selectors import FieldSelector, LabelSelector
from tests.support.kubeapi.status import ApiError


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("", {}, True),
        ("a=", {"a": ""}, True),
        ("a=", {}, False),
        ("a!=x", {}, True),
        ("a notin (x, y)", {"a": "z"}, True),
        ("a in (x,)", {"a": ""}, True),
        ("a>2", {"a": "3"}, True),
        ("a<2", {"a": "3"}, False),
        ("a>2", {"a": "three"}, False),
        ("example.com/tier in (web)", {"example.com/tier": "web"}, True),
        ("  a = b , c ", {"a": "b", "c": "1"}, True),
    ],
)
def test_label_selectors_match_like_kube(
    selector: str, labels: dict[str, str], expected: bool
) -> None:
    assert LabelSelector.parse(selector).matches(labels) is expected


@pytest.mark.parametrize(
    "selector", ["a in", "a in ()", "=b", "a=b=c", "a b", "a in (x", "bad key!=1", "a>x"]
)
def test_malformed_label_selectors_are_bad_requests(selector: str) -> None:
    with pytest.raises(ApiError) as caught:
        LabelSelector.parse(selector)
    assert caught.value.code == 400


def test_field_selectors_support_name_and_namespace_only() -> None:
    obj = {"metadata": {"name": "a", "namespace": "n"}}
    assert FieldSelector.parse("metadata.name=a,metadata.namespace!=m").matches(obj)
    assert not FieldSelector.parse("metadata.name==b").matches(obj)
    with pytest.raises(ApiError):
        FieldSelector.parse("spec.severity=critical")


def test_merge_patch_follows_rfc_7386() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}, "list": [1, 2]}
    patch = {"a": "z", "c": {"f": None}, "list": [3], "new": {"x": None, "y": 1}}
    assert merge_patch(target, patch) == {"a": "z", "c": {"d": "e"}, "list": [3], "new": {"y": 1}}
    assert target["c"] == {"d": "e", "f": "g"}


def test_json_patch_supports_move_copy_and_escaped_pointers() -> None:
    document: dict[str, Any] = {"a/b": 1, "m~n": 2, "list": ["x"]}
    patched = json_patch(
        document,
        [
            {"op": "copy", "from": "/a~1b", "path": "/copied"},
            {"op": "move", "from": "/m~0n", "path": "/moved"},
            {"op": "add", "path": "/list/0", "value": "first"},
        ],
    )
    assert patched == {"a/b": 1, "copied": 1, "moved": 2, "list": ["first", "x"]}
    assert document == {"a/b": 1, "m~n": 2, "list": ["x"]}


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "/missing"},
        {"op": "replace", "path": "/missing", "value": 1},
        {"op": "add", "path": "/list/5", "value": 1},
        {"op": "test", "path": "/a", "value": 2},
        {"op": "add", "path": "no-slash", "value": 1},
        {"op": "frobnicate", "path": "/a"},
    ],
)
def test_json_patch_errors_are_reported(operation: dict[str, Any]) -> None:
    with pytest.raises(PatchError):
        json_patch({"a": 1, "list": []}, [operation])

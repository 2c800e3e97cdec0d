"""Structural schema validation and pruning, against hand-written schemas and the real CRD."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.kubeapi.crd import load_crds
from tests.support.kubeapi.schema import FieldError, prune, validate

from .helpers import API_VERSION, CRD_PATH, valid_spec


def _crd_schema() -> Any:
    (resource,) = load_crds([CRD_PATH])
    return resource.preferred.schema


def _errors(schema: dict[str, Any], value: Any) -> list[tuple[str, str, str]]:
    return [(e.field, e.reason, e.message) for e in validate(schema, value)]


def _rr(**spec_overrides: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "RemediationRequest",
        "metadata": {"name": "rr-x"},
        "spec": valid_spec(**spec_overrides),
    }


def test_a_valid_remediation_request_has_no_errors() -> None:
    assert validate(_crd_schema(), _rr()) == []


def test_every_error_is_reported_not_just_the_first() -> None:
    body = _rr(severity="bad")
    del body["spec"]["signalName"]
    errors = validate(_crd_schema(), body)
    assert [str(e) for e in errors] == [
        'spec.severity: Unsupported value: "bad": supported values: "critical", "warning", "info"',
        "spec.signalName: Required value",
    ]
    assert [e.reason for e in errors] == ["FieldValueNotSupported", "FieldValueRequired"]


def test_a_missing_spec_is_required_at_the_root() -> None:
    body = _rr()
    del body["spec"]
    assert _errors(_crd_schema(), body) == [("spec", "FieldValueRequired", "Required value")]


def test_a_wrong_type_names_the_expected_and_actual_types() -> None:
    assert _errors(_crd_schema(), _rr(stormAlertCount="many")) == [
        (
            "spec.stormAlertCount",
            "FieldValueTypeInvalid",
            'Invalid value: "string": spec.stormAlertCount in body must be of type integer: '
            '"string"',
        )
    ]


def test_null_is_a_type_error_unless_nullable() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string", "nullable": True}},
    }
    assert _errors(schema, {"a": None, "b": None}) == [
        (
            "a",
            "FieldValueTypeInvalid",
            'Invalid value: "null": a in body must be of type string: "null"',
        )
    ]


def test_pattern_and_length_limits_are_checked() -> None:
    errors = _errors(_crd_schema(), _rr(signalFingerprint="XYZ", stormWindow="soon"))
    assert errors == [
        (
            "spec.signalFingerprint",
            "FieldValueInvalid",
            'Invalid value: "XYZ": spec.signalFingerprint in body should be at least 64 chars long',
        ),
        (
            "spec.signalFingerprint",
            "FieldValueInvalid",
            "Invalid value: \"XYZ\": spec.signalFingerprint in body should match '^[a-f0-9]{64}$'",
        ),
        (
            "spec.stormWindow",
            "FieldValueInvalid",
            "Invalid value: \"soon\": spec.stormWindow in body should match '^[0-9]+(ms|s|m|h)$'",
        ),
    ]


def test_max_length_is_too_long() -> None:
    errors = validate(_crd_schema(), _rr(environment="e" * 64))
    assert errors == [
        FieldError("FieldValueTooLong", "spec.environment", "Too long: may not be longer than 63")
    ]


@pytest.mark.parametrize(
    "stamp",
    ["2026-11-24T10:00:00Z", "2026-11-24T10:00:00.123+02:00", "2026-11-24t10:00:00z"],
)
def test_rfc3339_date_times_are_accepted(stamp: str) -> None:
    assert validate(_crd_schema(), _rr(firingTime=stamp)) == []


@pytest.mark.parametrize(
    "stamp", ["2026-11-24", "2026-13-01T00:00:00Z", "2026-11-24T10:00:00", "yesterday"]
)
def test_other_date_times_are_rejected(stamp: str) -> None:
    errors = validate(_crd_schema(), _rr(firingTime=stamp))
    assert [(e.field, e.reason) for e in errors] == [("spec.firingTime", "FieldValueInvalid")]
    assert "must be of type date-time" in errors[0].message


def test_byte_fields_need_padded_standard_base64() -> None:
    assert validate(_crd_schema(), _rr(originalPayload="eyJhIjoxfQ==")) == []
    errors = validate(_crd_schema(), _rr(originalPayload="eyJhIjoxfQ"))
    assert [(e.field, e.reason) for e in errors] == [("spec.originalPayload", "FieldValueInvalid")]
    assert errors[0].message.endswith('must be of type byte: "eyJhIjoxfQ"')


def test_numeric_bounds_are_checked() -> None:
    schema = {
        "type": "object",
        "properties": {
            "low": {"type": "integer", "minimum": 1},
            "high": {"type": "number", "maximum": 2, "exclusiveMaximum": True},
        },
    }
    assert _errors(schema, {"low": 0, "high": 2}) == [
        ("high", "FieldValueInvalid", "Invalid value: 2: high in body should be less than 2"),
        (
            "low",
            "FieldValueInvalid",
            "Invalid value: 0: low in body should be greater than or equal to 1",
        ),
    ]


def test_booleans_are_not_integers() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    assert [e.reason for e in validate(schema, {"n": True})] == ["FieldValueTypeInvalid"]
    assert validate(schema, {"n": 3}) == []


def test_item_and_property_counts_are_limited() -> None:
    labels = {f"k{i}": "v" for i in range(65)}
    resources = ["ns:Pod:p"] * 101
    errors = validate(_crd_schema(), _rr(signalLabels=labels, affectedResources=resources))
    assert errors == [
        FieldError(
            "FieldValueTooMany",
            "spec.affectedResources",
            "Too many: 101: must have at most 100 items",
        ),
        FieldError(
            "FieldValueTooMany", "spec.signalLabels", "Too many: 65: must have at most 64 items"
        ),
    ]


def test_map_entries_and_array_items_have_indexed_paths() -> None:
    errors = validate(
        _crd_schema(), _rr(signalLabels={"team": 7}, affectedResources=["ok", "x" * 513])
    )
    assert [(e.field, e.reason) for e in errors] == [
        ("spec.affectedResources[1]", "FieldValueTooLong"),
        ("spec.signalLabels[team]", "FieldValueTypeInvalid"),
    ]


def test_min_items_and_min_properties_are_checked() -> None:
    schema = {
        "type": "object",
        "properties": {
            "list": {"type": "array", "minItems": 1, "items": {"type": "string"}},
            "map": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {"type": "string"},
            },
        },
    }
    assert [m for _, _, m in _errors(schema, {"list": [], "map": {}})] == [
        "Invalid value: []: list in body should have at least 1 items",
        "Invalid value: {}: map in body should have at least 1 properties",
    ]


def test_int_or_string_accepts_both_and_nothing_else() -> None:
    schema = {"type": "object", "properties": {"port": {"x-kubernetes-int-or-string": True}}}
    assert validate(schema, {"port": 80}) == []
    assert validate(schema, {"port": "http"}) == []
    assert [e.reason for e in validate(schema, {"port": [80]})] == ["FieldValueTypeInvalid"]


def test_unknown_fields_are_pruned_at_every_level() -> None:
    body = _rr()
    body["spec"]["unknown"] = 1
    body["spec"]["targetResource"]["uid"] = "x"
    body["extra"] = True
    pruned = prune(_crd_schema(), body)
    assert "unknown" not in pruned["spec"]
    assert pruned["spec"]["targetResource"] == {"kind": "Pod", "name": "p", "namespace": "team-a"}
    assert "extra" not in pruned
    assert body["spec"]["unknown"] == 1, "prune must not modify its input"


def test_root_metadata_is_not_pruned() -> None:
    body = _rr()
    body["metadata"]["labels"] = {"a": "b"}
    body["metadata"]["finalizers"] = ["x"]
    assert prune(_crd_schema(), body)["metadata"] == body["metadata"]


def test_preserve_unknown_fields_keeps_unknown_fields_but_prunes_known_ones() -> None:
    body = _rr()
    body["status"] = {
        "overallPhase": "Processing",
        "controllerData": {"anything": [1, 2]},
        "deduplication": {"occurrenceCount": 2, "bogus": True},
    }
    assert prune(_crd_schema(), body)["status"] == {
        "overallPhase": "Processing",
        "controllerData": {"anything": [1, 2]},
        "deduplication": {"occurrenceCount": 2},
    }


def test_additional_properties_schemas_prune_and_validate_map_values() -> None:
    schema = {
        "type": "object",
        "properties": {
            "m": {
                "type": "object",
                "additionalProperties": {"type": "object", "properties": {"a": {"type": "string"}}},
            }
        },
    }
    assert prune(schema, {"m": {"x": {"a": "1", "b": 2}}}) == {"m": {"x": {"a": "1"}}}
    assert [e.field for e in validate(schema, {"m": {"x": {"a": 1}}})] == ["m[x].a"]


def test_enum_compares_by_type() -> None:
    schema = {"type": "object", "properties": {"v": {"enum": [1, "a"]}}}
    assert validate(schema, {"v": 1}) == []
    assert [e.reason for e in validate(schema, {"v": True})] == ["FieldValueNotSupported"]


def test_all_of_any_of_and_one_of_are_checked() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "allOf": [{"maxLength": 2}]},
            "b": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]},
            "c": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
        },
    }
    fields = [e.field for e in validate(schema, {"a": "abc", "b": "x", "c": 1})]
    assert fields == ["a", "b", "c"]

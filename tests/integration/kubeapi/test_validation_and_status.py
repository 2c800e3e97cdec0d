"""Schema validation, pruning and the status subresource, seen through the real client."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from tests.support.kubeapi import KubeApiServer

from .helpers import GROUP, NAMESPACE, PLURAL, VERSION, create_rr, rr_body, status_of, valid_spec


def _invalid(custom: Any, body: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ApiException) as caught:
        create_rr(custom, body)
    assert caught.value.status == 422
    status = status_of(caught.value)
    assert status["reason"] == "Invalid"
    assert status["kind"] == "Status"
    return status


def test_invalid_body_lists_every_cause_like_kube(custom: Any) -> None:
    spec = valid_spec(severity="bad")
    del spec["signalName"]
    status = _invalid(custom, rr_body("rr-x", spec=spec))
    assert status["message"] == (
        'RemediationRequest.remediation.kubernaut.io "rr-x" is invalid: [spec.severity: '
        'Unsupported value: "bad": supported values: "critical", "warning", "info", '
        "spec.signalName: Required value]"
    )
    assert status["details"]["name"] == "rr-x"
    assert status["details"]["group"] == GROUP
    assert status["details"]["kind"] == "RemediationRequest"
    assert [(c["reason"], c["field"]) for c in status["details"]["causes"]] == [
        ("FieldValueNotSupported", "spec.severity"),
        ("FieldValueRequired", "spec.signalName"),
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"signalFingerprint": "g" * 64}, "spec.signalFingerprint", "FieldValueInvalid"),
        (
            {"occurrence": 1, "stormAlertCount": "3"},
            "spec.stormAlertCount",
            "FieldValueTypeInvalid",
        ),
        ({"signalName": "s" * 254}, "spec.signalName", "FieldValueTooLong"),
        ({"receivedTime": "2026-11-24 10:00"}, "spec.receivedTime", "FieldValueInvalid"),
        ({"originalPayload": "not base64!"}, "spec.originalPayload", "FieldValueInvalid"),
        ({"priority": "P5"}, "spec.priority", "FieldValueNotSupported"),
        ({"signalLabels": {"team": 1}}, "spec.signalLabels[team]", "FieldValueTypeInvalid"),
    ],
)
def test_each_schema_rule_rejects_with_its_cause(
    custom: Any, overrides: dict[str, Any], field: str, reason: str
) -> None:
    status = _invalid(custom, rr_body("rr-1", spec=valid_spec(**overrides)))
    assert [(c["field"], c["reason"]) for c in status["details"]["causes"]] == [(field, reason)]


def test_nested_required_fields_are_reported_with_their_path(custom: Any) -> None:
    spec = valid_spec(deduplication={"firstSeen": "2026-11-24T10:00:00Z"})
    status = _invalid(custom, rr_body("rr-1", spec=spec))
    assert [c["field"] for c in status["details"]["causes"]] == [
        "spec.deduplication.lastSeen",
        "spec.deduplication.occurrenceCount",
    ]


def test_create_drops_status(custom: Any, server: KubeApiServer) -> None:
    created = create_rr(custom, rr_body("rr-1", status={"overallPhase": "Completed"}))
    assert "status" not in created
    stored = server.get_object(PLURAL, NAMESPACE, "rr-1")
    assert stored is not None
    assert "status" not in stored


def test_merge_patch_to_status_changes_only_status(custom: Any) -> None:
    created = create_rr(custom, rr_body("rr-1"))
    patched = custom.patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        NAMESPACE,
        PLURAL,
        "rr-1",
        {
            "status": {"deduplication": {"occurrenceCount": 3}},
            "spec": {"severity": "info"},
            "metadata": {"labels": {"sneaky": "yes"}},
        },
    )
    assert patched["status"] == {"deduplication": {"occurrenceCount": 3}}
    assert patched["spec"] == created["spec"]
    assert "labels" not in patched["metadata"]
    assert patched["metadata"]["generation"] == 1


def test_status_keeps_unknown_fields_but_prunes_known_objects(custom: Any) -> None:
    create_rr(custom, rr_body("rr-1"))
    status = {
        "overallPhase": "Processing",
        "workflow": {"step": 2, "notes": ["a"]},
        "deduplication": {"occurrenceCount": 2, "junk": True},
    }
    patched = custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, NAMESPACE, PLURAL, "rr-1", {"status": status}
    )
    assert patched["status"] == {
        "overallPhase": "Processing",
        "workflow": {"step": 2, "notes": ["a"]},
        "deduplication": {"occurrenceCount": 2},
    }


def test_status_writes_are_validated(custom: Any) -> None:
    create_rr(custom, rr_body("rr-1"))
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object_status(
            GROUP,
            VERSION,
            NAMESPACE,
            PLURAL,
            "rr-1",
            {"status": {"deduplication": {"occurrenceCount": 0}}},
        )
    assert caught.value.status == 422
    causes = status_of(caught.value)["details"]["causes"]
    assert [c["field"] for c in causes] == ["status.deduplication.occurrenceCount"]


def test_main_resource_patch_cannot_change_status(custom: Any, server: KubeApiServer) -> None:
    create_rr(custom, rr_body("rr-1"))
    server.patch_status(PLURAL, NAMESPACE, "rr-1", {"overallPhase": "Processing"})
    patched = custom.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        NAMESPACE,
        PLURAL,
        "rr-1",
        {"status": {"overallPhase": "Completed"}, "spec": {"severity": "warning"}},
    )
    assert patched["status"] == {"overallPhase": "Processing"}
    assert patched["spec"]["severity"] == "warning"


def test_put_to_the_main_resource_keeps_the_old_status(custom: Any, server: KubeApiServer) -> None:
    create_rr(custom, rr_body("rr-1"))
    server.patch_status(PLURAL, NAMESPACE, "rr-1", {"overallPhase": "Processing"})
    current = custom.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, "rr-1")
    del current["status"]
    replaced = custom.replace_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, PLURAL, "rr-1", current
    )
    assert replaced["status"] == {"overallPhase": "Processing"}


def test_put_to_status_replaces_status_only(custom: Any) -> None:
    current = create_rr(custom, rr_body("rr-1"))
    current["status"] = {"overallPhase": "Failed"}
    current["spec"]["severity"] = "info"
    replaced = custom.replace_namespaced_custom_object_status(
        GROUP, VERSION, NAMESPACE, PLURAL, "rr-1", current
    )
    assert replaced["status"] == {"overallPhase": "Failed"}
    assert replaced["spec"]["severity"] == "critical"


def test_direct_patch_status_merges_and_bumps_the_resource_version(
    custom: Any, server: KubeApiServer
) -> None:
    created = create_rr(custom, rr_body("rr-1"))
    server.patch_status(PLURAL, NAMESPACE, "rr-1", {"deduplication": {"occurrenceCount": 2}})
    server.patch_status(PLURAL, NAMESPACE, "rr-1", {"overallPhase": "Completed"})
    fetched = custom.get_namespaced_custom_object_status(GROUP, VERSION, NAMESPACE, PLURAL, "rr-1")
    assert fetched["status"] == {
        "deduplication": {"occurrenceCount": 2},
        "overallPhase": "Completed",
    }
    assert int(fetched["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])

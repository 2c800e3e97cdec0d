"""The bench counts a scenario's Kubernetes calls, not an earlier scenario's deferred writes."""

import json

from bench.figures import carried_over, created_name
from tests.support.kubeapi import RecordedRequest

BASE = "/apis/remediation.kubernaut.io/v1alpha1/namespaces/bench-prod/remediationrequests"


def call(method: str, path: str, body: object = None) -> RecordedRequest:
    raw = b"" if body is None else json.dumps(body).encode()
    return RecordedRequest(method=method, path=path, query="", status=201, body=raw)


def test_a_create_is_known_by_the_name_it_asked_for():
    create = call("POST", BASE, {"metadata": {"name": "rr-abc123"}})

    assert created_name(create) == "rr-abc123"
    assert created_name(call("POST", BASE, b"not json".decode())) == ""


def test_only_status_writes_for_resources_not_created_in_the_run_are_carried_over():
    created = {"rr-new"}

    assert carried_over(call("PATCH", f"{BASE}/rr-old/status"), created)
    assert not carried_over(call("PATCH", f"{BASE}/rr-new/status"), created)
    assert not carried_over(call("POST", BASE, {"metadata": {"name": "rr-new"}}), created)
    assert not carried_over(call("GET", "/api/v1/namespaces/bench-prod"), created)

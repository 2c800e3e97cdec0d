"""identity.mode workload against real Redis and the Kubernetes API test server: one
RemediationRequest per broken workload, found by GETs of object metadata."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import workloads
from tests.support.api import EVENTS, PROMETHEUS
from tests.support.metrics import sample
from tests.support.payloads import alert, core_event, exporter_event, unique, webhook
from tests.support.writers import flush_later

PLURAL = "remediationrequests"
LOOKUPS = "GET"
RESOLUTIONS = "gateway_identity_resolutions_total"


def _lookups(kube_api, namespace):
    """The GETs of pods, replicasets and jobs in a namespace so far."""
    path = rf"/namespaces/{namespace}/(pods|replicasets|jobs)/"
    return kube_api.count(method=LOOKUPS, path=path)


@pytest.fixture
def workload_client(make_client):
    return make_client(identity_mode="workload", kubernetes_retry_budget=0.5)


def test_every_signal_about_one_deployment_joins_its_one_resource(
    workload_client, kube_api, make_namespace
):
    namespace = make_namespace()
    made = workloads.deployment(kube_api, namespace, "api")
    crash = unique("KubePodCrashLooping")
    body = webhook(*(alert(alertname=crash, namespace=namespace, pod=pod) for pod in made.pods))

    first = workload_client.post(PROMETHEUS, json=body)

    assert first.status_code == 201
    results = first.get_json()["results"]
    assert [r["status"] for r in results] == ["created", "duplicate", "duplicate"]
    assert [r["occurrenceCount"] for r in results] == [1, 2, 3]
    expected = hashlib.sha256(f"{namespace}:Deployment:api".encode()).hexdigest()
    assert {r["fingerprint"] for r in results} == {expected}
    (rr,) = kube_api.objects(PLURAL, namespace=namespace)
    assert rr["spec"]["targetResource"] == {
        "kind": "Deployment",
        "name": "api",
        "namespace": namespace,
    }
    kube_api.delete_object("Pod", namespace, made.pods[2])  # the exporter reports it gone
    others = [
        (
            PROMETHEUS,
            webhook(alert(alertname=unique("Other"), namespace=namespace, pod=made.pods[0])),
        ),
        # kube-state-metrics: the Deployment, and the exporter's own pod
        (
            PROMETHEUS,
            webhook(
                alert(
                    alertname=unique("KubeDeploymentReplicasMismatch"),
                    namespace=namespace,
                    deployment="api",
                    pod="kube-state-metrics-6d4f8b7c9-x2x7q",
                    job="kube-state-metrics",
                )
            ),
        ),
        (EVENTS, core_event(reason=unique("BackOff"), namespace=namespace, name=made.pods[1])),
        (
            EVENTS,
            exporter_event(
                reason=unique("Killing"), namespace=namespace, name=made.pods[2], owner=made.middle
            ),
        ),
    ]
    for path, other in others:
        response = workload_client.post(path, json=other)
        (result,) = response.get_json()["results"]
        assert (response.status_code, result["status"]) == (202, "duplicate"), other
        assert result["remediationRequest"]["name"] == rr["metadata"]["name"]
    assert len(kube_api.objects(PLURAL, namespace=namespace)) == 1


def test_pods_resolve_to_their_statefulset_daemonset_cronjob_or_themselves(
    workload_client, kube_api, make_namespace
):
    namespace = make_namespace()
    made = [
        workloads.statefulset(kube_api, namespace, "db"),
        workloads.daemonset(kube_api, namespace, "agent"),
        workloads.cronjob(kube_api, namespace, "report"),
        workloads.bare_pod(kube_api, namespace, "debug"),
    ]
    name = unique("PodNotReady")
    body = webhook(*(alert(alertname=name, namespace=namespace, pod=w.pods[0]) for w in made))

    assert workload_client.post(PROMETHEUS, json=body).status_code == 201

    targets = {
        (rr["spec"]["targetResource"]["kind"], rr["spec"]["targetResource"]["name"])
        for rr in kube_api.objects(PLURAL, namespace=namespace)
    }
    assert targets == {
        ("StatefulSet", "db"),
        ("DaemonSet", "agent"),
        ("CronJob", "report"),
        ("Pod", "debug"),
    }


def test_a_gone_pod_that_names_no_owner_is_ignored_and_counted(
    workload_client, kube_api, make_namespace
):
    namespace = make_namespace()
    body = webhook(alert(alertname=unique("Crash"), namespace=namespace, pod="api-7d9f-gone"))

    response = workload_client.post(PROMETHEUS, json=body)

    assert response.status_code == 202
    (result,) = response.get_json()["results"]
    assert (result["status"], result["reason"]) == ("ignored", "target-not-found")
    assert kube_api.objects(PLURAL, namespace=namespace) == []
    metrics = workload_client.get("/metrics").get_data(as_text=True)
    assert sample(metrics, RESOLUTIONS, result="not-found") == 1


def test_a_hundred_and_eighty_signals_about_three_pods_cost_at_most_four_gets(
    workload_client, kube_api, make_namespace
):
    namespace = make_namespace()
    made = workloads.deployment(kube_api, namespace, "web")
    name = unique("KubePodCrashLooping")
    body = webhook(
        *(alert(alertname=name, namespace=namespace, pod=made.pods[i % 3]) for i in range(30))
    )

    answers = [workload_client.post(PROMETHEUS, json=body) for _ in range(6)]

    assert [a.status_code for a in answers] == [201] + [202] * 5
    assert answers[-1].get_json()["results"][-1]["occurrenceCount"] == 180
    assert _lookups(kube_api, namespace) <= 4
    metrics = workload_client.get("/metrics").get_data(as_text=True)
    assert sample(metrics, RESOLUTIONS, result="lookup") == 3
    assert sample(metrics, RESOLUTIONS, result="cached") == 177


def test_lookups_under_api_faults_are_503_never_a_wrong_fingerprint(
    make_client, kube_api, make_namespace
):
    # The breaker stays closed whatever the number of retries: the next request calls again.
    client = make_client(
        identity_mode="workload", kubernetes_retry_budget=0.5, breaker_min_calls=1000
    )
    namespace = make_namespace()
    made = workloads.deployment(kube_api, namespace, "api", replicas=1)
    body = webhook(alert(alertname=unique("Crash"), namespace=namespace, pod=made.pods[0]))
    kube_api.inject(method="GET", path=f"/namespaces/{namespace}/replicasets/", status=500)

    refused = client.post(PROMETHEUS, json=body)

    assert refused.status_code == 503
    assert refused.headers["Retry-After"]
    assert kube_api.objects(PLURAL, namespace=namespace) == []
    kube_api.clear_faults()
    (result,) = client.post(PROMETHEUS, json=body).get_json()["results"]
    expected = hashlib.sha256(f"{namespace}:Deployment:api".encode()).hexdigest()
    assert (result["status"], result["fingerprint"]) == ("created", expected)


def test_a_forbidden_lookup_is_503_naming_the_missing_permission(
    workload_client, kube_api, make_namespace
):
    namespace = make_namespace()
    made = workloads.deployment(kube_api, namespace, "api", replicas=1)
    kube_api.deny(verb="get", resource="replicasets", group="apps", namespace=namespace)
    body = webhook(alert(alertname=unique("Crash"), namespace=namespace, pod=made.pods[0]))

    response = workload_client.post(PROMETHEUS, json=body)

    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "may not get replicasets.apps" in response.get_json()["detail"]
    assert kube_api.objects(PLURAL, namespace=namespace) == []


@pytest.mark.parametrize("mode", ["resource", "workload"])
def test_scrape_labels_are_never_targets_and_job_name_is_a_job(
    make_client, kube_api, make_namespace, mode
):
    client = make_client(identity_mode=mode)
    namespace = make_namespace()
    kube_api.add_object("Job", "backup-1", namespace=namespace)
    scrape = {"job": "node-exporter", "service": "node-exporter", "endpoint": "https"}
    body = webhook(
        alert(
            alertname="NodeFilesystemAlmostFull",
            namespace=namespace,
            instance="10.0.0.1:9100",
            **scrape,
        ),
        alert(
            alertname="NodeFilesystemAlmostFull",
            namespace=namespace,
            instance="10.0.0.2:9100",
            **scrape,
        ),
        alert(alertname="KubeJobFailed", namespace=namespace, job_name="backup-1", job="ksm"),
    )

    response = client.post(PROMETHEUS, json=body)

    assert [r["status"] for r in response.get_json()["results"]] == ["created"] * 3
    targets = sorted(
        rr["spec"]["targetResource"]["kind"] for rr in kube_api.objects(PLURAL, namespace=namespace)
    )
    assert targets == ["Job", "Unknown", "Unknown"]


@pytest.fixture
def any_redis_workload_client(make_client, any_topology_redis):
    """A workload-mode app on standalone Redis, then on a 3-master Cluster."""
    return make_client(identity_mode="workload", redis_url=any_topology_redis.url)


def test_first_signals_of_two_names_about_one_workload_at_once_make_one_resource_and_one_count(
    any_redis_workload_client, kube_api, make_namespace
):
    client = any_redis_workload_client
    namespace = make_namespace()
    made = workloads.deployment(kube_api, namespace, "api")
    names = [unique("KubePodCrashLooping"), unique("KubeContainerOOMKilled")]
    bodies = [
        webhook(alert(alertname=names[i % 2], namespace=namespace, pod=made.pods[i % 3]))
        for i in range(20)
    ]
    app = client.application

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda body: app.test_client().post(PROMETHEUS, json=body), bodies))

    results = [answer.get_json()["results"][0] for answer in answers]
    assert sorted(r["status"] for r in results) == ["created"] + ["duplicate"] * 19
    assert sorted(r["occurrenceCount"] for r in results) == list(range(1, 21))
    assert len(kube_api.objects(PLURAL, namespace=namespace)) == 1


def test_a_storm_of_workloads_is_detected_aggregated_and_written_with_records_per_namespace(
    any_redis_workload_client, kube_api, make_namespace
):
    client = any_redis_workload_client
    namespace = make_namespace()
    apps = [workloads.deployment(kube_api, namespace, f"app{i}", replicas=1) for i in range(7)]
    down = unique("KubePodNotReady")
    alerts = [alert(alertname=down, namespace=namespace, pod=app.pods[0]) for app in apps]

    results = client.post(PROMETHEUS, json=webhook(*alerts)).get_json()["results"]
    flush_later(client, seconds=10)

    assert [r["status"] for r in results] == ["created"] * 6 + ["aggregated"]
    storm_ref = results[5]["remediationRequest"]
    storm = kube_api.get_object(PLURAL, namespace, storm_ref["name"])
    assert storm["spec"]["isStorm"] is True
    assert storm["status"]["stormAggregation"]["alertCount"] == 2
    assert (
        f"{namespace}:Deployment:app6" in storm["status"]["stormAggregation"]["affectedResources"]
    )


def test_status_signals_lists_every_distinct_signal_that_joined_a_workloads_resource(
    workload_client, kube_api, make_namespace
):
    namespace = make_namespace()
    made = workloads.deployment(kube_api, namespace, "api")
    crash = unique("KubePodCrashLooping")
    pods = [alert(alertname=crash, namespace=namespace, pod=pod) for pod in made.pods[:2]]
    workload_client.post(PROMETHEUS, json=webhook(*pods))
    workload_client.post(PROMETHEUS, json=webhook(pods[0]))
    backoff = unique("BackOff")
    event = core_event(reason=backoff, namespace=namespace, name=made.pods[2])
    answer = workload_client.post(EVENTS, json=event).get_json()["results"][0]

    flush_later(workload_client, seconds=10)

    rr = kube_api.get_object(PLURAL, namespace, answer["remediationRequest"]["name"])
    listed = {(s["name"], s["type"], s["target"]["name"]): s for s in rr["status"]["signals"]}
    assert {key: s["occurrenceCount"] for key, s in listed.items()} == {
        (crash, "prometheus-alert", made.pods[0]): 2,
        (crash, "prometheus-alert", made.pods[1]): 1,
        (backoff, "kubernetes-event", made.pods[2]): 1,
    }
    assert all(s["target"]["kind"] == "Pod" for s in listed.values())
    assert rr["status"]["signals"][0]["name"] == backoff  # the most recent first
    assert rr["status"]["signalsTruncated"] is False
    assert rr["status"]["deduplication"]["occurrenceCount"] == 4


def test_in_resource_mode_status_signals_lists_the_one_signal_of_the_resource(
    indexed, kube_api, make_namespace
):
    client = indexed()
    namespace = make_namespace()
    body = webhook(alert(alertname=unique("Crash"), namespace=namespace, pod="p"))
    client.post(PROMETHEUS, json=body)
    result = client.post(PROMETHEUS, json=body).get_json()["results"][0]

    flush_later(client, seconds=10)

    rr = kube_api.get_object(PLURAL, namespace, result["remediationRequest"]["name"])
    (only,) = rr["status"]["signals"]
    assert (only["name"], only["type"]) == (rr["spec"]["signalName"], "prometheus-alert")
    assert only["target"] == {"kind": "Pod", "name": "p"}
    assert only["occurrenceCount"] == 2
    assert only["lastSeenAt"] == rr["status"]["deduplication"]["lastSeenAt"]


def test_status_signals_lists_at_most_twenty_and_says_more_joined(
    workload_client, kube_api, make_namespace
):
    namespace = make_namespace()
    made = workloads.deployment(kube_api, namespace, "big", replicas=22)
    crash = unique("KubePodCrashLooping")
    body = webhook(*(alert(alertname=crash, namespace=namespace, pod=pod) for pod in made.pods))
    answer = workload_client.post(PROMETHEUS, json=body).get_json()["results"][0]
    workload_client.post(
        PROMETHEUS, json=webhook(alert(alertname=crash, namespace=namespace, pod=made.pods[0]))
    )

    flush_later(workload_client, seconds=10)

    rr = kube_api.get_object(PLURAL, namespace, answer["remediationRequest"]["name"])
    assert len(rr["status"]["signals"]) == 20
    assert rr["status"]["signalsTruncated"] is True
    assert rr["status"]["deduplication"]["occurrenceCount"] == 23

"""identity.mode workload: the owner walk and its cache, with a fake at the Owners port."""

import dataclasses
import hashlib
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from app.config import Config
from app.domain import IgnoredReason, Outcome, ResourceRef, Severity, Signal, SignalType
from app.metrics import IDENTITY_RESULTS
from app.service.classify import Classifier, NamespaceCache
from app.service.errors import KubernetesUnavailable, MissingPermission
from app.service.ingest import IngestService
from app.service.owner_cache import OwnerCache
from app.service.workloads import Resolution, WorkloadIdentity
from tests.support.fakes import FakeKubernetes, FakeOwners, FakeStore

NS = "shop"
DEPLOY = ResourceRef("Deployment", "api", NS)
RS = ResourceRef("ReplicaSet", "api-7d9f", NS)
PODS = [ResourceRef("Pod", f"api-7d9f-{i}", NS) for i in range(3)]
STS = ResourceRef("StatefulSet", "db", NS)
DS = ResourceRef("DaemonSet", "agent", NS)
CRON = ResourceRef("CronJob", "report", NS)
JOB = ResourceRef("Job", "report-29376120", NS)
NODE = ResourceRef("Node", "node-1")
ROLLOUT = ResourceRef("Rollout", "web", NS)
WEB_RS = ResourceRef("ReplicaSet", "web-5c4b", NS)
CLUSTER = {
    RS: DEPLOY,
    **dict.fromkeys(PODS, RS),
    ResourceRef("Pod", "db-0", NS): STS,
    ResourceRef("Pod", "agent-x2k4z", NS): DS,
    JOB: CRON,
    ResourceRef("Pod", "report-29376120-q8w2n", NS): JOB,
    ResourceRef("Pod", "debug", NS): None,
    ResourceRef("Pod", "etcd-node-1", "kube-system"): NODE,
    WEB_RS: ROLLOUT,
    ResourceRef("Pod", "web-5c4b-abcde", NS): WEB_RS,
    ResourceRef("Pod", "orphan-rs-x", NS): ResourceRef("ReplicaSet", "deleted", NS),
    ResourceRef("Job", "manual", NS): None,
}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _signal(target, *, name="KubePodCrashLooping", owner=None):
    return Signal(
        signal_type=SignalType.PROMETHEUS_ALERT,
        name=name,
        namespace=NS,
        target=target,
        severity=Severity.CRITICAL,
        firing=True,
        firing_time=datetime(2026, 11, 24, tzinfo=UTC),
        source="alertmanager",
        owner=owner,
    )


def _identity(owners, clock=None, counts=None):
    cache = OwnerCache(owners, ttl=300, missing_ttl=5, clock=clock or Clock())
    observe = counts.update if counts is not None else None
    return WorkloadIdentity(owners=cache, observe=observe)


def test_pods_of_a_deployment_get_the_deployments_fingerprint_without_the_signal_name():
    (one, two, three) = _identity(FakeOwners(CLUSTER)).resolve([_signal(p) for p in PODS])
    expected = hashlib.sha256(b"shop:Deployment:api").hexdigest()
    assert {one.fingerprint, two.fingerprint, three.fingerprint} == {expected}
    assert one.resource == DEPLOY
    assert one.target == PODS[0]  # the signal keeps its own target


@pytest.mark.parametrize(
    ("target", "workload"),
    [
        (ResourceRef("Pod", "db-0", NS), STS),
        (ResourceRef("Pod", "agent-x2k4z", NS), DS),
        (ResourceRef("Pod", "report-29376120-q8w2n", NS), CRON),
        (JOB, CRON),
        (RS, DEPLOY),
        (ResourceRef("Job", "manual", NS), ResourceRef("Job", "manual", NS)),
        (ResourceRef("Pod", "debug", NS), ResourceRef("Pod", "debug", NS)),
        (
            ResourceRef("Pod", "etcd-node-1", "kube-system"),
            ResourceRef("Pod", "etcd-node-1", "kube-system"),
        ),
        (ResourceRef("Pod", "web-5c4b-abcde", NS), ROLLOUT),
        (ResourceRef("Pod", "orphan-rs-x", NS), ResourceRef("ReplicaSet", "deleted", NS)),
    ],
    ids=[
        "sts",
        "ds",
        "cronjob-pod",
        "job",
        "rs",
        "bare-job",
        "bare-pod",
        "static",
        "rollout",
        "gone-rs",
    ],
)
def test_the_walk_follows_controllers_to_the_top_and_stops_where_the_contract_says(
    target, workload
):
    (signal,) = _identity(FakeOwners(CLUSTER)).resolve([_signal(target)])
    assert signal.resource == workload


@pytest.mark.parametrize("target", [DEPLOY, NODE, ResourceRef("Unknown", "3f2a", NS)])
def test_workloads_and_kinds_without_owners_need_no_lookup(target):
    owners = FakeOwners(CLUSTER)
    (signal,) = _identity(owners).resolve([_signal(target)])
    assert (signal.resource, owners.lookups) == (target, [])


def test_a_hundred_and_eighty_signals_about_three_pods_cost_four_lookups():
    owners, counts = FakeOwners(CLUSTER), Counter[str]()
    identity = _identity(owners, counts=counts)
    resolved = identity.resolve([_signal(PODS[i % 3]) for i in range(180)])
    assert len(owners.lookups) == 4
    assert {s.resource for s in resolved} == {DEPLOY}
    assert counts == {"lookup": 3, "cached": 177}


def test_a_gone_pod_that_names_no_owner_is_ignored_never_fingerprinted_as_the_pod():
    counts: Counter[str] = Counter()
    (signal,) = _identity(FakeOwners(CLUSTER), counts=counts).resolve(
        [_signal(ResourceRef("Pod", "api-7d9f-gone", NS))]
    )
    assert signal.ignored is IgnoredReason.TARGET_NOT_FOUND
    assert signal.workload is None
    assert counts == {"not-found": 1}


def test_the_controller_the_signal_names_saves_the_pod_lookup():
    owners, counts = FakeOwners(CLUSTER), Counter[str]()
    gone = ResourceRef("Pod", "api-7d9f-gone", NS)
    (signal,) = _identity(owners, counts=counts).resolve([_signal(gone, owner=RS)])
    assert signal.resource == DEPLOY
    assert owners.lookups == [RS]
    assert counts == {"owner-reference": 1}


def test_a_name_that_cannot_exist_is_not_looked_up():
    owners = FakeOwners(CLUSTER)
    (signal,) = _identity(owners).resolve([_signal(ResourceRef("Pod", "../x", NS))])
    assert (signal.ignored, owners.lookups) == (IgnoredReason.TARGET_NOT_FOUND, [])


@pytest.mark.parametrize(
    "error", [KubernetesUnavailable("kubernetes get_pod: gave up"), MissingPermission("get pods")]
)
def test_a_failed_lookup_fails_the_request_and_is_not_cached(error):
    owners, counts = FakeOwners(CLUSTER), Counter[str]()
    identity = _identity(owners, counts=counts)
    owners.failing = error
    with pytest.raises(KubernetesUnavailable):
        identity.resolve([_signal(PODS[0])])
    owners.failing = None
    assert identity.resolve([_signal(PODS[0])])[0].resource == DEPLOY
    assert counts == {"error": 1, "lookup": 1}


def test_answers_expire_after_their_ttl_and_a_not_found_much_sooner():
    owners, clock = FakeOwners(CLUSTER), Clock()
    cache = OwnerCache(owners, ttl=300, missing_ttl=5, clock=clock)
    gone = ResourceRef("Pod", "later", NS)
    for ref in (PODS[0], gone):
        cache.ownership(ref)
    clock.now = 6
    owners.controllers[gone] = RS  # the pod exists now
    assert cache.ownership(gone)[0].controller == RS
    assert cache.ownership(PODS[0])[1] is False
    clock.now = 301
    assert cache.ownership(PODS[0])[1] is True
    assert owners.lookups == [PODS[0], gone, gone, PODS[0]]


def test_the_cache_is_bounded_whatever_names_senders_send():
    owners = FakeOwners()
    cache = OwnerCache(owners, ttl=300, missing_ttl=300, clock=Clock(), max_entries=100)
    for i in range(1000):
        cache.ownership(ResourceRef("Pod", f"p{i}", NS))
    assert len(cache._entries) <= 100
    assert cache.ownership(ResourceRef("Pod", "p999", NS))[1] is False  # the newest stay


def test_concurrent_questions_about_one_object_share_one_lookup():
    owners = FakeOwners(CLUSTER)
    owners.gate = threading.Event()
    cache = OwnerCache(owners, ttl=300, missing_ttl=5, clock=Clock())
    with ThreadPoolExecutor(max_workers=8) as pool:
        asked = [pool.submit(cache.ownership, PODS[0]) for _ in range(8)]
        threading.Timer(0.2, owners.gate.set).start()
        answers = [future.result(timeout=10) for future in asked]
    assert owners.lookups == [PODS[0]]
    assert {answer.controller for answer, _ in answers} == {RS}
    assert sorted(fresh for _, fresh in answers) == [False] * 7 + [True]


def test_those_waiting_on_a_failed_lookup_get_its_error():
    owners = FakeOwners(CLUSTER)
    owners.gate, owners.failing = threading.Event(), MissingPermission("get pods")
    cache = OwnerCache(owners, ttl=300, missing_ttl=5, clock=Clock())
    with ThreadPoolExecutor(max_workers=4) as pool:
        asked = [pool.submit(cache.ownership, PODS[1]) for _ in range(4)]
        threading.Timer(0.2, owners.gate.set).start()
        errors = [future.exception(timeout=10) for future in asked]
    assert all(isinstance(error, MissingPermission) for error in errors)
    assert len(owners.lookups) == 1


def test_normal_events_are_left_as_they_are():
    normal = dataclasses.replace(_signal(PODS[0]), ignored=IgnoredReason.NORMAL_EVENT)
    owners = FakeOwners(CLUSTER)
    assert _identity(owners).resolve([normal]) == [normal]
    assert owners.lookups == []


def _ingest(kube, owners):
    config = Config.build({"identity_mode": "workload"})
    namespaces = NamespaceCache(kube, ttl=30, clock=Clock())
    return IngestService(
        store=FakeStore(),
        remediation_requests=kube,
        history=kube,
        classifier=Classifier(namespaces=namespaces, config=config),
        config=config,
        clock=lambda: datetime(2026, 11, 24, tzinfo=UTC),
        identity=_identity(owners),
    )


def test_three_pods_of_one_deployment_make_one_resource_that_targets_the_deployment():
    kube = FakeKubernetes({NS: {}})
    results = _ingest(kube, FakeOwners(CLUSTER)).ingest([_signal(p) for p in PODS])

    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert [r.occurrence_count for r in results] == [1, 2, 3]
    (body,) = kube.created
    assert body["spec"]["targetResource"] == {"kind": "Deployment", "name": "api", "namespace": NS}
    assert body["spec"]["signalFingerprint"] == hashlib.sha256(b"shop:Deployment:api").hexdigest()


def test_a_signal_about_a_gone_pod_is_answered_ignored_with_its_reason_and_creates_nothing():
    kube = FakeKubernetes({NS: {}})
    gone = _signal(ResourceRef("Pod", "api-7d9f-gone", NS))
    (result,) = _ingest(kube, FakeOwners(CLUSTER)).ingest([gone])
    assert (result.outcome, result.reason) == (Outcome.IGNORED, IgnoredReason.TARGET_NOT_FOUND)
    assert result.fingerprint == gone.fingerprint  # its own, under which nothing is recorded
    assert kube.created == []


def test_the_metric_exports_every_resolution_and_nothing_else():
    assert set(IDENTITY_RESULTS) == {result.value for result in Resolution}

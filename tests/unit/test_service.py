import dataclasses
import os
import re
from datetime import UTC, datetime

import pytest

from app.config import Config
from app.domain import (
    IgnoredReason,
    ObjectRef,
    Outcome,
    ResourceRef,
    Severity,
    Signal,
    SignalType,
    unique_id,
)
from app.service.classify import Classifier, NamespaceCache
from app.service.errors import KubernetesUnavailable, OverRateLimit
from app.service.ingest import IngestService
from app.service.ports import (
    ActiveResource,
    Admission,
    EndedResource,
    StormResource,
    StormScope,
)
from tests.support.fakes import FakeKubernetes, FakeStore

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _signal(*, namespace="prod-a", pod="p1", severity=Severity.CRITICAL, firing=True):
    return Signal(
        signal_type=SignalType.PROMETHEUS_ALERT,
        name="HighCPU",
        namespace=namespace,
        target=ResourceRef("Pod", pod, namespace),
        severity=severity,
        firing=firing,
        firing_time=NOW,
        source="alertmanager",
        raw={},
    )


def _service(kube, store=None, config=None, clock=None, observe=None, observe_recurrence=None):
    config = config or Config()
    namespaces = NamespaceCache(kube, ttl=config.namespace_cache_ttl, clock=clock or Clock())
    return IngestService(
        store=store or FakeStore(),
        remediation_requests=kube,
        history=kube,
        classifier=Classifier(namespaces=namespaces, config=config),
        config=config,
        clock=lambda: NOW,
        observe=observe,
        observe_recurrence=observe_recurrence,
    )


@pytest.mark.parametrize(
    ("labels", "environment"),
    [
        ({"environment": "prod"}, "production"),
        ({"kubernaut.io/environment": "stg"}, "staging"),
        ({"environment": "dev"}, "development"),
        ({"environment": "qa"}, "qa"),
        ({}, "unknown"),
    ],
)
def test_environment_comes_from_namespace_labels_with_aliases(labels, environment):
    kube = FakeKubernetes({"prod-a": labels})
    _service(kube).ingest([_signal()])
    assert kube.created[0]["spec"]["environment"] == environment


def test_configured_map_classifies_namespaces_without_labels():
    kube = FakeKubernetes({"prod-a": {}})
    _service(kube, config=Config.build({"environments": "prod-a=stg"})).ingest([_signal()])
    assert kube.created[0]["spec"]["environment"] == "staging"


@pytest.mark.parametrize(
    ("severity", "environment", "priority"),
    [
        (Severity.CRITICAL, "production", "P0"),
        (Severity.CRITICAL, "staging", "P1"),
        (Severity.CRITICAL, "development", "P2"),
        (Severity.CRITICAL, "unknown", "P1"),
        (Severity.WARNING, "production", "P1"),
        (Severity.WARNING, "unknown", "P2"),
        (Severity.INFO, "development", "P2"),
        (Severity.INFO, "unknown", "P3"),
    ],
)
def test_priority_follows_the_default_matrix(severity, environment, priority):
    kube = FakeKubernetes({"prod-a": {"environment": environment}})
    _service(kube).ingest([_signal(severity=severity)])
    assert kube.created[0]["spec"]["priority"] == priority


def test_namespace_lookups_are_cached_until_the_ttl_passes():
    kube = FakeKubernetes({"prod-a": {}})
    clock = Clock()
    service = _service(kube, clock=clock)
    service.ingest([_signal(pod="a"), _signal(pod="b")])
    clock.now = 29.0
    service.ingest([_signal(pod="c")])
    assert kube.lookups == ["prod-a"]
    clock.now = 31.0
    service.ingest([_signal(pod="d")])
    assert kube.lookups == ["prod-a", "prod-a"]


def test_missing_namespace_goes_to_the_fallback_with_an_origin_label():
    kube = FakeKubernetes({})
    (result,) = _service(kube).ingest([_signal(namespace="gone")])
    body = kube.created[0]
    assert body["metadata"]["namespace"] == "kubernaut-system"
    assert body["metadata"]["labels"]["kubernaut.io/origin-namespace"] == "gone"
    assert body["spec"]["targetResource"]["namespace"] == "gone"
    assert result.remediation_request.namespace == "kubernaut-system"


def test_repeat_is_a_duplicate_of_the_created_resource_with_a_growing_count():
    kube = FakeKubernetes({"prod-a": {}})
    service = _service(kube)
    (first,) = service.ingest([_signal()])
    (second,) = service.ingest([_signal()])
    (third,) = service.ingest([_signal()])
    assert (first.outcome, second.outcome, third.outcome) == (
        Outcome.CREATED,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
    )
    assert [r.occurrence_count for r in (first, second, third)] == [1, 2, 3]
    assert second.remediation_request == first.remediation_request
    assert len(kube.created) == 1


def test_failed_create_releases_the_claim_so_the_retry_creates():
    kube = FakeKubernetes({"prod-a": {}})
    service = _service(kube)
    kube.failing = True
    with pytest.raises(KubernetesUnavailable):
        service.ingest([_signal()])
    kube.failing = False
    (retry,) = service.ingest([_signal()])
    assert retry.outcome is Outcome.CREATED
    assert retry.occurrence_count == 1


def test_a_request_is_recorded_in_one_store_call_whatever_its_number_of_signals():
    kube = FakeKubernetes({"prod-a": {}})
    store = FakeStore()
    service = _service(kube, store=store)
    signals = [_signal(pod=f"p{i}") for i in range(20)] + [_signal(pod="p0", firing=False)]
    results = service.ingest(signals)
    assert store.calls == 1
    assert [r.outcome for r in results] == [Outcome.CREATED] * 20 + [Outcome.RESOLVED]
    service.ingest(signals)
    assert store.calls == 2


def test_a_request_without_a_token_records_nothing_and_creates_nothing():
    kube, store = FakeKubernetes({"prod-a": {}}), FakeStore()
    store.tokens["user:noisy"] = 0
    with pytest.raises(OverRateLimit) as refused:
        _service(kube, store).ingest([_signal()], Admission("user:noisy", rate=2.0, burst=5))
    assert refused.value.caller == "user:noisy"
    assert refused.value.wait == 0.5
    assert store.records == {}
    assert kube.created == []


def test_the_token_is_taken_by_the_record_call_also_when_nothing_is_actionable():
    store = FakeStore()
    ignored = dataclasses.replace(_signal(), ignored=IgnoredReason.NORMAL_EVENT)
    service = _service(FakeKubernetes({"prod-a": {}}), store)
    assert service.ingest([ignored], Admission("user:a", rate=1.0, burst=3))[0].outcome is (
        Outcome.IGNORED
    )
    assert (store.calls, store.tokens["user:a"]) == (1, 2)
    service.ingest([ignored])  # no admission (rate limiting off): no store call at all
    assert store.calls == 1


def test_a_failed_create_gives_back_every_claim_of_the_request_not_yet_created():
    kube = FakeKubernetes({"prod-a": {}})
    service = _service(kube)
    signals = [_signal(pod=f"p{i}") for i in range(5)]
    kube.creates_before_failing = 2
    with pytest.raises(KubernetesUnavailable):
        service.ingest(signals)
    kube.creates_before_failing = None
    retry = service.ingest(signals)
    # The two created before the failure repeat; the failed one and the two after it, which
    # were claimed in the same store call, are created by the retry (each counted once).
    assert [r.outcome for r in retry] == [Outcome.DUPLICATE] * 2 + [Outcome.CREATED] * 3
    assert [r.occurrence_count for r in retry] == [2, 2, 1, 1, 1]
    assert len(kube.created) == 5


def test_outcomes_are_counted_once_per_request_also_up_to_a_failure():
    kube = FakeKubernetes({"prod-a": {}})
    observed: list[dict[tuple[SignalType, Outcome], int]] = []
    service = _service(kube, observe=lambda counts: observed.append(dict(counts)))
    alert = SignalType.PROMETHEUS_ALERT

    service.ingest([_signal(pod="p0"), _signal(pod="p0"), _signal(pod="p1", firing=False)])
    kube.creates_before_failing = 2  # in all: one more
    with pytest.raises(KubernetesUnavailable):
        service.ingest([_signal(pod="p0"), _signal(pod="p2"), _signal(pod="p3")])

    assert observed == [
        {(alert, Outcome.CREATED): 1, (alert, Outcome.DUPLICATE): 1, (alert, Outcome.RESOLVED): 1},
        # The duplicate and the one create before the failure; not the failed one.
        {(alert, Outcome.DUPLICATE): 1, (alert, Outcome.CREATED): 1},
    ]


def test_resolved_never_creates_and_reports_the_existing_resource():
    kube = FakeKubernetes({"prod-a": {}})
    service = _service(kube)
    (unknown,) = service.ingest([_signal(firing=False)])
    (created,) = service.ingest([_signal()])
    (resolved,) = service.ingest([_signal(firing=False)])
    assert unknown.outcome is Outcome.RESOLVED
    assert unknown.remediation_request is None
    assert resolved.outcome is Outcome.RESOLVED
    assert resolved.remediation_request == created.remediation_request
    assert len(kube.created) == 1


def test_resource_names_are_fresh_and_carry_the_fingerprint():
    kube = FakeKubernetes({"prod-a": {}})
    service = _service(kube)
    results = service.ingest([_signal(pod=f"p{i}") for i in range(20)])
    names = [r.remediation_request.name for r in results]
    assert len(set(names)) == 20
    for result, name in zip(results, names, strict=True):
        assert name.startswith(f"rr-{result.fingerprint[:12]}-")
        assert len(name) == len("rr-") + 12 + 1 + 8


def test_an_active_resource_in_kubernetes_is_adopted_instead_of_created():
    kube = FakeKubernetes({"prod-a": {}})
    signal = _signal()
    existing = ObjectRef("prod-a", "rr-existing")
    kube.active[signal.fingerprint] = ActiveResource(existing, 6, 1_000)
    service = _service(kube)

    (adopted,) = service.ingest([signal])
    (repeat,) = service.ingest([signal])

    assert (adopted.outcome, adopted.remediation_request, adopted.occurrence_count) == (
        Outcome.DUPLICATE,
        existing,
        7,
    )
    assert (repeat.remediation_request, repeat.occurrence_count) == (existing, 8)
    assert kube.created == []


def test_a_new_resource_of_a_problem_that_came_back_names_up_to_ten_earlier_ones():
    kube = FakeKubernetes({"prod-a": {}})
    signal = _signal()
    kube.ended[signal.fingerprint] = [
        EndedResource(ObjectRef("prod-a", f"rr-old-{i:02d}"), 1_000 - i) for i in range(12)
    ]
    recurrences: list[None] = []
    service = _service(kube, observe_recurrence=lambda: recurrences.append(None))

    (created,) = service.ingest([signal])

    body = kube.created[0]
    assert created.outcome is Outcome.CREATED
    assert body["metadata"]["labels"]["kubernaut.io/recurring"] == "true"
    assert body["spec"]["recurrence"]["count"] == 12
    assert body["spec"]["recurrence"]["previous"] == [f"rr-old-{i:02d}" for i in range(10)]
    assert len(recurrences) == 1


def test_a_first_resource_carries_no_recurrence():
    kube = FakeKubernetes({"prod-a": {}})
    _service(kube).ingest([_signal()])
    assert "recurrence" not in kube.created[0]["spec"]
    assert "kubernaut.io/recurring" not in kube.created[0]["metadata"]["labels"]


def test_a_record_whose_resource_ended_starts_anew_and_the_next_firing_creates():
    kube = FakeKubernetes({"prod-a": {}})
    service = _service(kube)
    signal = _signal()
    (first,) = service.ingest([signal])
    assert first.remediation_request is not None
    kube.ended[signal.fingerprint] = [EndedResource(first.remediation_request, 1_000)]

    (again,) = service.ingest([signal])

    assert (again.outcome, again.occurrence_count) == (Outcome.CREATED, 1)
    assert again.remediation_request != first.remediation_request
    assert kube.created[1]["spec"]["recurrence"]["previous"] == [first.remediation_request.name]


def test_a_signal_a_storm_in_kubernetes_lists_joins_that_storm_instead_of_creating():
    kube = FakeKubernetes({"prod-a": {}})
    signal = _signal()
    storm = ObjectRef("prod-a", "rr-storm")
    scope = StormScope(signal.namespace, signal.name)
    kube.storms[scope] = StormResource(storm, "pattern", 7, 0, ("prod-a:Pod:p1",), 1_000)

    (joined,) = _service(kube).ingest([signal])

    assert (joined.outcome, joined.remediation_request) == (Outcome.AGGREGATED, storm)
    assert kube.created == []


def test_ids_differ_between_a_worker_and_the_process_it_was_forked_from():
    # Claim tokens come from the process's PRNG; gunicorn forks workers from one parent. The
    # child does nothing but answer and _exit: no multiprocessing machinery after a fork.
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, unique_id().encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        child = answer.read()
    os.waitpid(pid, 0)
    mine = unique_id()
    assert re.fullmatch(r"[0-9a-f]{32}", child)
    assert child != mine
    assert len({unique_id() for _ in range(1000)}) == 1000

from typing import Any

from app.adapters.kubernetes import api_client
from app.adapters.rr_index import UNKNOWN, ResourceIndex
from app.service.ports import ActiveResource
from tests.support.index import active


def _rr(name: str, created: str, phase: str = "", version: int = 1) -> dict[str, Any]:
    return {
        "metadata": {
            "namespace": "ns",
            "name": name,
            "creationTimestamp": created,
            "resourceVersion": str(version),
        },
        "spec": {"signalFingerprint": "f" * 64, "deduplication": {"occurrenceCount": 2}},
        "status": {"overallPhase": phase} if phase else {},
    }


def _index(tmp_path: Any) -> ResourceIndex:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {}}]\n"
    )
    return ResourceIndex(api_client(kubeconfig=str(kubeconfig)), timeout=1.0)


def _newest(index: ResourceIndex) -> str | None:
    found = active(index, "f" * 64)
    return found.ref.name if isinstance(found, ActiveResource) else None


def test_the_newest_active_resource_of_a_fingerprint_answers(tmp_path):
    index = _index(tmp_path)
    assert active(index, "f" * 64) is UNKNOWN
    index.set_synced(True)
    index.apply("MODIFIED", _rr("rr-new", "2026-11-24T10:00:05Z"))
    index.apply("MODIFIED", _rr("rr-old", "2026-11-24T10:00:00Z"))
    assert _newest(index) == "rr-new"
    index.apply("MODIFIED", _rr("rr-new", "2026-11-24T10:00:05Z", phase="TimedOut"))
    assert _newest(index) == "rr-old"
    index.apply("MODIFIED", _rr("rr-old", "2026-11-24T10:00:00Z", phase="completed"))
    assert active(index, "f" * 64) is None


def test_a_deleted_or_re_fingerprinted_resource_no_longer_answers_for_its_old_fingerprint(
    tmp_path,
):
    index = _index(tmp_path)
    index.set_synced(True)
    index.apply("MODIFIED", _rr("rr-a", "2026-11-24T10:00:00Z"))
    index.apply("MODIFIED", _rr("rr-b", "2026-11-24T10:00:01Z"))
    assert len(index) == 2

    moved = _rr("rr-b", "2026-11-24T10:00:01Z")
    moved["spec"]["signalFingerprint"] = "e" * 64
    index.apply("MODIFIED", moved)
    assert _newest(index) == "rr-a"
    found = active(index, "e" * 64)
    assert isinstance(found, ActiveResource)
    assert (found.ref.namespace, found.ref.name, found.occurrence_count) == ("ns", "rr-b", 2)

    index.apply("DELETED", _rr("rr-a", "2026-11-24T10:00:00Z"))
    assert active(index, "f" * 64) is None
    assert len(index) == 1


def test_a_resource_this_process_created_answers_before_its_watch_event(tmp_path):
    index = _index(tmp_path)
    index.created(_rr("rr-early", "2026-11-24T10:00:00Z", version=5))
    assert active(index, "f" * 64) is UNKNOWN  # not synced: nothing is held
    index.set_synced(True)
    index.apply(
        "MODIFIED", _rr("rr-other", "2026-11-24T09:00:00Z", version=10)
    )  # the watch is at 10

    index.created(_rr("rr-mine", "2026-11-24T10:00:00Z", version=11))

    assert _newest(index) == "rr-mine"
    # Its watch events then apply as usual.
    index.apply("MODIFIED", _rr("rr-mine", "2026-11-24T10:00:00Z", version=11))
    index.apply("MODIFIED", _rr("rr-mine", "2026-11-24T10:00:00Z", phase="Completed", version=12))
    assert _newest(index) == "rr-other"


def test_a_created_resource_the_watch_has_passed_is_left_to_the_watch(tmp_path):
    index = _index(tmp_path)
    index.set_synced(True)
    mine = _rr("rr-mine", "2026-11-24T10:00:00Z", version=11)
    index.apply("MODIFIED", mine)
    index.apply("DELETED", _rr("rr-mine", "2026-11-24T10:00:00Z", version=12))  # deleted already

    index.created(mine)  # the create's answer arrives late

    assert active(index, "f" * 64) is None
    assert len(index) == 0

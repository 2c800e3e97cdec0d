"""Watches through the real kubernetes client: list then watch, as informers do."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from tests.support.kubeapi import KubeApiServer
from tests.support.waiting import eventually

from .helpers import GROUP, NAMESPACE, PLURAL, VERSION, create_rr, rr_body

MINE = {"team": "mine"}


def _stream(custom: Any, **kwargs: Any) -> Iterator[tuple[str, str]]:
    """(type, name) of each event as it comes, until the server ends the watch."""
    stream = watch.Watch().stream(
        custom.list_cluster_custom_object, GROUP, VERSION, PLURAL, **kwargs
    )
    for event in stream:
        yield event["type"], event["raw_object"]["metadata"]["name"]


def _events(custom: Any, **kwargs: Any) -> list[tuple[str, str]]:
    """(type, name) of every event until the server ends the watch."""
    return list(_stream(custom, **kwargs))


def _list_version(custom: Any) -> str:
    listed = custom.list_cluster_custom_object(GROUP, VERSION, PLURAL)
    return str(listed["metadata"]["resourceVersion"])


def test_a_watch_from_a_list_sees_later_changes_in_order_filtered_by_label(custom: Any) -> None:
    create_rr(custom, rr_body("before", labels=MINE))
    version = _list_version(custom)
    create_rr(custom, rr_body("added", labels=MINE))
    create_rr(custom, rr_body("foreign", labels={"team": "other"}))
    custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, NAMESPACE, PLURAL, "added", {"status": {"overallPhase": "Completed"}}
    )
    custom.delete_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, "before")

    seen = _events(custom, label_selector="team=mine", resource_version=version, timeout_seconds=1)

    assert seen == [("ADDED", "added"), ("MODIFIED", "added"), ("DELETED", "before")]


def test_a_watch_without_a_version_starts_with_what_exists(custom: Any) -> None:
    create_rr(custom, rr_body("one", labels=MINE))
    seen = _events(custom, label_selector="team=mine", timeout_seconds=1)
    assert seen == [("ADDED", "one")]


def test_an_open_watch_gets_a_change_as_it_happens(custom: Any, server: KubeApiServer) -> None:
    version = _list_version(custom)
    seen: list[tuple[str, str]] = []
    watcher = threading.Thread(
        target=lambda: seen.extend(_stream(custom, resource_version=version, timeout_seconds=30))
    )
    watcher.start()
    create_rr(custom, rr_body("live"))
    eventually(lambda: ("ADDED", "live") in seen, within=10, what="the event is streamed")
    # end_watches ends the stream normally (what a server's own timeout does).
    server.end_watches()
    watcher.join(timeout=10)
    assert not watcher.is_alive()
    assert ("ADDED", "live") in seen


def test_a_version_older_than_the_kept_changes_is_410_gone(
    custom: Any, server: KubeApiServer
) -> None:
    version = _list_version(custom)
    server.reset()  # forgets the changes a watch from `version` would need
    with pytest.raises(ApiException) as raised:
        _events(custom, resource_version=version, timeout_seconds=1)
    assert raised.value.status == 410

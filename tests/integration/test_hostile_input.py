"""Hostile input: whatever a sender puts on the wire, the gateway answers it deliberately.

Property-based tests (hypothesis) over both signal endpoints and their headers, and schemathesis
against the app's own /openapi.json, in process over WSGI. Every example runs against the real
app, a real Redis and the Kubernetes API test server, which validates each RemediationRequest
against the CRD: a resource the API server refuses surfaces as a 5xx here. Example counts are
bounded and every test is derandomized, so CI sees the same inputs on every run.

The promise under test (README, "The API"): a client error is never answered 5xx, every 4xx is
problem+json with the request id, and what is accepted is recorded as valid resources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.api.openapi import OPENAPI
from tests.support.api import EVENTS, PROMETHEUS
from tests.support.payloads import alert, core_event, unique, webhook

SIGNAL_PATHS = (PROMETHEUS, EVENTS)
PLURAL = "remediationrequests"
PROBLEM_JSON = "application/problem+json"
RESULT_STATUSES = frozenset({"created", "duplicate", "aggregated", "resolved", "ignored"})

_FINGERPRINT = re.compile(r"[a-f0-9]{64}")
_GENERATED_ID = re.compile(r"[a-f0-9]{32}")
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Kubernetes' own rules, matched with fullmatch: Go's `$` is end of text, Python's is not.
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")

_ALERT_TIMES = re.compile(r"alerts\.\d+\.(startsAt|endsAt)")
_EVENT_TIMES = re.compile(r"(firstTimestamp|lastTimestamp|eventTime|series\.lastObservedTime)")


def _settings(max_examples: int) -> Callable[[Any], Any]:
    """Bounded and deterministic: the same examples on every run, nothing stored between runs."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        # No explain phase: it reruns a failure many times and reports nothing shrinking doesn't.
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# --- strategies -----------------------------------------------------------------------------

# Values that have broken gateways before: path segments, control characters, lone surrogates
# (legal as JSON escapes, not encodable as UTF-8), bidi overrides, trailing newlines, big ones.
NASTY_STRINGS = (
    "",
    " ",
    ".",
    "..",
    "../kube-system",
    "a/b",
    "%2F",
    "?watch=true",
    "#frag",
    "\x00",
    "abc\n",
    "\ud800",
    "x\udfff",
    "\u202eevil",
    "\ufeff",
    "…",
    "🔥" * 70,
    "kube-system",
    "default",
    "NaN",
    "Ω" * 300,
    "x" * 3000,
)

# Every code point, surrogates included.
_ANY_CHAR = st.characters(exclude_categories=())


def hostile_text(*, min_size: int = 0, max_size: int = 64) -> st.SearchStrategy[str]:
    """Any unicode text, mixed with known-nasty values, within the size bounds."""
    nasty = [s for s in NASTY_STRINGS if min_size <= len(s) <= max_size]
    return st.one_of(
        st.sampled_from(nasty), st.text(_ANY_CHAR, min_size=min_size, max_size=max_size)
    )


def identity_text(*, min_size: int = 0, max_size: int = 64) -> st.SearchStrategy[str]:
    """Like hostile_text, for the fields that make up identity and placement: mostly nasty."""
    nasty = st.sampled_from([s for s in NASTY_STRINGS if min_size <= len(s) <= max_size])
    return st.one_of(nasty, nasty, st.text(_ANY_CHAR, min_size=min_size, max_size=max_size))


def _json_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),  # NaN and ±Infinity included: Python's json writes and reads them
        hostile_text(max_size=40),
    )


# Keys the schemas look for, so arbitrary JSON reaches past the first checks now and then.
_KNOWN_KEYS = st.sampled_from(
    [
        "version",
        "alerts",
        "status",
        "labels",
        "annotations",
        "alertname",
        "namespace",
        "pod",
        "startsAt",
        "type",
        "reason",
        "involvedObject",
        "regarding",
        "kind",
        "name",
        "metadata",
        "series",
    ]
)

json_values = st.recursive(
    _json_scalars(),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(_KNOWN_KEYS, hostile_text(max_size=20)), children, max_size=6),
    ),
    max_leaves=30,
)

_OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))


def _format_time(moment: datetime, style: str) -> str:
    text = moment.isoformat()
    if style == "Z" and text.endswith("+00:00"):
        return text[: -len("+00:00")] + "Z"
    if style == "nanos" and moment.tzinfo is not None:
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + ".123456789" + text[-6:]
    return text


timestamps = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",  # Alertmanager's endsAt when unknown
            "0001-01-01T00:00:00+01:00",
            "0001-01-01T00:00:00-01:00",
            "1970-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59-23:59",
            "2026-11-24T10:00:00.123456789Z",
            "2026-11-24T10:00:00",  # no time zone
            "2026-11-24",
            "yesterday",
            "",
        ]
    ),
    st.builds(
        _format_time,
        st.datetimes(
            min_value=datetime(1, 1, 1),
            max_value=datetime(9999, 12, 31, 23, 59, 59),
            timezones=st.one_of(st.none(), st.just(UTC), _OFFSETS),
        ),
        st.sampled_from(["iso", "Z", "nanos"]),
    ),
)

_TARGET_LABELS = ("pod", "deployment", "statefulset", "node", "service", "persistentvolumeclaim")
_OBJECT_KINDS = ("Pod", "Node", "Namespace", "PersistentVolume", "Deployment", "StatefulSet")


# Timestamps are often invalid (naive, in the future): one in four fields has one, so most
# generated signals get past validation and reach Redis and the Kubernetes API.
_sometimes = st.integers(0, 3).map(lambda n: n == 0)


def _nonblank(text: str) -> bool:
    return bool(text.strip())


def _namespaces(existing: str) -> st.SearchStrategy[str]:
    return st.one_of(st.just(existing), identity_text(max_size=80))


def _label_values() -> st.SearchStrategy[str]:
    return st.one_of(hostile_text(max_size=64), st.text(_ANY_CHAR, max_size=3000))


@st.composite
def alerts(draw: st.DrawFn, *, existing: str) -> dict[str, Any]:
    """One structurally valid Alertmanager alert with hostile labels, annotations and times."""
    labels = draw(st.dictionaries(hostile_text(max_size=100), _label_values(), max_size=100))
    if draw(st.booleans()):
        key = draw(st.sampled_from(["namespace", "exported_namespace"]))
        labels[key] = draw(_namespaces(existing))
    if draw(st.booleans()):
        labels[draw(st.sampled_from(_TARGET_LABELS))] = draw(
            st.one_of(identity_text(max_size=253), _label_values())
        )
    if draw(st.booleans()):
        labels["severity"] = draw(
            st.one_of(st.sampled_from(["critical", " INFO "]), hostile_text())
        )
    labels["alertname"] = draw(identity_text(min_size=1, max_size=253).filter(_nonblank))
    body: dict[str, Any] = {
        "status": draw(st.sampled_from(["firing", "resolved"])),
        "labels": labels,
    }
    if draw(st.booleans()):
        body["annotations"] = draw(
            st.dictionaries(hostile_text(max_size=60), _label_values(), max_size=20)
        )
    for field in ("startsAt", "endsAt"):
        if draw(_sometimes):
            body[field] = draw(timestamps)
    if draw(st.booleans()):
        body["generatorURL"] = draw(hostile_text(max_size=300))
        body["fingerprint"] = draw(hostile_text())
    return body


@st.composite
def webhooks(draw: st.DrawFn, *, existing: str) -> dict[str, Any]:
    """A version 4 webhook of one to four generated alerts."""
    firing = st.sampled_from(["firing", "resolved"])
    return {
        "version": "4",
        "status": draw(firing),
        "receiver": draw(hostile_text(max_size=300)),
        "groupKey": draw(hostile_text()),
        "truncatedAlerts": draw(st.integers(0, 2**63)),
        "commonLabels": draw(st.dictionaries(hostile_text(), hostile_text(), max_size=3)),
        "alerts": draw(st.lists(alerts(existing=existing), min_size=1, max_size=4)),
    }


@st.composite
def events(draw: st.DrawFn, *, existing: str) -> dict[str, Any]:
    """A core/v1 or events.k8s.io/v1 Event naming a generated object."""
    obj: dict[str, Any] = {
        "kind": draw(
            st.one_of(st.sampled_from(_OBJECT_KINDS), identity_text(min_size=1, max_size=63))
        ),
    }
    if draw(st.booleans()):
        obj["name"] = draw(identity_text(max_size=253))
    if draw(st.booleans()):
        obj["namespace"] = draw(st.one_of(st.just(existing), identity_text(max_size=63)))
    if draw(st.booleans()):
        obj["labels"] = draw(st.dictionaries(hostile_text(), hostile_text(), max_size=5))
    reason = draw(identity_text(min_size=1, max_size=253))
    text = draw(st.one_of(hostile_text(max_size=100), st.text(_ANY_CHAR, max_size=5000)))
    event: dict[str, Any] = {"type": draw(st.sampled_from(["Warning", "Normal"])), "reason": reason}
    if draw(st.booleans()):
        event["metadata"] = {
            "name": draw(hostile_text()),
            "namespace": draw(st.one_of(st.just(existing), identity_text(max_size=80))),
        }
    core = draw(st.booleans())
    if core:
        event.update(apiVersion="v1", kind="Event", involvedObject=obj, message=text)
        if draw(st.booleans()):
            event["count"] = draw(st.integers(-(2**63), 2**63))
            event["source"] = {"component": draw(hostile_text(max_size=300))}
        for field in ("firstTimestamp", "lastTimestamp", "eventTime"):
            if draw(_sometimes):
                event[field] = draw(st.one_of(st.none(), timestamps))
    else:
        event.update(apiVersion="events.k8s.io/v1", kind="Event", regarding=obj, note=text)
        event["reportingController"] = draw(hostile_text(max_size=300))
        if draw(_sometimes):
            event["eventTime"] = draw(timestamps)
        if draw(st.booleans()):
            event["series"] = {"count": draw(st.integers(0, 10**6))}
            if draw(_sometimes):
                event["series"]["lastObservedTime"] = draw(timestamps)
    return event


# --- what every answer must be --------------------------------------------------------------


@dataclass(frozen=True)
class Gateway:
    client: Any
    kube_api: Any
    fallback: str
    existing: str


@pytest.fixture
def gateway(make_client, make_namespace, kube_api) -> Gateway:
    """The real app with a fallback namespace that exists, and one labelled namespace."""
    fallback = make_namespace("fallback")
    existing = make_namespace("prod", environment="production")
    client = make_client(fallback_namespace=fallback, max_body_bytes=8 * 1024 * 1024)
    return Gateway(client, kube_api, fallback, existing)


def _post_json(client, path: str, value: Any, **kwargs: Any) -> Any:
    # ensure_ascii (the default) carries lone surrogates as \\udXXX escapes: valid JSON syntax.
    return client.post(path, data=json.dumps(value), content_type="application/json", **kwargs)


def _describe(response) -> str:
    return f"HTTP {response.status_code}: {response.get_data(as_text=True)[:2000]}"


def _assert_answer(response, allowed: set[int]) -> Any:
    """Check the status and the shape of an answer; return its JSON body."""
    assert response.status_code in allowed, _describe(response)
    request_id = response.headers["X-Request-ID"]
    body = json.loads(response.get_data())
    if response.status_code >= 400:
        assert response.mimetype == PROBLEM_JSON, _describe(response)
        assert body["status"] == response.status_code
        assert body["requestId"] == request_id
        assert {"type", "title", "detail", "instance"} <= set(body)
    else:
        assert body["requestId"] == request_id
        assert body["results"], _describe(response)
        for result in body["results"]:
            assert _FINGERPRINT.fullmatch(result["fingerprint"]), result
            assert result["status"] in RESULT_STATUSES, result
    return body


NOT_TEXT = "Not valid Unicode text."


def _assert_only_time_errors(body: Any, times: re.Pattern[str]) -> None:
    """A 400 for a structurally valid signal may only be about timestamps or invalid text."""
    others = [
        field
        for field, messages in body.get("errors", {}).items()
        if not times.fullmatch(field) and set(messages) != {NOT_TEXT}
    ]
    assert not others, body


def _assert_valid_resource(resource: dict[str, Any]) -> None:
    """Check what a real API server checks but a lenient regex would let through."""
    metadata = resource["metadata"]
    assert len(metadata["name"]) <= 253
    assert _SUBDOMAIN.fullmatch(metadata["name"]), metadata["name"]
    for key, value in metadata.get("labels", {}).items():
        prefix, _, name = key.rpartition("/")
        assert not prefix or _SUBDOMAIN.fullmatch(prefix), key
        assert len(name) <= 63, key
        assert _LABEL_NAME.fullmatch(name), key
        assert len(value) <= 63, (key, value)
        assert _LABEL_VALUE.fullmatch(value), (key, value)
    spec = resource["spec"]
    assert _FINGERPRINT.fullmatch(spec["signalFingerprint"])
    assert metadata["labels"]["kubernaut.io/signal-fingerprint"] == spec["signalFingerprint"][:63]


def _assert_recorded(gateway: Gateway, body: Any) -> None:
    """Every resource an answer names exists, is valid, and carries the result's fingerprint."""
    stored: dict[str, dict[str, dict[str, Any]]] = {}
    for result in body["results"]:
        ref = result.get("remediationRequest")
        if ref is None:
            assert result["status"] in {"resolved", "ignored"}, result
            continue
        if ref["namespace"] not in stored:
            objects = gateway.kube_api.objects(PLURAL, namespace=ref["namespace"])
            stored[ref["namespace"]] = {o["metadata"]["name"]: o for o in objects}
        resource = stored[ref["namespace"]].get(ref["name"])
        assert resource is not None, (result, "named but not in the API server")
        _assert_valid_resource(resource)
        if not resource["spec"].get("isStorm"):
            assert resource["spec"]["signalFingerprint"] == result["fingerprint"]


# --- arbitrary bodies -----------------------------------------------------------------------


@_settings(100)
@given(value=json_values)
def test_any_json_value_is_answered_deliberately_by_both_endpoints(gateway, value):
    for path in SIGNAL_PATHS:
        response = _post_json(gateway.client, path, value)
        body = _assert_answer(response, {201, 202, 400, 413, 415})
        if response.status_code < 300:
            _assert_recorded(gateway, body)


_VALID_WEBHOOK = json.dumps(webhook(alert(alertname="Truncated", namespace="nowhere"))).encode()

raw_bodies = st.one_of(
    st.binary(max_size=2048),
    st.builds(lambda n: _VALID_WEBHOOK[:n], st.integers(0, len(_VALID_WEBHOOK) - 1)),
    st.builds(
        lambda value, codec: json.dumps(value).encode(codec),
        json_values,
        st.sampled_from(["utf-16", "utf-32", "utf-8-sig", "utf-16-be"]),
    ),
    st.sampled_from(
        [
            b"",
            b"NaN",
            b"\xff\xfe\x00",
            b"[" * 100_000,
            b'{"a":' * 5000,
            b"1" * 5000,  # beyond Python's int-parsing digit limit
            b'{"version": "4", "alerts": [' + b"[" * 40 + b"]" * 40 + b"]}",
            b'{"version": "\xed\xa0\x80"}',  # a UTF-8-encoded surrogate: not UTF-8
        ]
    ),
)


@_settings(100)
@given(data=raw_bodies, path=st.sampled_from(SIGNAL_PATHS))
def test_any_bytes_sent_as_json_are_400_or_413(make_client, data, path):
    client = make_client(max_body_bytes=1024)
    response = client.post(path, data=data, content_type="application/json")
    _assert_answer(response, {400, 413})
    if len(data) > 1024:
        assert response.status_code == 413


# --- structurally valid signals with hostile contents ---------------------------------------


@_settings(60)
@given(data=st.data())
def test_generated_webhooks_are_recorded_as_valid_resources_or_refused_for_their_times(
    gateway, data
):
    body = data.draw(webhooks(existing=gateway.existing), label="webhook")
    response = _post_json(gateway.client, PROMETHEUS, body)
    answer = _assert_answer(response, {201, 202, 400})
    if response.status_code == 400:
        _assert_only_time_errors(answer, _ALERT_TIMES)
        return
    assert len(answer["results"]) == len(body["alerts"])
    _assert_recorded(gateway, answer)


@_settings(60)
@given(data=st.data())
def test_generated_events_are_recorded_as_valid_resources_or_refused_for_their_times(gateway, data):
    event = data.draw(events(existing=gateway.existing), label="event")
    response = _post_json(gateway.client, EVENTS, event)
    answer = _assert_answer(response, {201, 202, 400})
    if response.status_code == 400:
        _assert_only_time_errors(answer, _EVENT_TIMES)
        return
    (result,) = answer["results"]
    assert (result["status"] == "ignored") == (event["type"] == "Normal")
    _assert_recorded(gateway, answer)


# --- headers --------------------------------------------------------------------------------

# What an HTTP header can carry: no CR, LF or NUL (servers refuse those before the app runs).
_HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80
)
_JSON_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "application/vnd.am+json",
    "application/problem+json",
]
content_types = st.one_of(
    st.sampled_from(
        [
            *_JSON_TYPES,
            "",
            "json",
            "application/json+xml",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "text/plain",
            "application/json; charset=utf-16",
            "application/json;;;",
            "application/jsonp",
            "*/*",
        ]
    ),
    _HEADER_TEXT,
)
request_ids = st.one_of(
    st.sampled_from(["abc-123", "a" * 64, "a" * 65, "<script>", " x", "x y", "ok.id_1-2", "é"]),
    _HEADER_TEXT,
)


@_settings(100)
@given(content_type=content_types, request_id=request_ids)
def test_any_content_type_and_request_id_are_answered_deliberately(
    gateway, content_type, request_id
):
    body = json.dumps(webhook(alert(alertname="HeaderProbe", namespace=gateway.existing, pod="p")))
    response = gateway.client.post(
        PROMETHEUS,
        data=body,
        headers={"Content-Type": content_type, "X-Request-ID": request_id},
    )
    _assert_answer(response, {201, 202, 400, 415})
    if content_type in _JSON_TYPES:
        assert response.status_code in {201, 202}, _describe(response)
    echoed = response.headers["X-Request-ID"]
    if _SANE_ID.fullmatch(request_id):
        assert echoed == request_id
    else:
        assert _GENERATED_ID.fullmatch(echoed), (request_id, echoed)


# --- inputs that broke the gateway, kept as named regressions --------------------------------


def _alert_with(**labels: str) -> dict[str, Any]:
    return webhook(alert(alertname=labels.pop("alertname", unique("Hostile")), **labels))


def _alert_starting(starts_at: str, namespace: str) -> dict[str, Any]:
    body = alert(alertname=unique("Hostile"), namespace=namespace, pod="p")
    body["startsAt"] = starts_at
    return webhook(body)


def _event_without_metadata(namespace: str) -> dict[str, Any]:
    return {"type": "Warning", "reason": unique("Hostile"), "involvedObject": {"kind": "Node"}}


KNOWN_HOSTILE: dict[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
    "namespace-dot": (PROMETHEUS, lambda ns: _alert_with(namespace=".", pod="p")),
    "namespace-dot-dot": (PROMETHEUS, lambda ns: _alert_with(namespace="..", pod="p")),
    "namespace-trailing-newline": (PROMETHEUS, lambda ns: _alert_with(namespace="abc\n")),
    "event-namespace-dot-dot": (
        EVENTS,
        lambda ns: core_event(reason="X", namespace="..", name="p"),
    ),
    "event-without-metadata-or-namespace": (EVENTS, _event_without_metadata),
}

# Text that is not Unicode (lone surrogates, legal as JSON escapes) and moments Python cannot
# place in UTC are refused as a whole, naming the field: 400, never a 500.
KNOWN_REFUSED: dict[str, tuple[str, Callable[[str], dict[str, Any]], str]] = {
    "alertname-lone-surrogate": (
        PROMETHEUS,
        lambda ns: _alert_with(alertname="Crash\ud800", namespace=ns, pod="p"),
        "alerts.0.labels",
    ),
    "pod-lone-surrogate": (
        PROMETHEUS,
        lambda ns: _alert_with(namespace=ns, pod="p\udfff"),
        "alerts.0.labels",
    ),
    "namespace-lone-surrogate": (
        PROMETHEUS,
        lambda ns: _alert_with(namespace="x\ud800"),
        "alerts.0.labels",
    ),
    "starts-at-year-1-east-of-utc": (
        PROMETHEUS,
        lambda ns: _alert_starting("0001-01-01T00:00:00+01:00", ns),
        "alerts.0.startsAt",
    ),
    "event-reason-lone-surrogate": (
        EVENTS,
        lambda ns: core_event(reason="OOM\ud800", namespace=ns, name="p"),
        "reason",
    ),
}


@pytest.mark.parametrize("case", list(KNOWN_HOSTILE))
def test_known_hostile_signals_are_recorded_as_valid_resources(gateway, case):
    path, build = KNOWN_HOSTILE[case]
    response = _post_json(gateway.client, path, build(gateway.existing))
    body = _assert_answer(response, {201, 202})
    _assert_recorded(gateway, body)


@pytest.mark.parametrize("case", list(KNOWN_REFUSED))
def test_known_unrepresentable_signals_are_refused_naming_the_field(gateway, case):
    path, build, field = KNOWN_REFUSED[case]
    response = _post_json(gateway.client, path, build(gateway.existing))
    body = _assert_answer(response, {400})
    assert any(name.startswith(field) for name in body["errors"]), body


def test_a_request_id_with_a_trailing_newline_is_replaced_not_echoed(gateway):
    # Python's `$` matches before a final newline; the id must be replaced, not echoed.
    response = gateway.client.get("/healthz", environ_overrides={"HTTP_X_REQUEST_ID": "abc\n"})
    assert response.status_code == 200, _describe(response)
    assert _GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


# --- schemathesis over /openapi.json --------------------------------------------------------

_OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in OPENAPI["paths"].items()
    for method, operation in item.items()
]
_SCHEMATHESIS_RUNS = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
    for method, path, operation in _OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    # An operation without parameters or a body has nothing to get wrong.
    if mode is GenerationMode.POSITIVE or "requestBody" in operation
]
# The one server-side rule JSON Schema cannot state: no timestamp an hour or more ahead.
_FUTURE = "Timestamp is more than an hour in the future."


@pytest.mark.parametrize(("method", "path", "mode"), _SCHEMATHESIS_RUNS)
def test_every_operation_conforms_to_openapi_json(gateway, method, path, mode):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", gateway.client.application)
    operation = schema[path][method]

    @_settings(20)
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        response = case.call()
        # Every check (no 5xx, documented statuses, content types, headers and bodies,
        # negative data rejected); positive data acceptance is checked below, less strictly.
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
        if mode is GenerationMode.POSITIVE and path in SIGNAL_PATHS:
            if response.status_code == 400:
                errors = response.json().get("errors", {})
                assert errors, response.text
                assert all(m == _FUTURE for ms in errors.values() for m in ms), (
                    f"schema-valid body refused: {case.body!r}: {response.text}"
                )
            else:
                assert response.status_code in {201, 202}, response.text

    check()

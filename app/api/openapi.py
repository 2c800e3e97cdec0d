"""The OpenAPI 3 description of the HTTP API, served at /openapi.json."""

from __future__ import annotations

from typing import Any

_LABELS = {"type": "object", "maxProperties": 256, "additionalProperties": {"type": "string"}}
_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problem_response(description: str, *, retry_after: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": _PROBLEM}},
    }
    if retry_after:
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return response


_SIGNAL_RESPONSES = {
    "201": {
        "description": "At least one RemediationRequest was created.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
    },
    "202": {
        "description": "Recorded; no RemediationRequest was created by this request.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
    },
    "400": _problem_response("Malformed JSON or schema violation; nothing was recorded."),
    "401": _problem_response("Missing or rejected bearer token (auth.mode kubernetes)."),
    "403": _problem_response("The caller may not create RemediationRequests."),
    "405": _problem_response("Method not allowed."),
    "413": _problem_response("Body larger than the limit."),
    "415": _problem_response("Not JSON."),
    "429": _problem_response("Over the caller's rate limit.", retry_after=True),
    "503": _problem_response("Not durably recorded; retry.", retry_after=True),
}

_OBJECT_REF = {
    "type": "object",
    "required": ["kind"],
    "properties": {
        "kind": {"type": "string", "minLength": 1, "maxLength": 63},
        "name": {"type": "string", "maxLength": 253},
        "namespace": {"type": "string", "maxLength": 63},
        "apiVersion": {"type": "string"},
        "uid": {"type": "string"},
        "labels": _LABELS,
        "annotations": _LABELS,
        "ownerReferences": {
            "type": "array",
            "maxItems": 32,
            "description": "kubernetes-event-exporter: the object's owners; the one with "
            "controller true names its controller (identity.mode workload).",
            "items": {
                "type": "object",
                "required": ["kind", "name"],
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string", "minLength": 1, "maxLength": 63},
                    "name": {"type": "string", "minLength": 1, "maxLength": 253},
                    "uid": {"type": "string"},
                    "controller": {"type": "boolean"},
                },
            },
        },
    },
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "kubernaut-gateway",
        "version": "0.1.0",
        "description": "Alertmanager webhooks and Kubernetes Warning Events in; one "
        "RemediationRequest per distinct problem out.",
    },
    "paths": {
        "/api/v1/signals/prometheus": {
            "post": {
                "summary": "Alertmanager webhook (version 4): every alert, firing and resolved",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/AlertmanagerWebhook"}
                        }
                    },
                },
                "responses": _SIGNAL_RESPONSES,
            }
        },
        "/api/v1/signals/kubernetes-event": {
            "post": {
                "summary": "One Kubernetes Event (core/v1, events.k8s.io/v1 or event-exporter)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/KubernetesEvent"}
                        }
                    },
                },
                "responses": _SIGNAL_RESPONSES,
            }
        },
        "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "ok"}}}},
        "/readyz": {
            "get": {
                "summary": "Readiness: Redis and the Kubernetes API answer",
                "responses": {
                    "200": {"description": "ready"},
                    "503": _problem_response("not ready", retry_after=True),
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics, summed over all workers",
                "responses": {"200": {"description": "text exposition format"}},
            }
        },
    },
    "components": {
        "schemas": {
            "AlertmanagerWebhook": {
                "type": "object",
                "required": ["version", "alerts"],
                "description": "Alertmanager's webhook, version 4. Only the fields listed are "
                "read and checked; the others (status, groupKey, groupLabels, commonLabels, "
                "commonAnnotations, externalURL, truncatedAlerts) are accepted as they come, like "
                "unknown ones.",
                "properties": {
                    "version": {"type": "string", "enum": ["4"]},
                    "receiver": {"type": "string"},
                    "alerts": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 1000,
                        "items": {"$ref": "#/components/schemas/Alert"},
                    },
                },
            },
            "Alert": {
                "type": "object",
                "required": ["status", "labels"],
                "description": "Only the fields listed are read and checked; endsAt, "
                "generatorURL and unknown fields are kept in originalPayload.",
                "properties": {
                    "status": {"type": "string", "enum": ["firing", "resolved"]},
                    "labels": {
                        "allOf": [
                            _LABELS,
                            {
                                "required": ["alertname"],
                                "properties": {
                                    "alertname": {
                                        "type": "string",
                                        "minLength": 1,
                                        "maxLength": 253,
                                        "pattern": "\\S",
                                    }
                                },
                            },
                        ],
                    },
                    "annotations": _LABELS,
                    "startsAt": {"type": "string", "format": "date-time"},
                    "fingerprint": {
                        "type": "string",
                        "description": "Alertmanager's id of the label set; names an alert "
                        "whose labels name no resource (kind Unknown).",
                    },
                },
            },
            "KubernetesEvent": {
                "type": "object",
                "required": ["type", "reason"],
                "description": "involvedObject (core/v1) or regarding (events.k8s.io/v1) "
                "is required.",
                "anyOf": [{"required": ["involvedObject"]}, {"required": ["regarding"]}],
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "namespace": {"type": "string"},
                        },
                    },
                    "type": {"type": "string", "enum": ["Warning", "Normal"]},
                    "reason": {"type": "string", "minLength": 1, "maxLength": 253},
                    "involvedObject": _OBJECT_REF,
                    "regarding": _OBJECT_REF,
                    "message": {"type": "string"},
                    "note": {"type": "string"},
                    "count": {"type": "integer"},
                    "firstTimestamp": {"type": "string", "format": "date-time"},
                    "lastTimestamp": {"type": "string", "format": "date-time"},
                    "eventTime": {"type": "string", "format": "date-time"},
                    "series": {
                        "type": "object",
                        "properties": {
                            "count": {"type": "integer"},
                            "lastObservedTime": {"type": "string", "format": "date-time"},
                        },
                    },
                    "source": {
                        "type": "object",
                        "properties": {
                            "component": {"type": "string"},
                            "host": {"type": "string"},
                        },
                    },
                    "reportingComponent": {"type": "string"},
                    "reportingController": {"type": "string"},
                    "clusterName": {"type": "string"},
                },
            },
            "Accepted": {
                "type": "object",
                "required": ["requestId", "results"],
                "properties": {
                    "requestId": {"type": "string"},
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["fingerprint", "status"],
                            "properties": {
                                "fingerprint": {"type": "string", "pattern": "^[a-f0-9]{64}$"},
                                "status": {
                                    "type": "string",
                                    "enum": [
                                        "created",
                                        "duplicate",
                                        "aggregated",
                                        "resolved",
                                        "ignored",
                                    ],
                                },
                                "remediationRequest": {
                                    "type": "object",
                                    "properties": {
                                        "namespace": {"type": "string"},
                                        "name": {"type": "string"},
                                    },
                                },
                                "occurrenceCount": {"type": "integer", "minimum": 1},
                                "reason": {
                                    "type": "string",
                                    "enum": ["normal-event", "target-not-found"],
                                    "description": "Why an ignored signal was ignored.",
                                },
                            },
                        },
                    },
                },
            },
            "Problem": {
                "type": "object",
                "required": ["type", "title", "status", "detail", "instance", "requestId"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "instance": {"type": "string"},
                    "requestId": {"type": "string"},
                    "errors": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        }
    },
}

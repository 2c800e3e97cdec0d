"""The ceiling: a bare Flask endpoint that does what every web app must, and nothing else.

It parses the same JSON body as the gateway and answers 202 with a small JSON body, under the
same gunicorn settings, so the gateway's requests/s can be read as a fraction of what Flask and
gunicorn alone achieve on this machine.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

app = Flask(__name__)


@app.post("/api/v1/signals/prometheus")
def signals() -> ResponseReturnValue:
    """Parse the webhook and answer 202 with one small result per alert."""
    body: Any = request.get_json()
    alerts = body.get("alerts", []) if isinstance(body, dict) else []
    return jsonify({"results": [{"status": "accepted"} for _ in alerts]}), 202


@app.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready as soon as it serves; names the worker, so the bench can wait for every one."""
    return jsonify({"status": "ok", "pid": os.getpid()})

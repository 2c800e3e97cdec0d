import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config as GunicornConfig

from app.config import Config
from app.logs import ErrorsAccessLogger, JsonGunicornLogger
from app.server import GunicornServer


@pytest.mark.parametrize(
    ("mode", "logger", "accesslog"),
    [
        ("errors", ErrorsAccessLogger, "-"),
        ("all", JsonGunicornLogger, "-"),
        ("off", ErrorsAccessLogger, None),
    ],
)
def test_logging_access_chooses_the_access_logger(mode, logger, accesslog):
    options = GunicornServer(Config.build({"access_log": mode})).options()
    assert options["accesslog"] == accesslog
    if accesslog:
        assert options["logger_class"] is logger


def _access(logger, status):
    response = SimpleNamespace(
        status_code=status, headers=[("X-Request-ID", f"r{status}")], sent=10
    )
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/signals/prometheus"}
    logger.access(response, None, environ, timedelta(milliseconds=3))


@pytest.mark.parametrize(
    ("logger_class", "logged"),
    [(ErrorsAccessLogger, [400, 503]), (JsonGunicornLogger, [201, 202, 400, 503])],
)
def test_the_errors_access_log_writes_only_answers_of_400_and_above(capsys, logger_class, logged):
    cfg = GunicornConfig()
    cfg.set("accesslog", "-")
    logger = logger_class(cfg)
    for status in (201, 202, 400, 503):
        _access(logger, status)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["status"] for line in lines] == logged
    assert [line["requestId"] for line in lines] == [f"r{status}" for status in logged]

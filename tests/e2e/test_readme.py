"""The README's curl examples, run as written against `make run`'s sandbox."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import free_port, running

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE = re.compile(
    r"<!-- example(?P<repeat>: repeat previous)? -->\n"
    r"(?:```sh\n(?P<command>.*?)```\n)?```json\n(?P<answer>.*?)```",
    re.DOTALL,
)
ANY = "…"


def examples() -> list[tuple[str, Any]]:
    """Return (command, documented answer) pairs in README order."""
    found: list[tuple[str, Any]] = []
    for match in EXAMPLE.finditer(README.read_text()):
        command = found[-1][0] if match["repeat"] else match["command"]
        found.append((command, json.loads(match["answer"])))
    return found


def matches(documented: Any, actual: Any) -> bool:
    """Compare an answer with its documentation, where "…" stands for any value."""
    if documented == ANY:
        return True
    if isinstance(documented, dict):
        return (
            isinstance(actual, dict)
            and documented.keys() == actual.keys()
            and all(matches(v, actual[k]) for k, v in documented.items())
        )
    if isinstance(documented, list):
        return (
            isinstance(actual, list)
            and len(documented) == len(actual)
            and all(matches(d, a) for d, a in zip(documented, actual, strict=True))
        )
    return bool(documented == actual)


def test_the_readme_has_examples_for_both_endpoints_and_an_error():
    commands = " ".join(command for command, _ in examples())
    assert "/api/v1/signals/prometheus" in commands
    assert "/api/v1/signals/kubernetes-event" in commands
    assert any(answer.get("status") == 400 for _, answer in examples())


def test_matching_treats_only_the_ellipsis_as_a_wildcard():
    assert matches({"a": ANY, "b": [1]}, {"a": "x", "b": [1]})
    assert not matches({"a": ANY, "b": [1]}, {"a": "x", "b": [2]})
    assert not matches({"a": 1}, {"a": 1, "extra": 2})


@pytest.mark.e2e
def test_the_readme_examples_give_the_documented_answers(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(
        ["--bind", f"127.0.0.1:{port}"],
        module="tests.support.sandbox",
        env={},
        url=url,
        log=tmp_path / "sandbox.log",
        traced=True,
    ):
        for command, documented in examples():
            # The only change: the sandbox of this test listens on a free port, not 8080.
            local = command.replace("localhost:8080", f"127.0.0.1:{port}")
            result = subprocess.run(
                ["bash", "-c", local], capture_output=True, text=True, timeout=30, check=True
            )
            answer = json.loads(result.stdout)
            assert matches(documented, answer), f"{command}\n{json.dumps(answer, indent=1)}"

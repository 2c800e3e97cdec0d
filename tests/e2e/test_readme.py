"""The README's curl and kubectl examples, run as written against `make run`'s sandbox."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support import kubectl
from tests.support.processes import free_port, running
from tests.support.waiting import eventually

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE = re.compile(
    r"<!-- example(?P<workload>: workload)?(?P<repeat>: repeat previous)? -->\n"
    r"(?:```sh\n(?P<command>.*?)```\n)?```json\n(?P<answer>.*?)```",
    re.DOTALL,
)
# The sandbox of the workload examples: `GATEWAY_IDENTITY_MODE=workload make run`.
WORKLOAD_MODE = {"GATEWAY_IDENTITY_MODE": "workload"}
KUBECTL_EXAMPLE = re.compile(
    r"<!-- kubectl -->\n```sh\n(?P<command>kubectl [^\n]*)\n```\n```text\n(?P<output>.*?)```",
    re.DOTALL,
)
ANY = "…"


def examples(*, workload: bool = False) -> list[tuple[str, Any]]:
    """Return (command, documented answer) pairs in README order: those of the default
    sandbox, or those of the sandbox in identity.mode workload."""
    found: list[tuple[str, Any]] = []
    for match in EXAMPLE.finditer(README.read_text()):
        if bool(match["workload"]) != workload:
            continue
        command = found[-1][0] if match["repeat"] else match["command"]
        found.append((command, json.loads(match["answer"])))
    return found


WALKTHROUGH = re.compile(
    r"<!-- walkthrough -->\n```sh\n(?P<script>.*?)```\n```json\n(?P<answer>.*?)```", re.DOTALL
)
SANDBOX_KUBECTL = "kubectl --kubeconfig .sandbox/kubeconfig"


def walkthroughs() -> list[tuple[str, Any]]:
    """Return (shell script, documented answer of its last command) pairs in README order."""
    found = WALKTHROUGH.finditer(README.read_text())
    return [(m["script"], json.loads(m["answer"])) for m in found]


def kubectl_examples() -> list[tuple[str, str]]:
    """Return (kubectl command, documented output) pairs in README order."""
    return [(m["command"], m["output"]) for m in KUBECTL_EXAMPLE.finditer(README.read_text())]


def cell_matches(documented: str, actual: str) -> bool:
    """Compare a table cell, where "…" stands for any run of characters."""
    pattern = ".*".join(re.escape(part) for part in documented.split(ANY))
    return re.fullmatch(pattern, actual) is not None


def table_matches(documented: str, actual: str) -> bool:
    """Compare kubectl's output with its documentation: the same header, then row by row."""
    expected, got = kubectl.parse_table(documented), kubectl.parse_table(actual)
    same_header = documented.split("\n", 1)[0].split() == actual.split("\n", 1)[0].split()
    return (
        same_header
        and len(expected) == len(got)
        and all(
            cell_matches(cell, row[name])
            for want, row in zip(expected, got, strict=True)
            for name, cell in want.items()
        )
    )


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


def test_the_readme_shows_workload_identity_joining_signals_and_ignoring_a_gone_pod():
    statuses = [r["status"] for _, answer in examples(workload=True) for r in answer["results"]]
    assert statuses[:3] == ["created", "duplicate", "duplicate"]
    assert "ignored" in statuses


def test_every_sandbox_kubectl_line_of_the_readme_is_an_example_with_its_output():
    sandbox = "kubectl --kubeconfig .sandbox/kubeconfig "
    lines = [line for line in README.read_text().splitlines() if line.startswith(sandbox)]
    assert lines
    assert lines == [command for command, _ in kubectl_examples()]


def test_tables_match_by_header_then_row_by_row_with_the_ellipsis_inside_cells():
    documented = "NAME     PHASE   AGE\nrr-1-…            …\n"
    assert table_matches(documented, "NAME       PHASE   AGE\nrr-1-abc           5s\n")
    assert not table_matches(documented, "NAME       PHASE   AGE\nrr-1-abc   Done    5s\n")
    assert not table_matches(documented, "NAME       PHASE   AGE\nrr-2-abc           5s\n")
    assert not table_matches(documented, "NAME   AGE\nrr-1-abc   5s\n")
    two_rows = "NAME       PHASE   AGE\nrr-1-abc           5s\nrr-1-def           5s\n"
    assert not table_matches(documented, two_rows)


def test_matching_treats_only_the_ellipsis_as_a_wildcard():
    assert matches({"a": ANY, "b": [1]}, {"a": "x", "b": [1]})
    assert not matches({"a": ANY, "b": [1]}, {"a": "x", "b": [2]})
    assert not matches({"a": 1}, {"a": 1, "extra": 2})


def _wait_for_table(command: str, documented: str, *, kubeconfig: Path, home: Path) -> None:
    """Run a README kubectl line until it prints the documented table; fail at the deadline.

    The line runs as written, with this test's kubectl binary and its sandbox's kubeconfig.
    The status writer fills OCCURRENCES in within seconds, not at once: hence the polling.
    """
    local = command.replace(".sandbox/kubeconfig", str(kubeconfig)).replace(
        "kubectl", kubectl.ensure_installed(), 1
    )
    printed = [""]

    def shows_the_table() -> bool:
        printed[0] = _bash(local, home=home, timeout=30)
        return table_matches(documented, printed[0])

    try:
        eventually(shows_the_table, within=20, what=command)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; it printed\n{printed[0]}") from exc


def in_readme_order() -> list[tuple[str, tuple[str, Any]]]:
    """Return every example as (kind, its parts), in the order a reader meets them."""
    text = README.read_text()
    found = [
        (m.start(), "kubectl", (m["command"], m["output"])) for m in KUBECTL_EXAMPLE.finditer(text)
    ]
    found += [(m.start(), "walkthrough", (m["script"], json.loads(m["answer"])))
              for m in WALKTHROUGH.finditer(text)]  # fmt: skip
    curl = [m.start() for m in EXAMPLE.finditer(text) if not m["workload"]]
    found += [(at, "curl", example) for at, example in zip(curl, examples(), strict=True)]
    return [(kind, parts) for _, kind, parts in sorted(found, key=lambda entry: entry[0])]


def _check_curl(command: str, documented: Any, *, port: int) -> None:
    """Run a README curl example (on this test's port) and compare its answer."""
    local = command.replace("localhost:8080", f"127.0.0.1:{port}")
    result = subprocess.run(
        ["bash", "-c", local], capture_output=True, text=True, timeout=30, check=True
    )
    answer = json.loads(result.stdout)
    assert matches(documented, answer), f"{command}\n{json.dumps(answer, indent=1)}"


def _run_walkthrough(script: str, *, port: int, kubeconfig: Path, home: Path) -> Any:
    """Run a README walkthrough as written (this test's port, kubectl and kubeconfig); return
    the JSON its last command printed."""
    local = script.replace("localhost:8080", f"127.0.0.1:{port}").replace(
        SANDBOX_KUBECTL, f"{kubectl.ensure_installed()} --kubeconfig {kubeconfig}"
    )
    return json.loads(_bash(local, home=home, timeout=60).strip().splitlines()[-1])


def _bash(script: str, *, home: Path, timeout: float) -> str:
    """Run README lines in bash with this test's kubectl environment; return what they print."""
    return subprocess.run(
        ["bash", "-c", script],
        env=kubectl.environ(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    ).stdout


def test_there_is_a_lifecycle_walkthrough_and_it_ends_with_a_new_resource():
    (script, answer), *_ = walkthroughs()
    assert "overallPhase" in script
    assert answer["results"][0]["status"] == "created"


@pytest.mark.e2e
def test_the_readme_examples_give_the_documented_answers(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    state = tmp_path / "state"
    with running(
        ["--bind", f"127.0.0.1:{port}", "--state-dir", str(state)],
        module="tests.support.sandbox",
        env={},
        url=url,
        log=tmp_path / "sandbox.log",
        traced=True,
    ):
        kubeconfig, home = state / "kubeconfig", tmp_path / "home"
        for kind, example in in_readme_order():
            if kind == "curl":
                _check_curl(*example, port=port)
            elif kind == "walkthrough":
                answer = _run_walkthrough(example[0], port=port, kubeconfig=kubeconfig, home=home)
                assert matches(example[1], answer), f"{example[0]}\n{json.dumps(answer)}"
            else:
                _wait_for_table(*example, kubeconfig=kubeconfig, home=home)
        # The sandbox tells where its kubeconfig is and how to list what it created.
        banner = f"kubectl --kubeconfig {state / 'kubeconfig'} get rr -A"
        eventually(
            lambda: banner in (tmp_path / "sandbox.log").read_text(errors="replace"),
            within=10,
            what="the sandbox prints the kubectl line",
        )


@pytest.mark.e2e
def test_the_readme_workload_examples_give_the_documented_answers(tmp_path):
    port = free_port()
    with running(
        ["--bind", f"127.0.0.1:{port}", "--state-dir", str(tmp_path / "state"), "--workers", "1"],
        module="tests.support.sandbox",
        env=WORKLOAD_MODE,
        url=f"http://127.0.0.1:{port}",
        log=tmp_path / "sandbox.log",
    ):
        for command, documented in examples(workload=True):
            _check_curl(command, documented, port=port)

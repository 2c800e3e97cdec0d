"""The Dockerfile builds from what the repository has, and runs the way the Helm chart expects.

No Docker engine is needed: the Dockerfile is parsed here, checked against the repository, the
build context (.dockerignore), setup.cfg and the chart's values, and linted with hadolint.
"""

from __future__ import annotations

import configparser
import fnmatch
import json
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
LINT = ROOT / "scripts" / "lint-dockerfile.sh"
CHART_VALUES = ROOT / "helm" / "kubernaut-gateway" / "values.yaml"
BUILD_TOOLS = ("gcc", "g++", "build-essential", "make", "python3-dev", "libc6-dev")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def _logical_lines(text: str) -> list[str]:
    """Join continuation lines and drop comments and blank lines."""
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1].rstrip() + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return lines


def parse(text: str) -> list[Stage]:
    stages: list[Stage] = []
    for line in _logical_lines(text):
        keyword, _, arguments = line.partition(" ")
        keyword, arguments = keyword.upper(), arguments.strip()
        if keyword == "FROM":
            words = [w for w in arguments.split() if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(image=words[0], name=name))
        elif keyword in ("ARG", "ONBUILD") and not stages:
            continue
        else:
            assert stages, f"{keyword} before the first FROM"
            stages[-1].instructions.append(Instruction(keyword, arguments))
    return stages


def _words(arguments: str) -> list[str]:
    """Split exec form (JSON array) or shell-like form into words."""
    if arguments.startswith("["):
        words: list[str] = json.loads(arguments)
        return words
    return shlex.split(arguments)


def _copy_sources(instruction: Instruction) -> tuple[dict[str, str], list[str]]:
    words = _words(instruction.arguments)
    flags = dict(w[2:].split("=", 1) for w in words if w.startswith("--") and "=" in w)
    paths = [w for w in words if not w.startswith("--")]
    assert len(paths) >= 2, instruction
    return flags, paths[:-1]


def _ignore_patterns() -> list[str]:
    return [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, enough for patterns without `!`: a path or any parent matches."""
    parts = Path(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for raw in patterns:
        assert not raw.startswith("!"), "negations are not modelled here"
        pattern = raw.strip("/")
        for candidate in candidates:
            if fnmatch.fnmatch(candidate, pattern):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatch(
                candidate.rsplit("/", 1)[-1], pattern[3:]
            ):
                return True
    return False


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


@pytest.fixture(scope="module")
def chart_security() -> dict[str, object]:
    values = yaml.safe_load(CHART_VALUES.read_text())
    security: dict[str, object] = values["podSecurityContext"]
    return security


def test_the_parser_reads_continuations_comments_and_stages():
    stages = parse(
        "# c\nFROM a:1 AS b\nRUN x \\\n  # inner\n  && y\n\nFROM c:2\nCOPY --from=b /o /o\n"
    )
    assert [(s.image, s.name) for s in stages] == [("a:1", "b"), ("c:2", None)]
    assert stages[0].instructions == [Instruction("RUN", "x && y")]
    assert _copy_sources(stages[1].instructions[0]) == ({"from": "b"}, ["/o"])


def test_it_is_a_multi_stage_build_on_one_python_base(stages):
    assert len(stages) >= 2
    assert stages[0].name == "builder"
    # The virtualenv is copied across stages: its interpreter path must exist in both.
    assert {stage.image for stage in stages} == {"python:3.11-slim"}


def test_every_copy_source_exists_in_the_repository_and_the_build_context(stages):
    patterns = _ignore_patterns()
    names = {stage.name for stage in stages if stage.name}
    checked = []
    for stage in stages:
        for instruction in stage.all("COPY") + stage.all("ADD"):
            flags, sources = _copy_sources(instruction)
            if "from" in flags:
                assert flags["from"] in names, instruction
                continue
            for source in sources:
                assert (ROOT / source).exists(), f"{source} is not in the repository"
                assert not _ignored(source, patterns), f"{source} is excluded by .dockerignore"
                checked.append(source)
    assert {"setup.cfg", "pyproject.toml", "README.md", "app"} <= set(checked)
    assert {"requirements/build.txt", "requirements/runtime.txt"} <= set(checked)


def _pip_commands(stage: Stage) -> list[list[str]]:
    """Every pip command of a stage's RUN instructions, as words from `install`/`wheel` on."""
    commands = []
    for run in stage.all("RUN"):
        for command in re.split(r"&&|;", run.arguments):
            words = shlex.split(command)
            if words and (words[0].endswith("/pip") or words[:3] == ["python", "-m", "pip"]):
                verb = next(i for i, w in enumerate(words) if w in ("install", "wheel"))
                commands.append(words[verb:])
    return commands


def test_the_builder_installs_every_dependency_from_the_lock_and_resolves_nothing(stages):
    copied = {s for i in stages[0].all("COPY") for s in _copy_sources(i)[1]}
    installs = _pip_commands(stages[0])
    assert installs, "the builder runs no pip command"
    locks = []
    for words in installs:
        assert "--no-deps" in words, f"pip resolves dependencies: {words}"
        if "-r" in words:
            lock = words[words.index("-r") + 1]
            assert "--require-hashes" in words, words
            assert lock in copied, f"{lock} is not copied into the build"
            locks.append(lock)
        elif words[0] == "wheel":
            assert "--no-build-isolation" in words, "the build backend must come from the lock"
            assert words[-1] == ".", words
        else:
            assert words[-1].endswith(".whl"), f"pip installs something unlocked: {words}"
    assert locks == ["requirements/build.txt", "requirements/runtime.txt"]


def test_the_final_stage_copies_only_the_virtualenv_and_installs_no_build_tools(final):
    copies = [_copy_sources(i) for i in final.all("COPY") + final.all("ADD")]
    assert copies == [({"from": "builder"}, ["/opt/venv"])]
    runs = " ".join(i.arguments for i in final.all("RUN"))
    assert "pip install" not in runs
    assert "apt-get install" not in runs
    assert not [tool for tool in BUILD_TOOLS if tool in runs.split()]


def test_the_final_stage_runs_as_the_non_root_uid_the_chart_expects(final, chart_security):
    users = final.all("USER")
    assert users, "the final stage must set USER"
    uid, _, gid = users[-1].arguments.partition(":")
    assert uid == "10001" == str(chart_security["runAsUser"])
    assert gid in ("", str(chart_security["runAsGroup"]))
    # The user also exists by that uid/gid, for tools that look names up.
    runs = " ".join(i.arguments for i in final.all("RUN"))
    assert "--uid 10001" in runs
    assert "--gid 10001" in runs
    # Nothing after USER switches back to root.
    last_user = max(i for i, ins in enumerate(final.instructions) if ins.keyword == "USER")
    assert not [i for i in final.instructions[last_user:] if i.keyword == "RUN"]


def test_the_image_serves_on_8080_with_the_packaged_command(final):
    assert [i.arguments for i in final.all("EXPOSE")] == ["8080"]
    env = " ".join(i.arguments for i in final.all("ENV"))
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "PYTHONUNBUFFERED=1" in env
    assert "/opt/venv/bin" in env  # the chart runs `kubernaut-gateway` by name
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    script = setup["options.entry_points"]["console_scripts"].strip().split("=")[0].strip()
    command = [w for i in final.all("ENTRYPOINT") + final.all("CMD") for w in _words(i.arguments)]
    assert command == [script, "serve"]


def test_the_build_context_leaves_out_local_state_and_tests():
    patterns = _ignore_patterns()
    for path in (".venv", ".git", "tests", ".tools", ".mypy_cache", "app/__pycache__", ".sandbox"):
        assert _ignored(path, patterns), path
    assert not _ignored("app/adapters/lua/confirm.lua", patterns)


def test_hadolint_finds_nothing():
    result = subprocess.run(
        [str(LINT)], capture_output=True, text=True, timeout=60, check=False, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr

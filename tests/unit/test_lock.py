"""Every dependency comes from the committed lock, and the lock agrees with setup.cfg."""

from __future__ import annotations

import configparser
import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "requirements"
PYTHON_LOCKS = ("test", "runtime", "build")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+?)(?:\s*;.*)?\s*\\?$")
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def read_lock(text: str) -> dict[str, Version]:
    """Return {canonical name: pinned version}; raise on an entry that is not `==` with hashes."""
    pins: dict[str, Version] = {}
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    for entry in entries:
        first = entry.splitlines()[0] if entry.strip() else ""
        if not first or first.startswith("#"):
            continue
        match = _PIN.match(first)
        if not match:
            raise ValueError(f"not an exact pin: {first!r}")
        if not _HASH.search(entry):
            raise ValueError(f"no sha256 hash: {first!r}")
        pins[canonicalize_name(match[1])] = Version(match[2])
    return pins


def requirements(setup_cfg: str) -> dict[str, list[Requirement]]:
    """Return setup.cfg's requirements: "runtime" and one entry per extra."""
    parser = configparser.ConfigParser()
    parser.read_string(setup_cfg)
    lines = {"runtime": parser["options"]["install_requires"]}
    lines.update(parser["options.extras_require"])
    return {
        group: [Requirement(line) for line in text.splitlines() if line.strip()]
        for group, text in lines.items()
    }


def lock_problems(wanted: list[Requirement], pins: dict[str, Version]) -> list[str]:
    """Say which requirements the lock misses or pins outside their range."""
    problems = []
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement.name} is in setup.cfg but not locked")
        elif pins[name] not in requirement.specifier:
            problems.append(f"{requirement.name}=={pins[name]} is outside {requirement.specifier}")
    return problems


@pytest.fixture(scope="module")
def locks() -> dict[str, dict[str, Version]]:
    return {name: read_lock((LOCKS / f"{name}.txt").read_text()) for name in PYTHON_LOCKS}


@pytest.fixture(scope="module")
def wanted() -> dict[str, list[Requirement]]:
    return requirements((ROOT / "setup.cfg").read_text())


def test_the_checker_sees_a_requirement_that_is_not_locked_or_pinned_outside_its_range():
    pins = {"flask": Version("3.1.3"), "redis": Version("9.0.0")}
    wanted = [Requirement("flask>=3,<4"), Requirement("redis>=8,<9"), Requirement("uv")]
    assert lock_problems(wanted, pins) == [
        "redis==9.0.0 is outside <9,>=8",
        "uv is in setup.cfg but not locked",
    ]
    with pytest.raises(ValueError, match="not an exact pin"):
        read_lock("flask>=3.1 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    with pytest.raises(ValueError, match="no sha256 hash"):
        read_lock("flask==3.1.3\n")


def test_the_three_locks_are_exact_pins_with_hashes(locks):
    # read_lock refuses anything else; an empty lock would prove nothing.
    assert all(locks[name] for name in PYTHON_LOCKS)


def test_every_requirement_of_setup_cfg_is_locked_within_its_range(locks, wanted):
    everything = [requirement for group in wanted.values() for requirement in group]
    assert lock_problems(everything, locks["test"]) == []
    assert lock_problems(wanted["runtime"], locks["runtime"]) == []


def test_the_build_backend_and_pip_are_locked_for_the_image_build(locks):
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    backend = [Requirement(line) for line in pyproject["build-system"]["requires"]]
    assert lock_problems([*backend, Requirement("pip")], locks["build"]) == []


def test_a_package_has_one_version_in_every_lock(locks):
    for name in ("runtime", "build"):
        differing = {
            package: (version, locks["test"].get(package))
            for package, version in locks[name].items()
            if locks["test"].get(package) != version
        }
        assert differing == {}, f"{name}.txt disagrees with test.txt"


def test_each_runtime_dependency_has_a_tested_floor_and_a_ceiling_below_its_next_major(
    locks, wanted
):
    for requirement in wanted["runtime"]:
        floors = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        ceilings = [Version(s.version) for s in requirement.specifier if s.operator == "<"]
        assert floors, f"{requirement} has no lower bound"
        assert ceilings, f"{requirement} has no upper bound"
        pinned = locks["runtime"][canonicalize_name(requirement.name)]
        assert floors[0] <= pinned, requirement
        assert ceilings[0] <= Version(f"{pinned.major + 1}"), f"{requirement}: above next major"


def test_this_environment_holds_exactly_the_locked_versions(locks):
    installed = {
        canonicalize_name(dist.metadata["Name"]): Version(dist.version)
        for dist in importlib.metadata.distributions()
    }
    ours = canonicalize_name("kubernaut-gateway")
    assert ours in installed, "the project itself is not installed"
    del installed[ours]
    assert installed == locks["test"]

"""Imports inside app/ run one way: entrypoints -> api -> service -> ports <- adapters.

Every import counts, at module level or inside a function or a TYPE_CHECKING block: a cycle or
a wrong-way import through any of them ties the rooms together all the same.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
ENTRYPOINTS = frozenset({"app", "app.__main__", "app.cli", "app.wsgi", "app.server", "app.workers"})
COMPOSITION_ROOT = "app.bootstrap"
# Rooms below the service layer: shared vocabulary, configuration and instrumentation.
FOUNDATION = frozenset(
    {
        "app.domain",
        "app.config",
        "app.settings",
        "app.logs",
        "app.metrics",
        "app.pacing",
        "app.redis_url",
    }
)
PORTS = frozenset({"app.service.ports", "app.service.errors"})


def module_name(path: Path, *, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, *, package: str) -> Iterator[tuple[str, list[str]]]:
    """Yield (module, names imported from it) for every import of a module, anywhere in it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            yield base, [alias.name for alias in node.names]


def import_graph(root: Path = APP) -> dict[str, set[str]]:
    """Return {module: the app modules it imports} for every module under `root`."""
    modules = {module_name(path, root=root): path for path in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for base, names in imported(ast.parse(path.read_text()), package=package):
            submodules = {f"{base}.{n}" for n in names} & modules.keys()
            targets |= submodules or ({base} & modules.keys())
        graph[name] = targets - {name}
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def wrong_way(graph: Mapping[str, set[str]]) -> list[str]:
    """Return every import against entrypoint -> api -> service -> ports <- adapters."""
    problems = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if not _allowed(module, target):
                problems.append(f"{module} imports {target}")
    return problems


def _room(module: str) -> str:
    if module in ENTRYPOINTS:
        return "entrypoint"
    if module == COMPOSITION_ROOT:
        return "bootstrap"
    if module in FOUNDATION:
        return "foundation"
    if module in PORTS:
        return "ports"
    return module.split(".")[1]  # api, service, adapters


ALLOWED = {
    "entrypoint": {"entrypoint", "bootstrap", "api", "service", "ports", "foundation"},
    "bootstrap": {"adapters", "service", "ports", "foundation"},
    "api": {"api", "service", "ports", "foundation"},
    "service": {"service", "ports", "foundation"},
    "adapters": {"adapters", "ports", "foundation"},
    "ports": {"ports", "foundation"},
    "foundation": {"foundation"},
}


def _allowed(module: str, target: str) -> bool:
    return _room(target) in ALLOWED[_room(module)]


def test_the_app_package_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_imports_run_one_way_and_only_the_composition_root_knows_adapters():
    assert wrong_way(import_graph()) == []


def test_the_checks_see_a_cycle_and_a_wrong_way_import(tmp_path):
    package = tmp_path / "app"
    (package / "api").mkdir(parents=True)
    (package / "adapters").mkdir()
    (package / "__init__.py").write_text("")
    (package / "domain.py").write_text("from app import config\n")
    (package / "config.py").write_text("def f():\n    from app.domain import x\n")
    (package / "api" / "__init__.py").write_text("")
    (package / "api" / "views.py").write_text("from app.adapters.store import Store\n")
    (package / "adapters" / "__init__.py").write_text("")
    (package / "adapters" / "store.py").write_text("from ..domain import y\n")
    graph = import_graph(package)
    assert cycles(graph) == [["app.config", "app.domain"]]
    assert wrong_way(graph) == ["app.api.views imports app.adapters.store"]
    assert "app.domain" in graph["app.adapters.store"]

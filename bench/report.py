"""The bench's one table, aligned plain text: a row per scenario, then the resource figures,
each next to its targets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Row = Sequence[str]
HEADER = (
    "scenario",
    "req/s",
    "alerts/s",
    "p50 ms",
    "p99 ms",
    "of ceiling",
    "Redis rt / cmds per req",
    "Kubernetes API calls / other",
    "target",
    "met",
)
# The targets shown on a scenario's row.
ROW_TARGETS = {
    "duplicate_1": ("duplicate_1.ratio_to_ceiling", "duplicate_1.p99_ms"),
    "duplicate_50": ("duplicate_50.alerts_per_s",),
    "new_fingerprint": ("kube_calls_per_created_resource",),
    "storm": ("storm_resources_created_per_storm",),
    "workload": ("workload_resources_per_workload",),
}
_DASH = ["-"] * 6  # a resource row's req/s to Redis columns


def table(header: Row, rows: Sequence[Row], *, right: frozenset[int] = frozenset()) -> str:
    """Render `rows` under `header`; the columns in `right` are right-aligned (numbers)."""
    widths = [len(cell) for cell in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Row) -> str:
        padded = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def number(value: float | None, digits: int = 0) -> str:
    """Format a figure with thousands separators; "-" when there is none."""
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def percent(value: float | None) -> str:
    """Format a ratio as a whole percentage; "-" when there is none."""
    return "-" if value is None else f"{value * 100:.0f}%"


def verdict(met: bool | None) -> str:
    """Say whether a target is met: "yes", "NO", or nothing when its figure is missing."""
    if met is None:
        return ""
    return "yes" if met else "NO"


def render(results: dict[str, Any]) -> str:
    """The one table: a row per scenario, then the resource figures."""
    figures: dict[str, Any] = results["figures"]
    met = {t["figure"]: t for t in results["targets"]}
    rows = [
        _scenario_row(key, sc, figures=figures, met=met) for key, sc in results["scenarios"].items()
    ]
    rows += _resource_rows(figures, met=met)
    return table(HEADER, rows, right=frozenset({1, 2, 3, 4, 5}))


def _check(met: dict[str, dict[str, Any]], *names: str) -> tuple[str, str]:
    """The targets' text, and whether all of them are met."""
    picked = [met[name] for name in names]
    verdicts = [t["met"] for t in picked]
    ok = None if None in verdicts else all(verdicts)
    return "; ".join(t["target"] for t in picked), verdict(ok)


def _scenario_row(
    key: str, sc: dict[str, Any], *, figures: dict[str, Any], met: dict[str, dict[str, Any]]
) -> list[str]:
    """A scenario's row: its speed, what it cost Redis and the API, and its targets."""
    goal, ok = _check(met, *ROW_TARGETS[key]) if key in ROW_TARGETS else ("", "")
    backend = "redis_calls_per_request" in sc  # not the ceiling's
    return [
        sc["title"],
        number(sc["requests_per_s"]),
        number(sc["alerts_per_s"]),
        number(sc["p50_ms"], 1),
        number(sc["p99_ms"], 1),
        percent(sc["ratio_to_ceiling"]) if key != "ceiling" else "100%",
        _redis_cell(sc) if backend else "-",
        _kube_cell(key, sc, figures=figures) if backend else "-",
        goal,
        ok,
    ]


def _redis_cell(sc: dict[str, Any]) -> str:
    """Round trips (MONITOR) / commands, Lua's included, per request."""
    rounds, calls = sc["redis_round_trips_per_request"], sc["redis_calls_per_request"]
    return f"{number(rounds, 1)} / {number(calls, 1)}"


def _kube_cell(key: str, sc: dict[str, Any], *, figures: dict[str, Any]) -> str:
    """API calls per created resource, per storm, or per request, as the scenario is read."""
    if key == "new_fingerprint":
        notes = []
        if reads := int(sc.get("namespace_reads") or 0):
            notes.append(f"+{reads} cached namespace reads")
        if carried := int(sc.get("kube_calls_carried_over") or 0):
            notes.append(f"+{carried} earlier status writes")
        note = f" ({', '.join(notes)})" if notes else ""
        return f"{number(sc['kube_calls_per_created_resource'], 3)}/created{note}"
    if key == "storm":
        return (
            f"{number(figures['kube_calls_per_storm'])}/storm, "
            f"{number(figures['storm_resources_created_per_storm'])} created"
        )
    if key == "workload":
        return (
            f"{number(figures['workload_kube_calls_per_1000_signals'], 1)}/1000 signals "
            f"({number(figures['workload_lookups_per_1000_signals'], 1)} lookups), "
            f"{number(figures['workload_kube_calls_per_created_resource'], 1)}/created"
        )
    return f"{number(sc.get('kube_calls_per_request'), 3)}/req"


def _resource_rows(figures: dict[str, Any], *, met: dict[str, dict[str, Any]]) -> list[list[str]]:
    """Redis memory per active fingerprint and worker RSS, when measured."""
    rows = []
    if "redis_bytes_per_fingerprint" in figures:
        memory = (
            f"{number(figures['redis_bytes_per_fingerprint'])} B record: "
            f"{number(figures['redis_bytes_per_fingerprint_created'])} B created, "
            f"+{number(figures['redis_record_growth_when_active'])} B repeated and written "
            f"(+{number(figures['redis_bytes_per_fingerprint_scope_share'])} B storm scope)"
        )
        goal, ok = _check(met, "redis_bytes_per_fingerprint")
        rows.append(["Redis memory per active fingerprint", *_DASH, memory, goal, ok])
    if "worker_rss_mb" in figures:
        first, last = figures["rss_requests"]
        rss = (
            f"{number(figures['worker_rss_mb'], 1)} MB max, "
            f"+{number(figures['worker_rss_growth_mb'], 1)} MB {first:,}->{last:,}; "
            f"{number(figures.get('rss_indexed_resources'))} resources indexed"
        )
        goal, ok = _check(met, "worker_rss_mb", "worker_rss_growth_mb")
        rows.append([f"worker RSS after {last:,} req", *_DASH, rss, goal, ok])
    return rows

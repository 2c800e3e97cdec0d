"""The bench's one table: aligned plain text."""

from __future__ import annotations

from collections.abc import Sequence

Row = Sequence[str]


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
    return "-" if value is None else f"{value * 100:.0f}%"


def verdict(met: bool | None) -> str:
    if met is None:
        return ""
    return "yes" if met else "NO"

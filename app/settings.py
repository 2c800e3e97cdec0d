"""Declare each setting once: its YAML key, variable, parser, default and meaning together."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, TypeVar

T = TypeVar("T")
Parse = Callable[[Any], Any]
_METADATA_KEY = "setting"


@dataclass(frozen=True)
class Setting:
    """How one configuration field is set and what it means."""

    key: str
    env: str | None
    parse: Parse
    doc: str
    # The default as the README shows it, when the value alone does not say it.
    shown: str | None = None

    def describe(self) -> str:
        """Name the setting in a problem: its YAML key, and its variable if it has one."""
        return f"{self.key} ({self.env})" if self.env else self.key


def setting(
    default: T, *, key: str, env: str | None, parse: Parse, doc: str, shown: str | None = None
) -> T:
    """Declare a dataclass field with the YAML key, variable and parser that set it."""
    metadata = {_METADATA_KEY: Setting(key=key, env=env, parse=parse, doc=doc, shown=shown)}
    if isinstance(default, Mapping):  # unhashable: a dataclass takes it only from a factory
        return field(default_factory=lambda: default, metadata=metadata)
    return field(default=default, metadata=metadata)


def settings_of(cls: type[Any]) -> dict[str, Setting]:
    """Return the setting of each field of dataclass `cls` by field name, in order."""
    found = {}
    for each in fields(cls):
        if _METADATA_KEY not in each.metadata:
            raise TypeError(f"{cls.__name__}.{each.name} is not declared with setting()")
        found[each.name] = each.metadata[_METADATA_KEY]
    return found


def markdown_table(cls: type[Any]) -> str:
    """Return the README's table of the settings of dataclass `cls`."""
    defaults = cls()
    rows = ["| YAML key | environment variable | default | meaning |", "|---|---|---|---|"]
    for name, each in settings_of(cls).items():
        env = f"`{each.env}`" if each.env else "(YAML only)"
        shown = each.shown or _shown(getattr(defaults, name))
        rows.append(f"| `{each.key}` | {env} | {shown} | {each.doc} |")
    return "\n".join(rows) + "\n"


def _shown(value: Any) -> str:
    """Return a default as the README shows it: in code style, or `none` when empty."""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    if isinstance(value, int | str) and value != "":
        return f"`{value}`"
    if isinstance(value, tuple) and value:
        return f"`{','.join(value)}`"
    if not value:
        return "none"
    raise TypeError(f"say how the default {value!r} is shown: setting(..., shown=...)")


def positive(kind: Callable[[Any], Any]) -> Parse:
    """Parse a number of `kind` greater than zero."""

    def parse(raw: Any) -> Any:
        value = _number(kind, raw)
        if value <= 0:
            raise ValueError(f"must be positive, got {raw!r}")
        return value

    return parse


def non_negative(kind: Callable[[Any], Any]) -> Parse:
    """Parse a number of `kind`, zero or more."""

    def parse(raw: Any) -> Any:
        value = _number(kind, raw)
        if value < 0:
            raise ValueError(f"must not be negative, got {raw!r}")
        return value

    return parse


def _number(kind: Callable[[Any], Any], raw: Any) -> Any:
    """Convert `raw` with `kind`, refusing booleans (to Python, YAML's `true` is the int 1)."""
    if isinstance(raw, bool):
        raise TypeError(f"expected a number, got {raw!r}")
    return kind(raw)


def ratio(raw: Any) -> float:
    """Parse a ratio above 0 and at most 1."""
    value = float(positive(float)(raw))
    if value > 1:
        raise ValueError(f"must be at most 1, got {raw!r}")
    return value


def choice(*choices: str, fold: Callable[[str], str] = str.lower) -> Callable[[Any], str]:
    """Parse one of `choices`, compared after `fold`."""

    def parse(raw: Any) -> str:
        value = fold(str(raw))
        if value not in choices:
            raise ValueError(f"must be one of {'|'.join(choices)}, got {raw!r}")
        return value

    return parse


def boolean(raw: Any) -> bool:
    """Parse a YAML boolean or true/false, 1/0, yes/no, on/off."""
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def text(raw: Any) -> str:
    """Parse a non-empty string."""
    if not isinstance(raw, str) or not raw:
        raise ValueError(f"expected a non-empty string, got {raw!r}")
    return raw


def mapping(raw: Any) -> Mapping[str, str]:
    """Parse a YAML mapping or `key=value,key=value`."""
    if isinstance(raw, str):
        pairs = [item.split("=", 1) for item in raw.split(",") if item.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError(f"expected key=value,key=value, got {raw!r}")
        raw = {k.strip(): v.strip() for k, v in pairs}
    if not isinstance(raw, dict):
        raise ValueError(f"expected a mapping, got {raw!r}")
    return MappingProxyType({str(k): str(v) for k, v in raw.items()})


def names(raw: Any) -> tuple[str, ...]:
    """Parse a YAML list or `a,b,c`, dropping empty items."""
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise ValueError(f"expected a list, got {raw!r}")
    return tuple(str(item).strip() for item in items if str(item).strip())

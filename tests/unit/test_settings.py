"""app.settings: a setting is declared once; the README's table is made from the declarations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pytest

from app.settings import markdown_table, names, setting, settings_of, text


@dataclass(frozen=True)
class Declared:
    endpoints: tuple[str, ...] = setting(
        ("a", "b"), key="x.endpoints", env="X_ENDPOINTS", parse=names, doc="where to go"
    )
    labels: Mapping[str, str] = setting(
        MappingProxyType({"team": "sre"}),
        key="x.labels",
        env=None,
        parse=dict,
        doc="labels",
        shown="one label",
    )


def test_a_row_shows_the_key_the_variable_the_default_and_the_meaning():
    assert markdown_table(Declared).splitlines()[2:] == [
        "| `x.endpoints` | `X_ENDPOINTS` | `a,b` | where to go |",
        "| `x.labels` | (YAML only) | one label | labels |",
    ]


def test_a_field_declared_without_setting_is_refused():
    @dataclass
    class Undeclared:
        name: str = setting("n", key="x.name", env=None, parse=text, doc="name")
        plain: int = field(default=1)

    with pytest.raises(TypeError, match=r"Undeclared\.plain is not declared with setting\(\)"):
        settings_of(Undeclared)


def test_a_default_the_table_cannot_show_must_say_how_it_is_shown():
    @dataclass
    class Unshown:
        labels: Mapping[str, str] = setting(
            MappingProxyType({"team": "sre"}), key="x.labels", env=None, parse=dict, doc="labels"
        )

    with pytest.raises(TypeError, match="shown="):
        markdown_table(Unshown)

"""Parse and evaluate label selectors and field selectors with kube's grammar."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .objectmeta import label_value_errors, qualified_name_errors
from .status import ApiError, bad_request

_TOKEN = re.compile(r"\s*(==|!=|=|!|,|\(|\)|<|>|[^\s=!,()<>]+)")
_OPERATORS = frozenset({"==", "!=", "=", "!", ",", "(", ")", "<", ">"})


@dataclass(frozen=True)
class Requirement:
    """One clause of a label selector, such as `tier in (web,api)`."""

    key: str
    operator: str  # exists, !exists, =, !=, in, notin, gt, lt
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Return whether `labels` satisfy this clause."""
        present = self.key in labels
        value = labels.get(self.key, "")
        if self.operator in ("exists", "!exists"):
            return present == (self.operator == "exists")
        if self.operator in ("!=", "notin"):
            # kube: `!=` and `notin` also match objects that lack the label.
            return not present or value not in self.values
        if not present:
            return False
        if self.operator in ("=", "in"):
            return value in self.values
        number = _as_int(value)
        if number is None:
            return False
        bound = int(self.values[0])
        return number > bound if self.operator == "gt" else number < bound


def _as_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _tokens(text: str) -> list[str]:
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # pragma: no cover - the lexeme pattern matches any non-space run
            raise _parse_error(text, f"unexpected character at {position}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def _parse_error(selector: str, why: str) -> ApiError:
    return bad_request(f"unable to parse requirement: {why} (in label selector {selector!r})")


class _Parser:
    def __init__(self, selector: str) -> None:
        self.selector = selector
        self.tokens = _tokens(selector)
        self.index = 0

    def peek(self) -> str | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> str | None:
        lexeme = self.peek()
        self.index += 1
        return lexeme

    def fail(self, why: str) -> ApiError:
        return _parse_error(self.selector, why)

    def identifier(self, what: str) -> str:
        lexeme = self.take()
        if lexeme is None or lexeme in _OPERATORS:
            raise self.fail(f"found {lexeme!r}, expected: {what}")
        return lexeme

    def requirements(self) -> list[Requirement]:
        result: list[Requirement] = []
        if self.peek() is None:
            return result
        while True:
            result.append(self.requirement())
            lexeme = self.take()
            if lexeme is None:
                return result
            if lexeme != ",":
                raise self.fail(f"found {lexeme!r}, expected: ','")

    def requirement(self) -> Requirement:
        if self.peek() == "!":
            self.take()
            return self.checked(Requirement(self.identifier("key"), "!exists"))
        key = self.identifier("key")
        lexeme = self.peek()
        if lexeme is None or lexeme == ",":
            return self.checked(Requirement(key, "exists"))
        self.take()
        if lexeme in ("=", "=="):
            return self.checked(Requirement(key, "=", (self.value(),)))
        if lexeme == "!=":
            return self.checked(Requirement(key, "!=", (self.value(),)))
        if lexeme in ("in", "notin"):
            return self.checked(Requirement(key, lexeme, self.value_set()))
        if lexeme in ("<", ">"):
            number = self.identifier("an integer")
            if _as_int(number) is None:
                raise self.fail(f"for 'Gt', 'Lt' operators, the value must be an integer: {number}")
            return self.checked(Requirement(key, "gt" if lexeme == ">" else "lt", (number,)))
        raise self.fail(f"found {lexeme!r}, expected: in, notin, =, ==, !=, gt, lt")

    def value(self) -> str:
        lexeme = self.peek()
        # `key=` selects an empty value, as in kube.
        if lexeme is None or lexeme == ",":
            return ""
        return self.identifier("a value")

    def value_set(self) -> tuple[str, ...]:
        if self.take() != "(":
            raise self.fail("expected: '('")
        values: list[str] = []
        after_comma = False
        while True:
            lexeme = self.peek()
            if lexeme in (",", ")"):
                self.take()
                # An empty slot, as in `(a,,b)` or `(a,)`, stands for the empty value.
                if after_comma or (lexeme == "," and not values):
                    values.append("")
                if lexeme == ")":
                    return tuple(values)
                after_comma = True
                continue
            values.append(self.identifier("a value or ')'"))
            after_comma = False

    def checked(self, requirement: Requirement) -> Requirement:
        problems = qualified_name_errors(requirement.key)
        if requirement.operator not in ("gt", "lt"):
            for value in requirement.values:
                problems += label_value_errors(value)
        if requirement.operator in ("in", "notin") and not requirement.values:
            problems.append("for 'in', 'notin' operators, values set can't be empty")
        if problems:
            raise self.fail("; ".join(problems))
        return requirement


@dataclass(frozen=True)
class LabelSelector:
    """A parsed label selector: every requirement must match."""

    requirements: tuple[Requirement, ...]

    @classmethod
    def parse(cls, text: str | None) -> LabelSelector:
        """Parse `text`, raising a 400 ApiError on bad syntax."""
        if not text:
            return cls(())
        return cls(tuple(_Parser(text).requirements()))

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """Return whether `labels` satisfy every requirement."""
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)


# Field selectors every resource supports in kube; others are rejected with a 400.
_FIELDS = ("metadata.name", "metadata.namespace")


@dataclass(frozen=True)
class FieldSelector:
    """A parsed field selector over metadata.name and metadata.namespace."""

    terms: tuple[tuple[str, bool, str], ...]  # (field, wants_equal, value)

    @classmethod
    def parse(cls, text: str | None) -> FieldSelector:
        """Parse `text`, raising a 400 ApiError on bad syntax or unsupported fields."""
        terms = []
        for raw in (text or "").split(","):
            part = raw.strip()
            if not part:
                continue
            match = re.fullmatch(r"([^=!]+)(==|=|!=)(.*)", part)
            if match is None:
                raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
            field, operator, value = match.group(1).strip(), match.group(2), match.group(3).strip()
            if field not in _FIELDS:
                raise bad_request(f'field label not supported: "{field}"')
            terms.append((field, operator != "!=", value))
        return cls(tuple(terms))

    def matches(self, obj: Mapping[str, Any]) -> bool:
        """Return whether `obj` satisfies every term."""
        metadata = obj.get("metadata") or {}
        for field, wants_equal, value in self.terms:
            actual = metadata.get(field.split(".", 1)[1]) or ""
            if (actual == value) != wants_equal:
                return False
        return True

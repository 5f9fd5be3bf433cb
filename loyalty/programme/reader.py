"""Strict reading of a programme document: every key known, every type exact.

Errors name the file and the key path (``rules[2].rate``), so a programme manager
can fix a document without reading code. Floats are refused everywhere: rates are
exact decimal strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from fractions import Fraction
from typing import Any, Final

from loyalty.errors import LoyaltyError
from loyalty.programme.arithmetic import NotADecimal, parse_decimal

IDENTIFIER: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
"""Ids of programmes, rules, wallets, rewards, cards, tiers and groups."""
LABEL: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
"""Tags, flags, tender kinds, store ids and skus."""

_REQUIRED: Any = object()


class ProgrammeError(LoyaltyError):
    """A programme document is not valid; the message names the file and the key."""


class NewerEngineRequired(ProgrammeError):
    """The document needs a newer programme engine than this software has."""


def normalise_document(value: Any, path: str, source: str) -> Any:
    """The document as JSON-ready data: TOML dates and times become ISO text.

    Raises :class:`ProgrammeError` at the first float (floats are never exact) or
    value JSON cannot carry.
    """
    if isinstance(value, Mapping):
        return {
            str(k): normalise_document(v, f"{path}.{k}" if path else str(k), source)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [normalise_document(v, f"{path}[{i}]", source) for i, v in enumerate(value)]
    if isinstance(value, float):
        raise ProgrammeError(
            f"{source}: {path}: {value!r} is a float; write it as an exact decimal in "
            f'quotes ("{value}").'
        )
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    raise ProgrammeError(f"{source}: {path}: {value!r} is not a value a programme can hold.")


class Table:
    """One table of the document; remembers which keys were read."""

    def __init__(self, data: Any, path: str, source: str) -> None:
        if not isinstance(data, Mapping):
            raise ProgrammeError(f"{source}: {path} must be a table.")
        self.data: Mapping[str, Any] = data
        self.path = path
        self.source = source
        self._read: set[str] = set()

    def error(self, key: str | None, problem: str) -> ProgrammeError:
        where = f"{self.path}.{key}" if key and self.path else (key or self.path)
        return ProgrammeError(f"{self.source}: {where}: {problem}")

    def has(self, key: str) -> bool:
        return key in self.data

    def _get(self, key: str, default: Any) -> Any:
        self._read.add(key)
        if key in self.data:
            return self.data[key]
        if default is _REQUIRED:
            raise self.error(key, "is missing.")
        return default

    def text(
        self,
        key: str,
        default: Any = _REQUIRED,
        choices: Iterable[str] | None = None,
        pattern: re.Pattern[str] | None = None,
    ) -> Any:
        value = self._get(key, default)
        if value is default and key not in self.data:
            return value
        if not isinstance(value, str):
            raise self.error(key, f"must be text in quotes, not {value!r}.")
        if choices is not None and value not in tuple(choices):
            options = ", ".join(f'"{c}"' for c in choices)
            raise self.error(key, f"must be one of {options}, not {value!r}.")
        if pattern is not None and not pattern.match(value):
            raise self.error(key, f"{value!r} is not a valid name ({_describe(pattern)}).")
        return value

    def integer(self, key: str, default: Any = _REQUIRED, minimum: int | None = 0) -> Any:
        value = self._get(key, default)
        if value is default and key not in self.data:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be a whole number, not {value!r}.")
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum}, not {value}.")
        return value

    def decimal(self, key: str, default: Any = _REQUIRED, minimum: Fraction | None = None) -> Any:
        value = self._get(key, default)
        if value is default and key not in self.data:
            return value
        try:
            number = parse_decimal(value)
        except NotADecimal as error:
            raise self.error(key, f"{error}.") from None
        if minimum is not None and number < minimum:
            raise self.error(key, f"must be at least {minimum}, not {value}.")
        return number

    def boolean(self, key: str, default: Any = _REQUIRED) -> Any:
        value = self._get(key, default)
        if value is default and key not in self.data:
            return value
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {value!r}.")
        return value

    def labels(
        self, key: str, pattern: re.Pattern[str] = LABEL, allowed: Iterable[str] | None = None
    ) -> frozenset[str]:
        """A list of names (tags, tiers, ...); absent means an empty set."""
        value = self._get(key, [])
        if not isinstance(value, list):
            raise self.error(key, f"must be a list in brackets, not {value!r}.")
        known = None if allowed is None else frozenset(allowed)
        for index, item in enumerate(value):
            if not isinstance(item, str) or not pattern.match(item):
                raise self.error(f"{key}[{index}]", f"{item!r} is not a valid name.")
            if known is not None and item not in known:
                options = ", ".join(sorted(known)) or "none are declared"
                raise self.error(f"{key}[{index}]", f"{item!r} is not one of: {options}.")
        return frozenset(value)

    def table(self, key: str) -> Table | None:
        value = self._get(key, None)
        if value is None:
            return None
        return Table(value, f"{self.path}.{key}" if self.path else key, self.source)

    def tables(self, key: str) -> list[Table]:
        """An array of tables (``[[rules]]``); absent means none."""
        value = self._get(key, [])
        if not isinstance(value, list):
            raise self.error(key, "must be an array of tables ([[...]]).")
        prefix = f"{self.path}.{key}" if self.path else key
        return [Table(item, f"{prefix}[{i}]", self.source) for i, item in enumerate(value)]

    def done(self) -> None:
        """Refuse any key that was not read: a misspelt key is never ignored."""
        unknown = sorted(set(self.data) - self._read)
        if unknown:
            raise self.error(unknown[0], "is not a key this programme engine knows (misspelt?).")


def _describe(pattern: re.Pattern[str]) -> str:
    if pattern is IDENTIFIER:
        return "lower-case letters, digits, '-' or '_', at most 40"
    return "letters, digits, '.', '-' or '_', at most 40"

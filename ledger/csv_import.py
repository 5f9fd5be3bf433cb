"""Reading the CSV files head office imports (members, products, offers): all or nothing.

Every import reads its file completely before it changes anything, and a file with
any bad line is refused whole with one error that names each bad line (the first
:data:`MAX_REPORTED`), so an operator fixes the file and imports it again. A file
that cannot be read (missing, not UTF-8, a field too large, a header without the
columns the import needs) is refused with a message saying why. Headers are
matched without surrounding spaces; values are stripped.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TypeVar

from ledger.errors import AdminError

MAX_REPORTED = 20
"""Bad lines named in one error (the count of the others follows)."""

Row = TypeVar("Row")


def read_csv(
    path: Path,
    check_header: Callable[[list[str]], str | None],
    parse: Callable[[dict[str, str], int], Row],
    key: Callable[[Row], str] | None = None,
) -> list[Row]:
    """The rows of ``path``, each ``parse``d from its stripped values and line number.

    ``check_header`` says what is wrong with the header (None: nothing); ``parse``
    raises :class:`AdminError` for a bad line; ``key`` (a text such as
    ``"card 2900000000015"``) names what may be on one line only.
    """
    errors: list[str] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            try:
                rows = _rows(path, reader, check_header, parse, key, errors)
            except csv.Error as exc:
                where = f"after line {reader.line_num}"
                raise AdminError(f"{path}: not readable as CSV {where} ({exc}).") from exc
    except OSError as exc:
        raise AdminError(f"Cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise AdminError(f"{path} is not UTF-8 text.") from exc
    if errors:
        raise AdminError(nothing_imported(errors))
    return rows


def _rows(
    path: Path,
    reader: csv.DictReader[str],
    check_header: Callable[[list[str]], str | None],
    parse: Callable[[dict[str, str], int], Row],
    key: Callable[[Row], str] | None,
    errors: list[str],
) -> list[Row]:
    """Check the header, then parse every line (bad lines into ``errors``)."""
    header = [h.strip() for h in reader.fieldnames or []]
    wrong = check_header(header)
    if wrong is not None:
        raise AdminError(f"{path}:1: {wrong}")
    reader.fieldnames = header
    rows: list[Row] = []
    first: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        try:
            if None in raw:
                raise AdminError("this line has more fields than the header.")
            row = parse({k: (v or "").strip() for k, v in raw.items()}, line)
        except AdminError as exc:
            errors.append(f"{path}:{line}: {exc.reason}")
            continue
        if key is not None:
            repeat = repeated(path, first, key(row), line)
            if repeat is not None:
                errors.append(repeat)
                continue
        rows.append(row)
    return rows


def repeated(path: Path, first: dict[str, int], named: str, line: int) -> str | None:
    """The error for ``named`` (``"card 2900000000015"``) on ``line`` if it was on an
    earlier line of the file (``first``: where each was first seen, kept up to date)."""
    if named in first:
        return f"{path}:{line}: {named} is also on line {first[named]}."
    first[named] = line
    return None


def nothing_imported(errors: Sequence[str]) -> str:
    """The one error of a refused file: each bad line, the first :data:`MAX_REPORTED`."""
    shown = list(errors[:MAX_REPORTED])
    more = len(errors) - len(shown)
    tail = f"\n... and {more} more" if more else ""
    return "Nothing was imported:\n" + "\n".join(shown) + tail


def missing_and_unknown(
    header: Sequence[str], required: Sequence[str], allowed: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The required columns the header lacks, and its columns no import knows."""
    return [c for c in required if c not in header], [c for c in header if c not in allowed]


def day_within(
    text: str, column: str, first: date, last: date, after_last: str = ""
) -> date | None:
    """An optional ``YYYY-MM-DD`` value from ``first`` to ``last`` (empty: None); a
    day after ``last`` is refused with ``after_last`` when given ("is in the
    future"), else by naming ``last``."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise AdminError(f"{column} {text!r} is not a date written YYYY-MM-DD.")
    if day < first:
        raise AdminError(f"{column} {text} is before {first}.")
    if day > last:
        raise AdminError(f"{column} {text} {after_last or f'is after {last}'}.")
    return day

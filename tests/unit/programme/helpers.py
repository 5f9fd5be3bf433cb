"""Small builders for programme documents, baskets and member snapshots.

Tests state a programme as a few rules and a basket as a few lines; these helpers
fill in the rest (the ``[programme]`` table, line numbers, skus and a business time)
so every table row stays short and says only what it is about.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from loyalty.programme import (
    Basket,
    MemberSnapshot,
    Outcome,
    Programme,
    basket_from_json,
    evaluate,
    load_programme_file,
    parse_programme,
    snapshot_from_json,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES_DIR = REPO_ROOT / "examples" / "programmes"
EXAMPLE_NAMES = tuple(sorted(p.stem for p in EXAMPLES_DIR.glob("*.toml")))

WEDNESDAY = "2026-03-25T12:00:00+01:00"
"""A plain weekday noon in Oslo (winter time): no weekend or night window holds."""
SATURDAY = "2026-03-28T12:00:00+01:00"
SUNDAY = "2026-03-29T12:00:00+02:00"

HEAD: dict[str, Any] = {
    "id": "test",
    "name": "Test programme",
    "engine": 1,
    "currency": "NOK",
    "timezone": "Europe/Oslo",
}


@cache
def example(name: str) -> Programme:
    """The example programme ``examples/programmes/<name>.toml`` (loaded once)."""
    return load_programme_file(EXAMPLES_DIR / f"{name}.toml")


def document(*rules: Mapping[str, Any], **sections: Any) -> dict[str, Any]:
    """A programme document: ``[programme]`` filled in, ``rules`` as ``[[rules]]``.

    Keyword arguments are further top-level sections (``arithmetic={...}``,
    ``rewards=[...]``); ``programme={...}`` overrides keys of the ``[programme]`` table.
    """
    head = {**HEAD, **sections.pop("programme", {})}
    doc: dict[str, Any] = {"programme": head}
    if rules:
        doc["rules"] = [dict(r) for r in rules]
    doc.update(copy.deepcopy(sections))
    return doc


def programme(*rules: Mapping[str, Any], **sections: Any) -> Programme:
    """:func:`document` parsed into a :class:`Programme`."""
    return parse_programme(document(*rules, **sections), "test.toml")


def item(
    price: int,
    qty: int = 1,
    tags: Iterable[str] = (),
    flags: Iterable[str] = (),
    sku: str | None = None,
    name: str | None = None,
    line: int | None = None,
) -> dict[str, Any]:
    """One basket line in its JSON form; ``line`` is numbered by :func:`basket_json`
    when not given."""
    data: dict[str, Any] = {
        "sku": sku or f"sku-{price}",
        "name": name or f"Item {price}",
        "tags": list(tags),
        "qty": qty,
        "unit_minor": price,
    }
    if flags:
        data["flags"] = list(flags)
    if line is not None:
        data["line"] = line
    return data


def basket_json(
    *lines: Mapping[str, Any],
    at: str = WEDNESDAY,
    store: str = "OSLO01",
    tenders: Iterable[tuple[str, int]] = (),
    rewards: Iterable[Mapping[str, str]] = (),
    redeem_points: int = 0,
) -> dict[str, Any]:
    """A basket's JSON form; lines without a number get 1, 2, ... in order."""
    numbered = []
    for index, line in enumerate(lines, start=1):
        numbered.append({"line": index, **line})
    data: dict[str, Any] = {"at": at, "store": store, "lines": numbered}
    data["tenders"] = [{"kind": kind, "minor": minor} for kind, minor in tenders]
    if rewards:
        data["rewards"] = [dict(r) for r in rewards]
    if redeem_points:
        data["redeem_points"] = redeem_points
    return data


def basket(*lines: Mapping[str, Any], **kwargs: Any) -> Basket:
    """:func:`basket_json` read by :func:`basket_from_json`."""
    return basket_from_json(basket_json(*lines, **kwargs))


def member(**fields: Any) -> MemberSnapshot:
    """A member snapshot from its JSON fields (``tier="gold"``, ``stamps={...}``)."""
    return snapshot_from_json(fields)


def run(
    prog: Programme,
    *lines: Mapping[str, Any],
    who: MemberSnapshot | None = None,
    strict: bool = True,
    **kwargs: Any,
) -> Outcome:
    """Evaluate a basket of ``lines`` for ``who`` (a new member by default)."""
    snapshot = who if who is not None else member()
    return evaluate(prog, basket(*lines, **kwargs), snapshot, strict=strict)

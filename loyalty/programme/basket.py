"""The basket the engine evaluates, and the member snapshot it is evaluated for.

Both have a JSON form, used in sale events, by ``pos-client programme evaluate`` and
in tests; :func:`basket_from_json` and :func:`snapshot_from_json` read it strictly
and :meth:`Basket.to_json` / :meth:`MemberSnapshot.to_json` write it back in the
one form that is hashed (empty optional parts left out).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from loyalty.errors import LoyaltyError
from loyalty.programme.reader import LABEL
from loyalty.scans import is_voucher_number

MAX_QTY: Final = 100_000
MAX_UNIT_MINOR: Final = 10**10
MAX_LINES: Final = 1000


class BasketError(LoyaltyError):
    """A basket (or member snapshot) is not well-formed; the message names the field."""


@dataclass(frozen=True)
class Line:
    """One basket line: a quantity of one product at one unit price."""

    line: int
    """The line number on the receipt (1, 2, ...); refunds refer to it."""
    sku: str
    name: str
    qty: int
    """Whole units."""
    unit_minor: int
    """List price of one unit, in minor units."""
    tags: frozenset[str] = frozenset()
    """Product tags the till knew at the sale (``coffee``, ``gift_card``)."""
    flags: frozenset[str] = frozenset()
    """Facts about this sale of the line (``own_cup``)."""

    @property
    def list_minor(self) -> int:
        return self.qty * self.unit_minor

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "line": self.line,
            "sku": self.sku,
            "name": self.name,
            "tags": sorted(self.tags),
            "qty": self.qty,
            "unit_minor": self.unit_minor,
        }
        if self.flags:
            data["flags"] = sorted(self.flags)
        return data


@dataclass(frozen=True)
class Tender:
    """How part of the basket was paid (``card``, ``cash``, ``gift_card``, ...)."""

    kind: str
    minor: int

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "minor": self.minor}


@dataclass(frozen=True)
class AppliedReward:
    """A reward the member uses in this basket: an issued one (``instance``) or one
    claimed from a wallet for its cost (``instance`` None)."""

    reward: str
    instance: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"reward": self.reward}
        if self.instance is not None:
            data["id"] = self.instance
        return data


@dataclass(frozen=True)
class AppliedOffer:
    """A personal offer the member holds, put in the basket: it applies if the basket
    has lines it is for (:mod:`loyalty.programme.offers`), and lapses unused if not."""

    id: str
    """The offer's id, as the ledger assigned it."""
    template: str
    """The programme's ``[[offer_templates]]`` id."""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "template": self.template}


@dataclass(frozen=True)
class AppliedVoucher:
    """A bonus voucher used in the basket, with the terms the ledger issued it on (the
    ledger checks them against what it issued)."""

    number: str
    """``VCH-...`` (:data:`loyalty.scans.VOUCHER_PREFIX`)."""
    value_minor: int
    min_spend_minor: int = 0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"number": self.number, "value_minor": self.value_minor}
        if self.min_spend_minor:
            data["min_spend_minor"] = self.min_spend_minor
        return data


@dataclass(frozen=True)
class Basket:
    """Everything the engine needs about one sale besides the programme and member."""

    at: datetime
    """Business time: the till's local wall time with its UTC offset."""
    store: str
    lines: tuple[Line, ...]
    tenders: tuple[Tender, ...] = ()
    rewards: tuple[AppliedReward, ...] = ()
    redeem_points: int = 0
    """Points used as a discount in this basket (``[redeem]``)."""
    offers: tuple[AppliedOffer, ...] = ()
    """Personal offers the member holds and may use here (engine 2)."""
    vouchers: tuple[AppliedVoucher, ...] = ()
    """Bonus vouchers used (engine 2)."""

    @property
    def list_minor(self) -> int:
        return sum(line.list_minor for line in self.lines)

    def line(self, number: int) -> Line | None:
        return next((line for line in self.lines if line.line == number), None)

    def to_json(self, with_context: bool = True) -> dict[str, Any]:
        """The JSON form; ``with_context=False`` leaves out ``at`` and ``store``,
        which a sale event carries as fields of its own."""
        data: dict[str, Any] = {
            "lines": [line.to_json() for line in sorted(self.lines, key=lambda x: x.line)],
            "tenders": [t.to_json() for t in self.tenders],
        }
        if with_context:
            data["at"] = self.at.isoformat()
            data["store"] = self.store
        if self.rewards:
            data["rewards"] = [r.to_json() for r in self.rewards]
        if self.redeem_points:
            data["redeem_points"] = self.redeem_points
        if self.offers:
            data["offers"] = [o.to_json() for o in self.offers]
        if self.vouchers:
            data["vouchers"] = [v.to_json() for v in self.vouchers]
        return data


@dataclass(frozen=True)
class RewardInstance:
    """An issued reward the member holds (from a stamp card, say)."""

    id: str
    reward: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "reward": self.reward}


@dataclass(frozen=True)
class MemberSnapshot:
    """What the engine may know of the member at basket start (recorded in the event).

    An absent snapshot is a new member: lowest tier, no stamps, no rewards.
    """

    tier: str = ""
    stamps: Mapping[str, int] = field(default_factory=dict)
    """Stamps per card before this basket."""
    qualifying_spend_minor: int = 0
    rewards: tuple[RewardInstance, ...] = ()
    """Issued rewards the member may use."""
    segments: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.tier:
            data["tier"] = self.tier
        stamps = {card: n for card, n in sorted(self.stamps.items()) if n}
        if stamps:
            data["stamps"] = stamps
        if self.qualifying_spend_minor:
            data["qualifying_spend_minor"] = self.qualifying_spend_minor
        if self.rewards:
            data["rewards"] = [r.to_json() for r in sorted(self.rewards, key=lambda r: r.id)]
        if self.segments:
            data["segments"] = sorted(self.segments)
        return data


NEW_MEMBER = MemberSnapshot()


# --------------------------------------------------------------------------- reading


_JSON_KINDS: dict[type, str] = {
    str: "text",
    int: "a whole number",
    bool: "true or false",
    float: "a decimal number",
    list: "a list",
    dict: "an object",
    Mapping: "an object",
    type(None): "null",
}


def _json_kind(kind: type | tuple[type, ...]) -> str:
    """How a JSON reader would call the kind of value: text, a list, null..."""
    if isinstance(kind, tuple):
        return " or ".join(_json_kind(k) for k in kind)
    return _JSON_KINDS.get(kind, kind.__name__)


class _Object:
    """Strict access to one JSON object, with the path for messages."""

    def __init__(self, value: Any, path: str) -> None:
        if not isinstance(value, Mapping):
            raise BasketError(f"{path} must be an object.")
        self.value = value
        self.path = path
        self.read: set[str] = set()

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        self.read.add(key)
        if key not in self.value:
            if default is ...:
                raise BasketError(f"{self.path}.{key} is missing.")
            return default
        item = self.value[key]
        if (isinstance(item, bool) and kind is int) or not isinstance(item, kind):
            raise BasketError(
                f"{self.path}.{key} must be {_json_kind(kind)}, not {_json_kind(type(item))}"
                f" ({json.dumps(item, ensure_ascii=False)[:40]})."
            )
        return item

    def number(self, key: str, low: int, high: int, default: Any = ...) -> int:
        item = self.get(key, int, default)
        if not low <= item <= high:
            raise BasketError(f"{self.path}.{key} must be from {low} to {high}, not {item}.")
        return int(item)

    def text(self, key: str, longest: int, default: Any = ...) -> str:
        item = self.get(key, str, default)
        if not 0 < len(item) <= longest or "\x00" in item:
            raise BasketError(f"{self.path}.{key} must be 1 to {longest} characters.")
        return str(item)

    def labels(self, key: str) -> frozenset[str]:
        items = self.get(key, list, [])
        for index, item in enumerate(items):
            if not isinstance(item, str) or not LABEL.match(item):
                raise BasketError(f"{self.path}.{key}[{index}] is not a valid name ({item!r}).")
        return frozenset(items)

    def done(self) -> None:
        unknown = sorted(set(self.value) - self.read)
        if unknown:
            raise BasketError(f"{self.path}.{unknown[0]} is not a known field.")


def basket_from_json(value: Any, at: datetime | None = None, store: str | None = None) -> Basket:
    """Read a basket; ``at`` and ``store`` come from the event when not in the JSON."""
    data = _Object(value, "basket")
    if at is None:
        at = parse_business_time(data.get("at", str), "basket.at")
    if store is None:
        store = data.text("store", 40)
    raw_lines = data.get("lines", list)
    if len(raw_lines) > MAX_LINES:
        raise BasketError(f"A basket has at most {MAX_LINES} lines.")
    lines = tuple(_line(item, f"basket.lines[{i}]") for i, item in enumerate(raw_lines))
    numbers = [line.line for line in lines]
    if len(set(numbers)) != len(numbers):
        raise BasketError("basket.lines: two lines have the same line number.")
    tenders = []
    for index, item in enumerate(data.get("tenders", list, [])):
        tender = _Object(item, f"basket.tenders[{index}]")
        kind = tender.get("kind", str)
        if not LABEL.match(kind):
            raise BasketError(f"basket.tenders[{index}].kind is not a valid name ({kind!r}).")
        tenders.append(Tender(kind, tender.number("minor", 0, MAX_UNIT_MINOR * MAX_QTY)))
        tender.done()
    rewards = []
    for index, item in enumerate(data.get("rewards", list, [])):
        entry = _Object(item, f"basket.rewards[{index}]")
        rewards.append(AppliedReward(entry.text("reward", 40), entry.get("id", str, None)))
        entry.done()
    redeem_points = data.number("redeem_points", 0, 10**12, 0)
    offers = []
    for index, item in enumerate(data.get("offers", list, [])):
        entry = _Object(item, f"basket.offers[{index}]")
        offers.append(AppliedOffer(entry.text("id", 64), entry.text("template", 40)))
        entry.done()
    if len({o.id for o in offers}) != len(offers):
        raise BasketError("basket.offers: an offer is listed twice.")
    vouchers = []
    for index, item in enumerate(data.get("vouchers", list, [])):
        entry = _Object(item, f"basket.vouchers[{index}]")
        number = entry.text("number", 40)
        if not is_voucher_number(number):
            raise BasketError(f"basket.vouchers[{index}].number is not a voucher number.")
        vouchers.append(
            AppliedVoucher(
                number,
                entry.number("value_minor", 1, MAX_UNIT_MINOR),
                entry.number("min_spend_minor", 0, MAX_UNIT_MINOR, 0),
            )
        )
        entry.done()
    if len({v.number for v in vouchers}) != len(vouchers):
        raise BasketError("basket.vouchers: a voucher is listed twice.")
    data.done()
    return Basket(
        at,
        store,
        lines,
        tuple(tenders),
        tuple(rewards),
        redeem_points,
        tuple(offers),
        tuple(vouchers),
    )


def _line(value: Any, path: str) -> Line:
    data = _Object(value, path)
    line = Line(
        line=data.number("line", 1, 100_000),
        sku=data.text("sku", 64),
        name=data.text("name", 100),
        qty=data.number("qty", 1, MAX_QTY),
        unit_minor=data.number("unit_minor", 0, MAX_UNIT_MINOR),
        tags=data.labels("tags"),
        flags=data.labels("flags"),
    )
    data.done()
    return line


def parse_business_time(text: str, path: str = "at") -> datetime:
    """Local wall time with its UTC offset (``2026-03-29T23:59:30+02:00``)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BasketError(f"{path} is not a time like 2026-03-29T23:59:30+02:00.") from None
    if moment.utcoffset() is None:
        raise BasketError(f"{path} must carry its UTC offset (like +02:00).")
    return moment


def snapshot_from_json(value: Any) -> MemberSnapshot:
    """Read a member snapshot; ``None`` or ``{}`` is a new member."""
    if value is None:
        return NEW_MEMBER
    data = _Object(value, "member")
    tier = data.get("tier", (str, type(None)), "") or ""  # null: no tier, as absent
    stamps_raw = data.get("stamps", Mapping, {})
    stamps = {}
    for card, count in stamps_raw.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise BasketError(f"member.stamps.{card} must be a whole number, 0 or more.")
        stamps[str(card)] = count
    spend = data.number("qualifying_spend_minor", -(10**15), 10**15, 0)
    rewards = []
    for index, item in enumerate(data.get("rewards", list, [])):
        entry = _Object(item, f"member.rewards[{index}]")
        rewards.append(RewardInstance(entry.text("id", 200), entry.text("reward", 40)))
        entry.done()
    segments = data.labels("segments")
    data.done()
    return MemberSnapshot(tier, stamps, spend, tuple(rewards), segments)

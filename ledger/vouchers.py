"""Bonus vouchers at the ledger: issued by settlements, used once at any till.

A voucher is issued by a ledger ``settlement`` event (a wallet reaching a
threshold, H&M style, or a dividend paid as a voucher): its number (``VCH-`` and
ten characters, printed as Code 128), value, minimum spend and last day are in the
event's ``vouchers_issued``, and the ``vouchers`` table holds them by number. The
member's ``vouchers`` column lists the ones not used yet, for the changes feed.

A sale that uses a voucher names it in its basket (with the terms the till knew)
and in ``vouchers_used`` (with the discount it gave). The ledger never refuses it:
it records the use (:mod:`ledger.single_uses`: the earliest use by business time is
the one accepted) and flags a voucher never issued, another member's, one whose
terms differ from what was issued, one used after its last day, and every use
beyond the first (``voucher_overuse``, with its exposure).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass, field
from datetime import date, timedelta
from typing import Any

from ledger.anomalies import Anomaly
from ledger.db import Tx, not_yet
from ledger.member_book import WorkingMember
from ledger.single_uses import SingleUses, Use
from loyalty.programme.settlements import VoucherTerms
from loyalty.scans import VOUCHER_PREFIX

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Voucher code characters: capitals and digits without the look-alikes 0/O, 1/I."""
CODE_LENGTH = 10


def new_voucher_number() -> str:
    """A fresh random voucher number (50 bits: a guess finds none)."""
    return VOUCHER_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def voucher_entry(value_minor: int, terms: VoucherTerms, issued_on: date) -> dict[str, Any]:
    """One ``vouchers_issued`` entry: a new number, the value and the terms, the last
    day counted from the day it is issued."""
    return {
        "number": new_voucher_number(),
        "value_minor": value_minor,
        "min_spend_minor": terms.min_spend_minor,
        "valid_until": (issued_on + timedelta(days=terms.valid_days)).isoformat(),
    }


@dataclass(frozen=True)
class Voucher:
    """A voucher as issued."""

    number: str
    member_id: str
    settlement_id: str
    value_minor: int
    currency: str
    min_spend_minor: int
    valid_until: str
    issued_by: str

    def row(self) -> tuple[object, ...]:
        """The ``vouchers`` table's row (its columns are these fields, in order)."""
        return astuple(self)

    def held(self) -> dict[str, object]:
        """As the member's ``vouchers`` list and the feed carry it."""
        return {
            "number": self.number,
            "value_minor": self.value_minor,
            "currency": self.currency,
            "min_spend_minor": self.min_spend_minor,
            "valid_until": self.valid_until,
        }


def voucher_item(number: str) -> str:
    return f"voucher:{number}"


@dataclass
class VoucherKeeper:
    """The vouchers one transaction issues or sees used."""

    vouchers: dict[str, Voucher] = field(default_factory=dict)
    issued: list[Voucher] = field(default_factory=list)
    loaded: set[str] = field(default_factory=set)

    def load(self, tx: Tx, numbers: Iterable[str]) -> None:
        wanted = not_yet(self.loaded, numbers)
        if not wanted:
            return
        condition, params = tx.in_list("number", wanted)
        for row in tx.query(
            "SELECT number, member_id, settlement_id, value_minor, currency, min_spend_minor, "
            f"valid_until, issued_by FROM vouchers WHERE {condition}",
            params,
        ):
            voucher = Voucher(
                str(row[0]),
                str(row[1]),
                str(row[2]),
                int(row[3]),
                str(row[4]),
                int(row[5]),
                str(row[6]),
                str(row[7]),
            )
            self.vouchers[voucher.number] = voucher

    def issue(self, member: WorkingMember, content: Mapping[str, Any]) -> None:
        """The vouchers a settlement event issues: stored, and held by the member."""
        for entry in content.get("vouchers_issued", []):
            voucher = Voucher(
                str(entry["number"]),
                member.member_id,
                str(content["settlement"]["id"]),
                int(entry["value_minor"]),
                str(content["currency"]),
                int(entry["min_spend_minor"]),
                str(entry["valid_until"]),
                str(content["event_id"]),
            )
            self.vouchers[voucher.number] = voucher
            self.loaded.add(voucher.number)
            self.issued.append(voucher)
            member.vouchers = sorted(
                [*member.vouchers, voucher.held()],
                key=lambda v: (str(v["valid_until"]), str(v["number"])),
            )

    def use(
        self,
        member: WorkingMember,
        content: Mapping[str, Any],
        business_at: str,
        uses: SingleUses,
    ) -> tuple[list[tuple[str, str]], list[Anomaly]]:
        """A sale's vouchers used: the flags on the sale, and overuses found on other
        events (see the module doc). The vouchers must have been loaded."""
        flags: list[tuple[str, str]] = []
        others: list[Anomaly] = []
        terms = {v["number"]: v for v in content.get("basket", {}).get("vouchers", [])}
        day = str(content["business_time"])[:10]
        for entry in content.get("vouchers_used", []):
            number, discount = str(entry["number"]), int(entry["discount_minor"])
            flags += self._check(member, number, terms.get(number, {}), day)
            voucher = self.vouchers.get(number)
            found, pushed_out = uses.judge(
                Use.by_sale(voucher_item(number), content, member.member_id, business_at, discount),
                1,
                voucher.member_id if voucher is not None else None,
                "voucher_overuse",
                f"voucher {number} was used before",
                str(content["currency"]),
            )
            flags += found
            others += pushed_out
            member.vouchers = [v for v in member.vouchers if v["number"] != number]
        return flags, others

    def _check(
        self, member: WorkingMember, number: str, terms: Mapping[str, Any], day: str
    ) -> list[tuple[str, str]]:
        voucher = self.vouchers.get(number)
        if voucher is None:
            return [("voucher_unknown", f"voucher {number} was never issued")]
        if voucher.member_id != member.member_id:
            return [("voucher_not_members", f"voucher {number} is member {voucher.member_id}'s")]
        found = []
        given = (int(terms.get("value_minor", 0)), int(terms.get("min_spend_minor", 0)))
        if given != (voucher.value_minor, voucher.min_spend_minor):
            found.append(
                (
                    "voucher_mismatch",
                    f"voucher {number} was used as worth {given[0]} from {given[1]}, "
                    f"issued worth {voucher.value_minor} from {voucher.min_spend_minor}",
                )
            )
        if day > voucher.valid_until:
            found.append(("voucher_expired", f"voucher {number} ran out on {voucher.valid_until}"))
        return found

    def write(self, tx: Tx) -> None:
        tx.executemany(
            "INSERT INTO vouchers (number, member_id, settlement_id, value_minor, currency, "
            "min_spend_minor, valid_until, issued_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [v.row() for v in self.issued],
        )
        self.issued.clear()

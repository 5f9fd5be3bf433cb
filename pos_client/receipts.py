"""Receipts: what the cashier reads back and the printer prints, from an event.

Right after a sale the receipt carries the outcome per line (what each line earned);
a receipt listed later is built from the event alone (lines, postings, amounts).
"""

from __future__ import annotations

from typing import Any

from loyalty.events import Event, EventKind
from loyalty.money import Money
from loyalty.programme import Outcome
from loyalty.programme.outcome import LineOutcome
from pos_client.store.receipt_shift import NO_SHIFT, ReceiptNumbering
from pos_client.views import MemberView, Receipt, ReceiptLine, receipt_number


def _amount_minor(event: Event) -> int:
    kind = event.kind
    if event.schema == 1:
        return int(event.get("amount_minor", 0))
    if kind is EventKind.SALE:
        basket = event.get("basket", {})
        return sum(int(line["qty"]) * int(line["unit_minor"]) for line in basket.get("lines", []))
    if kind is EventKind.REFUND:
        return int(event.get("refund_minor", 0))
    if kind is EventKind.REDEEM:
        return int(event.get("discount_minor", 0))
    return 0


def _sale_line(line: dict[str, Any], earned: LineOutcome | None) -> ReceiptLine:
    """A sale's basket line (as the event holds it), with what it earned if known."""
    qty = int(line["qty"])
    if earned is None:
        return ReceiptLine(int(line["line"]), str(line["name"]), qty, qty * int(line["unit_minor"]))
    return ReceiptLine(
        int(line["line"]), str(line["name"]), qty, earned.paid_minor, earned.wallets, earned.stamps
    )


def receipt_of(
    event: Event,
    member_name: str,
    member: MemberView | None = None,
    outcome: Outcome | None = None,
    lines: tuple[ReceiptLine, ...] = (),
    numbering: ReceiptNumbering = NO_SHIFT,
) -> Receipt:
    """The receipt of ``event``; with the member after it and the sale's outcome (or a
    refund's returned ``lines``) when printed at once."""
    amount = outcome.paid_minor if outcome is not None else _amount_minor(event)
    if event.kind is EventKind.SALE:
        earned = {o.line: o for o in outcome.lines} if outcome is not None else {}
        lines = tuple(
            _sale_line(line, earned.get(line["line"]))
            for line in event.get("basket", {}).get("lines", [])
        )
    issued = tuple(str(r["reward"]) for r in event.get("rewards_issued", []))
    info = member.programme if member is not None else None
    offer_names = info.offers if info is not None else {}
    savings = tuple(
        (
            f"Offer {offer_names.get(str(o['template']), str(o['template']))}",
            int(o["discount_minor"]),
        )
        for o in event.get("offers_used", [])
    ) + tuple(
        (f"Voucher {v['number']}", int(v["discount_minor"])) for v in event.get("vouchers_used", [])
    )
    return Receipt(
        receipt_no=receipt_number(event.terminal_id, numbering.number_of(event.seq)),
        kind=event.kind,
        card=event.card,
        member_id=event.member_id,
        member_name=member_name,
        postings=event.postings,
        amount=Money(abs(amount), event.currency),
        balance_after=None if member is None else member.balance,
        recorded_at=event.recorded_at,
        event_id=event.event_id,
        lines=lines,
        rewards_issued=issued,
        main_wallet=member.main_wallet if member is not None else "points",
        programme=info,
        savings=savings,
        vouchers=member.vouchers if member is not None else (),
    )

"""How the cashier screen writes members, baskets and receipts.

Pure functions of the till's views, so the screen's wording can be tested and read
without running the App. Figures are worded by :mod:`pos_client.wording`, which the
printed receipt uses too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from loyalty.events import EventKind
from loyalty.money import Money, format_money
from loyalty.programme.model import QUALIFYING_SPEND, UNITS, VISITS, TierQualification
from pos_client import wording
from pos_client.tier_progress import way_to_next_tier
from pos_client.views import MemberView, ProgrammeInfo, Receipt, SaleView, WalletInfo

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""Month names as the screen writes dates (never from the machine's locale)."""
EMPTY = "—"
"""Shown where a value is not known yet (no member, no tier)."""

KIND_LABELS = {
    EventKind.SALE: "Sale",
    EventKind.EARN: "Earn",
    EventKind.REDEEM: "Redeem",
    EventKind.REFUND: "Refund",
    EventKind.ADJUST: "Adjustment",
    EventKind.ACTION: "Action",
}


def points(value: int) -> str:
    """``1 250`` for 1250: groups of three separated by a space, as Nordic tills do."""
    return wording.grouped(value)


def signed_points(value: int) -> str:
    """``+149`` or ``-200``: a change to a balance, never an unsigned number."""
    return wording.signed(value)


def money(minor: int, currency: str) -> str:
    return format_money(Money(minor, currency))


def amount(minor: int, currency: str) -> str:
    """``149.90``: money where the currency is said elsewhere on screen."""
    return money(minor, currency).rsplit(" ", 1)[0]


def balance_lines(member: MemberView) -> tuple[str, str]:
    """The main balance and, when some of it is not yet confirmed, how much of it.

    The shown balance includes this till's unsynced events (guarantee 4); the second
    part makes that visible so nobody mistakes it for a confirmed figure. A negative
    balance is a debt: the member owes it.
    """
    info = member.programme
    total = balance_figure(member.main_wallet, member.balance, info)
    if member.unconfirmed_points == 0:
        return total, ""
    change = wording.account_amount(member.main_wallet, member.unconfirmed_points, info, True)
    return total, f"(of which {change.split(' ')[0]} not yet synced)"


def balance_figure(wallet: str, value: int, info: ProgrammeInfo | None) -> str:
    """A balance in words, said to be owed when negative (a debt)."""
    figure = wording.account_amount(wallet, value, info)
    return f"{figure} (owed)" if value < 0 else figure


def wallet_figure(value: int, wallet: WalletInfo, currency: str) -> str:
    """An amount of one wallet in words: ``1 250 points``, ``1 star``, or money for a
    money wallet (whose units are minor units: ``123.45 NOK``)."""
    if wallet.kind == "money":
        return money(value, currency)
    return wording.units(value, wallet.name)


def has_balance(info: ProgrammeInfo | None) -> bool:
    """Whether the programme keeps a balance to show (a stamp card alone does not;
    release 0.1.0's receipts, with no programme, are points)."""
    return info is None or info.main_wallet is not None


def _same_member(member: MemberView, receipt: Receipt) -> bool:
    """By member id (the receipt may name another card of theirs); release 0.1.0's
    receipts name only a card."""
    if receipt.member_id:
        return member.member_id == receipt.member_id
    return member.card == receipt.card


def balance_after(receipt: Receipt, member: MemberView | None) -> str | None:
    """The balance of the receipt's own member after it: the member on screen when it
    is theirs, else (a refund of another member's receipt) the receipt's figure with
    their name, so nobody reads someone else's balance as this member's. None when
    the programme keeps no balance (a stamp card)."""
    if not has_balance(receipt.programme):
        return None
    if member is not None and _same_member(member, receipt):
        return balance_lines(member)[0]
    if receipt.balance_after is None:
        return None
    total = balance_figure(receipt.main_wallet, receipt.balance_after, receipt.programme)
    return f"{total} ({receipt.member_name or 'card •••• ' + receipt.card[-4:]})"


def other_wallets(member: MemberView) -> str:
    """Balances of the wallets other than the main one (EuroBonus level points)."""
    info = member.programme
    if info is None:
        return ""
    parts = [
        wording.account_amount(w.id, member.total(w.id), info)
        for w in info.wallets
        if w.id != member.main_wallet
    ]
    return " · ".join(parts)


def stamps_progress(member: MemberView) -> str:
    """``7 of 9 coffee`` per stamp card of the programme."""
    info = member.programme
    if info is None:
        return ""
    return " · ".join(
        f"{member.stamps(card.card)} of {card.goal} {card.card}" for card in info.stamp_cards
    )


def rewards_held(member: MemberView) -> str:
    """``1 × Free coffee``: the issued rewards the member can use now."""
    if not member.rewards:
        return ""
    names: dict[str, int] = {}
    info = member.programme
    for reward in member.rewards:
        name = info.rewards.get(reward.reward, reward.reward) if info else reward.reward
        names[name] = names.get(name, 0) + 1
    return ", ".join(f"{n} × {name}" for name, n in names.items())


def expiring(member: MemberView) -> str:
    """``240 points expire on 31 Jan 2027`` per wallet with lots that expire, as the
    ledger last said; ``(as synced)`` when this till has unsynced changes to that
    wallet, which may already have spent some of it."""
    info = member.programme
    wallets = {w.id for w in info.wallets} if info is not None else None
    parts = []
    for lot in member.expiring:
        if wallets is not None and lot.wallet not in wallets:
            continue  # a wallet of another programme
        figure = wording.account_amount(lot.wallet, lot.amount, info)
        verb = "expires" if lot.amount == 1 else "expire"
        day = f"{lot.on.day} {MONTHS[lot.on.month - 1]} {lot.on.year}"
        synced = " (as synced)" if member.unconfirmed.get(lot.wallet) else ""
        parts.append(f"{figure} {verb} on {day}{synced}")
    return " · ".join(parts)


def tier_progress(member: MemberView, today: date) -> str:
    """``640.10 USD to rouge``, ``3 visits to gold``, ``5 nights to platinum``,
    ``1 200 level points to silver``: what the member still needs this window for
    the next tier, from the ledger's count plus this till's unsynced events
    (:mod:`pos_client.tier_progress`); empty at the top tier, when the programme
    qualifies no tiers or when the till cannot know. Reached but not yet counted by
    the ledger: ``rouge from the next sync``."""
    found = way_to_next_tier(member, today)
    info = member.programme
    if found is None or info is None or info.tier_qualification is None:
        return ""
    level, needed = found
    if needed == 0:
        return f"{level} from the next sync"
    return f"{tier_metric_amount(needed, info.tier_qualification, info)} to {level}"


def tier_metric_amount(value: int, rules: TierQualification, info: ProgrammeInfo) -> str:
    """An amount of a tier metric in words: money for qualifying spend, ``1 visit``,
    ``5 nights`` (the tag, a noun, in the plural with an s), a wallet's units."""
    if rules.metric == QUALIFYING_SPEND:
        return money(value, info.currency)
    if rules.metric == VISITS:
        return f"{points(value)} visit{'' if value == 1 else 's'}"
    if rules.metric == UNITS:
        return f"{points(value)} {rules.tag}{'' if value == 1 else 's'}"
    return wording.account_amount(rules.metric, value, info)


def tier(member: MemberView | None) -> str:
    return member.tier if member is not None and member.tier else EMPTY


def earned_text(
    wallets: Mapping[str, int],
    stamps: Mapping[str, int],
    info: ProgrammeInfo | None,
    short: bool = False,
) -> str:
    """What a basket earns (``+149 points +1 coffee``); ``short`` for a line's cell
    (``+149 pts``)."""
    parts = [
        wording.account_amount(w, n, info, sign=True, short=short) for w, n in wallets.items() if n
    ]
    parts += [f"+{n} {card}" for card, n in stamps.items() if n]
    return " ".join(parts)


def sale_summary(sale: SaleView) -> tuple[str, str]:
    """Two lines under the basket: the money, then what finishing would record."""
    if sale.empty:
        return "", ""
    currency = sale.currency
    # What the customer pays comes first: on a narrow screen the line is cut at its end.
    first = f"To pay {money(sale.paid_minor, currency)}"
    if sale.discount_minor:
        first += (
            f"   (total {money(sale.list_minor, currency)}, "
            f"discount -{money(sale.discount_minor, currency)})"
        )
    if sale.problem is not None:
        return first, sale.problem
    info = sale.programme
    parts = []
    earned = earned_text(sale.wallets, sale.stamps, info)
    if earned:
        parts.append(f"Earns {earned}")
    for wallet, spent in sale.spent.items():
        parts.append(f"spends {wording.account_amount(wallet, spent, info)}")
    for reward in sale.rewards:
        parts.append(f"uses {reward}")
    for name, off in sale.offers:
        parts.append(f"offer {name} -{money(off, currency)}")
    for number, off in sale.vouchers:
        parts.append(f"voucher -{money(off, currency)}" if off else f"voucher {number}")
    for reward in sale.rewards_issued:
        parts.append(f"completes a card: {reward}")
    return first, " · ".join(parts) or "Earns nothing"


def receipt_summary(receipt: Receipt) -> str:
    """What a recorded receipt changed, in one line."""
    info = receipt.programme
    changes = wording.postings_text(receipt.postings, info) or ["no change"]
    return "  ".join(changes)


def kind_label(kind: EventKind) -> str:
    return KIND_LABELS.get(kind, str(kind).capitalize())


def receipt_time(receipt: Receipt) -> str:
    """``HH:MM:SS`` in local time of the terminal's clock at recording, as printed."""
    try:
        moment = datetime.fromisoformat(receipt.recorded_at.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return moment.astimezone().strftime("%H:%M:%S")

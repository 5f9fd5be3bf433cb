"""How the till writes figures for people: points, money-valued bonus, stamps.

Pure functions shared by the cashier screen and the printed receipt, so both say
the same thing the same way. Accounts are labelled with the programme's own names
(``Kiwi bonus``, ``Stars``); money-valued wallets are shown in the currency.
"""

from __future__ import annotations

from collections.abc import Mapping

from loyalty.money import Money, format_money
from loyalty.programme.model import QUALIFYING_SPEND, STAMPS_PREFIX
from pos_client.views import ProgrammeInfo

_KIND_TITLES = {
    "sale": "Purchase",
    "earn": "Points earned",
    "redeem": "Points redeemed",
    "refund": "Purchase returned",
    "adjust": "Points corrected",
    "action": "Action rewarded",
    "enrol": "Member joined",
    "replace": "Card replaced",
    "block": "Card blocked",
    "expire": "Points expired",
    "extend": "Expiry extended",
    "settlement": "Bonus paid",
    "correction": "Ledger correction",
}


def kind_title(kind: str) -> str:
    return _KIND_TITLES.get(kind, kind.capitalize())


def grouped(value: int) -> str:
    """``1 250`` for 1250: groups of three separated by a space, as Nordic tills do."""
    sign = "-" if value < 0 else ""
    return sign + f"{abs(value):,}".replace(",", " ")


def signed(value: int) -> str:
    """``+149`` or ``-200``: a change, never an unsigned number."""
    return ("+" if value >= 0 else "-") + grouped(abs(value))


def account_amount(
    account: str,
    value: int,
    info: ProgrammeInfo | None,
    sign: bool = False,
    short: bool = False,
) -> str:
    """One account's figure in words: ``+149 points``, ``12.34 NOK Kiwi bonus``,
    ``+3 coffee stamps``; ``short`` for a table cell: ``+149 pts``, ``+12.34 bonus``,
    ``+25 level`` (EuroBonus's level points)."""
    if account.startswith(STAMPS_PREFIX):
        card = account[len(STAMPS_PREFIX) :]
        number = signed(value) if sign else grouped(value)
        return f"{number} {card} stamp{'s' if abs(value) != 1 else ''}"
    wallet = None if info is None else next((w for w in info.wallets if w.id == account), None)
    if wallet is not None and wallet.kind == "money" and info is not None:
        money = format_money(Money(abs(value), info.currency))
        prefix = ("+" if value >= 0 else "-") if sign else ("-" if value < 0 else "")
        if short:
            return f"{prefix}{money.rsplit(' ', 1)[0]} {wallet.name.split()[-1].lower()}"
        return f"{prefix}{money} {wallet.name}"
    name = wallet.name.lower() if wallet is not None else account
    number = signed(value) if sign else grouped(value)
    if short and name == "points":
        name = "pts"
    elif short and name.endswith(" points"):  # a table cell: "+25 level +25 bonus"
        name = name.removesuffix(" points")
    elif abs(value) == 1:
        name = _singular(name)
    return f"{number} {name}"


def units(value: int, name: str) -> str:
    """``1 point``, ``1 250 points``, ``1 star``: a count of a points wallet called
    ``name`` (its plural name)."""
    name = name.lower()
    return f"{grouped(value)} {_singular(name) if abs(value) == 1 else name}"


_SINGULAR = {"points": "point", "stars": "star", "miles": "mile", "stamps": "stamp"}
"""Plural words of wallet names and their singular; any other name stays as it is
("1 avios", "1 bonus"): a wrong singular reads worse than a plural."""


def _singular(name: str) -> str:
    """``point``, ``level point``, ``star``: a wallet's plural name for one."""
    head, _, last = name.rpartition(" ")
    one = _SINGULAR.get(last)
    if one is None:
        return name
    return f"{head} {one}" if head else one


def postings_text(postings: Mapping[str, int], info: ProgrammeInfo | None) -> list[str]:
    """Each account a posting changes, in words (qualifying spend left out: it is
    the ledger's bookkeeping for tiers, not something a member collects)."""
    return [
        account_amount(account, value, info, sign=True)
        for account, value in sorted(postings.items())
        if account != QUALIFYING_SPEND
    ]

"""Reading the rule tables of a programme document: ``[[rules]]`` of every kind, their
``when`` conditions, ``[[prices]]``, ``[[rewards]]``, ``[redeem]``, ``[[actions]]`` and
``[offline]``. :mod:`loyalty.programme.document` reads the rest and puts it together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, time
from fractions import Fraction
from typing import Any

from loyalty.programme.conditions import WEEKDAYS, Conditions, DateWindow, TimeWindow
from loyalty.programme.model import (
    Action,
    BasketRule,
    Cap,
    EarnPercent,
    EarnRate,
    FixedBonus,
    MemberPrice,
    Multiplier,
    Offline,
    Redeem,
    Reward,
    StampRule,
    Wallet,
)
from loyalty.programme.reader import IDENTIFIER, LABEL, Table

BASE_KINDS = ("earn_rate", "earn_percent")
RULE_KINDS = (*BASE_KINDS, "multiplier", "fixed_bonus", "stamp")
_KIND_OF_RULE = {
    "earn_rate": "base",
    "earn_percent": "base",
    "multiplier": "boost",
    "fixed_bonus": "bonus",
}


class Names:
    """What rules may refer to, for checks with messages that list the choices."""

    def __init__(
        self,
        wallets: tuple[Wallet, ...],
        tiers: tuple[str, ...],
        groups: Mapping[str, Any],
        engine: int = 1,
    ) -> None:
        self.wallets = [w.id for w in wallets]
        self.tiers = tiers
        self.store_groups = list(groups)
        self.engine = engine
        """The engine the document names: what it may declare."""

    def wallet(self, table: Table, key: str, default: str | None) -> str:
        if default is None and not table.has(key):
            if not self.wallets:
                raise table.error(key, "is missing, and the programme has no wallets.")
            default = self.wallets[0]
        value: str = table.text(key, default, pattern=IDENTIFIER)
        if value not in self.wallets:
            options = ", ".join(self.wallets) or "none"
            raise table.error(key, f"{value!r} is not a wallet of this programme ({options}).")
        return value


def conditions(table: Table, names: Names) -> Conditions:
    when = table.table("when")
    if when is None:
        return Conditions()
    weekdays = when.labels("weekdays", allowed=WEEKDAYS)
    conditions = Conditions(
        tags=when.labels("tags"),
        not_tags=when.labels("not_tags"),
        skus=when.labels("skus"),
        flags=when.labels("flags"),
        tiers=when.labels("tiers", IDENTIFIER, allowed=names.tiers),
        segments=when.labels("segments"),
        weekdays=frozenset(WEEKDAYS.index(d) for d in weekdays),
        time=_time_window(when),
        dates=_date_window(when),
        stores=when.labels("stores"),
        store_groups=when.labels("store_groups", IDENTIFIER, allowed=names.store_groups),
        min_basket_minor=when.integer("min_basket_minor", None),
    )
    when.done()
    return conditions


def _time_window(when: Table) -> TimeWindow | None:
    table = when.table("time")
    if table is None:
        return None

    def read(key: str) -> time:
        text = table.text(key)
        try:
            return time.fromisoformat(text)
        except ValueError:
            raise table.error(key, f'must be a local time like "06:30", not {text!r}.') from None

    window = TimeWindow(read("from"), read("until"))
    table.done()
    if window.start == window.until:
        raise table.error("until", "must differ from 'from' (the window would be empty).")
    return window


def _date_window(when: Table) -> DateWindow | None:
    table = when.table("dates")
    if table is None:
        return None

    def read(key: str) -> date:
        text = table.text(key)
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise table.error(key, f'must be a date like "2026-12-24", not {text!r}.') from None

    window = DateWindow(read("from"), read("until"))
    table.done()
    if window.until < window.start:
        raise table.error("until", "is before 'from'.")
    return window


def rule(table: Table, names: Names) -> BasketRule:
    rule_id = table.text("id", pattern=IDENTIFIER)
    kind = table.text("kind", choices=RULE_KINDS)
    rule: BasketRule
    if kind == "stamp":
        rule = StampRule(
            id=rule_id,
            card=table.text("card", pattern=IDENTIFIER),
            goal=table.integer("goal", minimum=1),
            reward=table.text("reward", pattern=IDENTIFIER),
            per_unit=table.integer("per_unit", 1, minimum=0),
            extra_per_flag=_extra_per_flag(table),
            carry_over=table.boolean("carry_over", True),
            when=conditions(table, names),
        )
    else:
        group = table.text("group", _KIND_OF_RULE[kind], pattern=IDENTIFIER)
        priority = table.integer("priority", 0)
        when = conditions(table, names)
        if kind == "earn_rate":
            rule = EarnRate(
                rule_id,
                names.wallet(table, "wallet", None),
                table.decimal("rate", minimum=Fraction(0)),
                group,
                priority,
                when,
            )
        elif kind == "earn_percent":
            rule = EarnPercent(
                rule_id,
                names.wallet(table, "wallet", None),
                table.decimal("percent", minimum=Fraction(0)),
                group,
                priority,
                when,
            )
        elif kind == "multiplier":
            wallet = names.wallet(table, "wallet", None) if table.has("wallet") else None
            rule = Multiplier(
                rule_id,
                table.decimal("increment", minimum=Fraction(-1)),
                wallet,
                group,
                priority,
                when,
            )
        else:
            rule = FixedBonus(
                rule_id,
                names.wallet(table, "wallet", None),
                table.integer("amount", minimum=1),
                group,
                priority,
                when,
                cap(table, names),
            )
    table.done()
    return rule


MAX_CAP_MONTHS = 120


def cap(table: Table, names: Names) -> Cap | None:
    """A ``cap = { count = 6, months = 6 }`` (engine 2), if the table has one."""
    found = table.table("cap")
    if found is None:
        return None
    if names.engine < 2:
        raise table.error("cap", f"needs engine = 2 in [programme] (it says {names.engine}).")
    made = Cap(found.integer("count", minimum=1), found.integer("months", minimum=1))
    found.done()
    if made.months > MAX_CAP_MONTHS:
        raise found.error("months", f"must be at most {MAX_CAP_MONTHS}.")
    return made


def _extra_per_flag(table: Table) -> dict[str, int]:
    extra = table.table("extra_per_flag")
    if extra is None:
        return {}
    values = {}
    for flag in list(extra.data):
        if not LABEL.match(flag):
            raise extra.error(flag, "is not a valid flag name.")
        values[flag] = extra.integer(flag, minimum=0)
    extra.done()
    return values


def price(table: Table, names: Names) -> MemberPrice:
    price_id = table.text("id", pattern=IDENTIFIER)
    when = conditions(table, names)
    price = table.integer("price_minor", None)
    percent = table.decimal("percent_off", None, minimum=Fraction(0))
    table.done()
    if (price is None) == (percent is None):
        raise table.error(None, "needs exactly one of price_minor and percent_off.")
    if percent is not None and percent > 100:
        raise table.error("percent_off", "cannot be more than 100.")
    if not when.selects_lines:
        raise table.error("when", "must pick the lines (tags or skus) the member price is for.")
    return MemberPrice(price_id, when, price, percent)


def reward(table: Table, names: Names) -> Reward:
    reward_id = table.text("id", pattern=IDENTIFIER)
    kind = table.text("kind", choices=("free_item", "amount_off", "percent_off"))
    reward = Reward(
        id=reward_id,
        name=table.text("name", reward_id),
        kind=kind,
        when=conditions(table, names),
        amount_minor=table.integer("amount_minor", 0) if kind == "amount_off" else 0,
        percent=table.decimal("percent", Fraction(0)) if kind == "percent_off" else Fraction(0),
        min_spend_minor=table.integer("min_spend_minor", 0),
        cost=table.integer("cost", None, minimum=1),
        wallet=None,
    )
    if reward.cost is not None:
        reward = replace(reward, wallet=names.wallet(table, "wallet", None))
    elif table.has("wallet"):
        raise table.error(
            "wallet", "only goes with cost (the wallet a claimed reward is paid from)."
        )
    for key, kind_of in (("amount_minor", "amount_off"), ("percent", "percent_off")):
        if table.has(key) and kind != kind_of:
            raise table.error(key, f'only goes with kind = "{kind_of}", not {kind!r}.')
    table.done()
    if kind == "amount_off" and reward.amount_minor <= 0:
        raise table.error("amount_minor", "must be more than zero for an amount_off reward.")
    if kind == "percent_off" and not 0 < reward.percent <= 100:
        raise table.error("percent", "must be more than 0 and at most 100.")
    return reward


def redeem(top: Table, names: Names) -> Redeem | None:
    table = top.table("redeem")
    if table is None:
        return None
    redeem = Redeem(
        wallet=names.wallet(table, "wallet", None),
        points=table.integer("points", minimum=1),
        value_minor=table.integer("value_minor", minimum=1),
        min_points=table.integer("min_points", 1, minimum=1),
    )
    table.done()
    return redeem


def action(table: Table, names: Names) -> Action:
    action = Action(
        id=table.text("id", pattern=IDENTIFIER),
        name=table.text("name"),
        wallet=names.wallet(table, "wallet", None),
        amount=table.integer("amount", minimum=1),
        cap=cap(table, names),
    )
    table.done()
    return action


def offline(top: Table, engine: int = 1) -> Offline:
    table = top.table("offline")
    if table is None:
        return Offline()
    defaults = Offline()
    if table.has("stale") and engine < 2:
        raise table.error("stale", f"needs engine = 2 in [programme] (it says {engine}).")
    offline = Offline(
        redeem_cap=table.integer("redeem_cap", defaults.redeem_cap),
        max_offline_hours=table.integer("max_offline_hours", defaults.max_offline_hours),
        accept_previous_hours=table.integer(
            "accept_previous_hours", defaults.accept_previous_hours
        ),
        stale=table.text("stale", defaults.stale, choices=("honour", "rerate")),
    )
    table.done()
    return offline

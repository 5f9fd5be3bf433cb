"""Programme documents: one TOML file per version, validated strictly.

:func:`load_programme_file` reads a file, :func:`parse_programme` a document already
parsed (the JSON form that travels to tills). Both refuse, naming the file and the
key: unknown keys, wrong types, floats, unknown wallets, tiers, rewards or groups,
and a document that needs a newer engine (refused whole before anything else is
read). docs/PROGRAMMES.md describes every key.

The content hash is SHA-256 over the canonical JSON of the document as written
(TOML dates as ISO text), so two machines holding the same document agree on it
and a till can check what the ledger sent.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, time
from fractions import Fraction
from pathlib import Path
from typing import Any

from loyalty.canonical import sha256_hex
from loyalty.money import MINOR_UNIT_DIGITS
from loyalty.programme.arithmetic import ROUNDING_MODES
from loyalty.programme.conditions import WEEKDAYS, Conditions, DateWindow, TimeWindow
from loyalty.programme.model import (
    ENGINE_VERSION,
    QUALIFYING_SPEND,
    Action,
    BasketRule,
    EarnPercent,
    EarnRate,
    FixedBonus,
    MemberPrice,
    Multiplier,
    Offline,
    Programme,
    Redeem,
    Reward,
    StackGroup,
    StampRule,
    Wallet,
)
from loyalty.programme.reader import (
    IDENTIFIER,
    LABEL,
    NewerEngineRequired,
    ProgrammeError,
    Table,
    normalise_document,
)
from loyalty.timezones import UnknownTimeZone, programme_zone

BASE_KINDS = ("earn_rate", "earn_percent")
RULE_KINDS = (*BASE_KINDS, "multiplier", "fixed_bonus", "stamp")
GROUP_MODES = {
    "base": ("add", "max", "first_by_priority", "newest_only"),
    "boost": ("add_increments", "multiply", "max", "first_by_priority", "newest_only"),
    "bonus": ("add", "max", "first_by_priority", "newest_only"),
}
"""Which modes a group may have, by the kind of rules in it."""
DEFAULT_GROUPS = {"base": "add", "boost": "add_increments", "bonus": "add"}
"""Groups a rule lands in when it names none, and their mode unless declared."""
_KIND_OF_RULE = {
    "earn_rate": "base",
    "earn_percent": "base",
    "multiplier": "boost",
    "fixed_bonus": "bonus",
}


def load_programme_file(path: str | Path) -> Programme:
    """Read and validate the programme document at ``path`` (TOML)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProgrammeError(f"{source}: no such file.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProgrammeError(f"{source}: cannot be read ({error}).") from error
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProgrammeError(f"{source}: is not valid TOML ({error}).") from error
    return parse_programme(raw, source)


def content_hash(document: Mapping[str, Any]) -> str:
    """The content hash of a normalised document."""
    return sha256_hex(document)


def parse_programme(raw: Mapping[str, Any], source: str = "<programme>") -> Programme:
    """Validate a parsed document (TOML or its JSON form) into a :class:`Programme`."""
    _check_engine(raw, source)
    document = normalise_document(raw, "", source)
    top = Table(document, "", source)
    head = _required_table(top, "programme")
    programme_id = head.text("id", pattern=IDENTIFIER)
    name = head.text("name")
    engine = head.integer("engine", minimum=1)
    currency = head.text("currency", choices=sorted(MINOR_UNIT_DIGITS))
    timezone = head.text("timezone")
    try:
        programme_zone(timezone)
    except UnknownTimeZone as error:
        raise head.error("timezone", f"{error}.") from None
    head.done()

    arithmetic = top.table("arithmetic") or Table({}, "arithmetic", source)
    rounding = arithmetic.text("rounding", "floor", choices=ROUNDING_MODES)
    scope = arithmetic.text("scope", "receipt", choices=("receipt", "line"))
    arithmetic.done()

    basis = top.table("earn_basis") or Table({}, "earn_basis", source)
    earn_amount = basis.text("amount", "paid", choices=("paid", "list"))
    exclude_tags = basis.labels("exclude_tags")
    exclude_tenders = basis.labels("exclude_tenders")
    basis.done()

    wallets = _wallets(top)
    tiers = _tiers(top)
    store_groups = _store_groups(top)
    names = _Names(wallets, tiers, store_groups)
    declared_groups = _declared_groups(top)
    rules = tuple(_rule(t, names) for t in top.tables("rules"))
    prices = tuple(_price(t, names) for t in top.tables("prices"))
    rewards = tuple(_reward(t, names) for t in top.tables("rewards"))
    redeem = _redeem(top, names)
    actions = tuple(_action(t, names) for t in top.tables("actions"))
    offline = _offline(top)
    top.done()

    programme = Programme(
        id=programme_id,
        name=name,
        engine=engine,
        currency=currency,
        timezone=timezone,
        rounding=rounding,
        scope=scope,
        earn_amount=earn_amount,
        exclude_tags=exclude_tags,
        exclude_tenders=exclude_tenders,
        wallets=wallets,
        tiers=tiers,
        store_groups=store_groups,
        groups=_groups(top, declared_groups, rules),
        rules=rules,
        prices=prices,
        rewards=rewards,
        redeem=redeem,
        actions=actions,
        offline=offline,
        document=document,
        content_hash=content_hash(document),
    )
    _check_references(programme, top)
    return programme


def _check_engine(raw: Mapping[str, Any], source: str) -> None:
    """A document for a newer engine is refused before any of it is read."""
    head = raw.get("programme")
    engine = head.get("engine") if isinstance(head, Mapping) else None
    if isinstance(engine, int) and not isinstance(engine, bool) and engine > ENGINE_VERSION:
        raise NewerEngineRequired(
            f"{source}: this programme needs programme engine {engine}; this software has "
            f"engine {ENGINE_VERSION}. Update the software before using this version "
            "(nothing of it was applied)."
        )


def _required_table(top: Table, key: str) -> Table:
    table = top.table(key)
    if table is None:
        raise top.error(key, "is missing (every programme starts with a [programme] table).")
    return table


class _Names:
    """What rules may refer to, for checks with messages that list the choices."""

    def __init__(
        self, wallets: tuple[Wallet, ...], tiers: tuple[str, ...], groups: Mapping[str, Any]
    ) -> None:
        self.wallets = [w.id for w in wallets]
        self.tiers = tiers
        self.store_groups = list(groups)

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


def _wallets(top: Table) -> tuple[Wallet, ...]:
    if not top.has("wallets"):
        top.tables("wallets")
        return (Wallet("points", "Points", "points"),)
    wallets = []
    for table in top.tables("wallets"):
        wallet_id = table.text("id", pattern=IDENTIFIER)
        if wallet_id == QUALIFYING_SPEND:
            raise table.error("id", f"{wallet_id!r} is reserved for qualifying spend.")
        wallets.append(
            Wallet(
                id=wallet_id,
                name=table.text("name", wallet_id.capitalize()),
                kind=table.text("kind", "points", choices=("points", "money")),
            )
        )
        table.done()
    _unique([w.id for w in wallets], top, "wallets", _paths("wallets", len(wallets)))
    return tuple(wallets)


def _tiers(top: Table) -> tuple[str, ...]:
    table = top.table("tiers")
    if table is None:
        return ()
    value = table.data.get("levels", [])
    levels = table.labels("levels", IDENTIFIER)
    table.done()
    ordered = tuple(value)
    _unique(list(ordered), table, "levels", [f"levels[{i}]" for i in range(len(ordered))])
    if not levels:
        raise table.error("levels", "must name at least one tier, lowest first.")
    return ordered


def _store_groups(top: Table) -> dict[str, frozenset[str]]:
    table = top.table("store_groups")
    if table is None:
        return {}
    groups = {}
    for key in list(table.data):
        if not IDENTIFIER.match(key):
            raise table.error(key, "is not a valid group name.")
        groups[key] = table.labels(key)
    table.done()
    return groups


def _declared_groups(top: Table) -> list[tuple[Table, str, str]]:
    declared = []
    for table in top.tables("stack_groups"):
        group_id = table.text("id", pattern=IDENTIFIER)
        mode = table.text(
            "mode",
            choices=(
                "add",
                "add_increments",
                "multiply",
                "max",
                "newest_only",
                "first_by_priority",
            ),
        )
        table.done()
        declared.append((table, group_id, mode))
    _unique([g for _, g, _ in declared], top, "stack_groups", _paths("stack_groups", len(declared)))
    return declared


def _groups(
    top: Table, declared: list[tuple[Table, str, str]], rules: tuple[BasketRule, ...]
) -> tuple[StackGroup, ...]:
    """Declared groups in order, preceded by the implied defaults that rules use."""
    kinds: dict[str, set[str]] = {}
    for rule in rules:
        if not isinstance(rule, StampRule):
            kinds.setdefault(rule.group, set()).add(_group_kind(rule))
    modes = {group_id: (table, mode) for table, group_id, mode in declared}
    for group_id, found in kinds.items():
        if len(found) > 1:
            raise top.error(
                "rules",
                f"group {group_id!r} mixes {' and '.join(sorted(found))} rules; put earn "
                "rules, multipliers and fixed bonuses in groups of their own.",
            )
        kind = next(iter(found))
        if group_id in modes:
            table, mode = modes[group_id]
            if mode not in GROUP_MODES[kind]:
                allowed = ", ".join(GROUP_MODES[kind])
                raise table.error("mode", f"{mode!r} cannot combine {kind} rules ({allowed}).")
        elif group_id not in DEFAULT_GROUPS:
            raise top.error("rules", f"group {group_id!r} is used but not in [[stack_groups]].")
    implied = [
        StackGroup(g, DEFAULT_GROUPS[g])  # type: ignore[arg-type]
        for g in DEFAULT_GROUPS
        if g in kinds and g not in modes
    ]
    return (*implied, *(StackGroup(g, m) for _, g, m in declared))  # type: ignore[arg-type]


def _group_kind(rule: BasketRule) -> str:
    if isinstance(rule, EarnRate | EarnPercent):
        return "base"
    if isinstance(rule, Multiplier):
        return "boost"
    return "bonus"


def _conditions(table: Table, names: _Names) -> Conditions:
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


def _rule(table: Table, names: _Names) -> BasketRule:
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
            when=_conditions(table, names),
        )
    else:
        group = table.text("group", _KIND_OF_RULE[kind], pattern=IDENTIFIER)
        priority = table.integer("priority", 0)
        when = _conditions(table, names)
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
            )
    table.done()
    return rule


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


def _price(table: Table, names: _Names) -> MemberPrice:
    price_id = table.text("id", pattern=IDENTIFIER)
    when = _conditions(table, names)
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


def _reward(table: Table, names: _Names) -> Reward:
    reward_id = table.text("id", pattern=IDENTIFIER)
    kind = table.text("kind", choices=("free_item", "amount_off", "percent_off"))
    reward = Reward(
        id=reward_id,
        name=table.text("name", reward_id),
        kind=kind,
        when=_conditions(table, names),
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


def _redeem(top: Table, names: _Names) -> Redeem | None:
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


def _action(table: Table, names: _Names) -> Action:
    action = Action(
        id=table.text("id", pattern=IDENTIFIER),
        name=table.text("name"),
        wallet=names.wallet(table, "wallet", None),
        amount=table.integer("amount", minimum=1),
    )
    table.done()
    return action


def _offline(top: Table) -> Offline:
    table = top.table("offline")
    if table is None:
        return Offline()
    defaults = Offline()
    offline = Offline(
        redeem_cap=table.integer("redeem_cap", defaults.redeem_cap),
        max_offline_hours=table.integer("max_offline_hours", defaults.max_offline_hours),
        accept_previous_hours=table.integer(
            "accept_previous_hours", defaults.accept_previous_hours
        ),
    )
    table.done()
    return offline


def _check_references(programme: Programme, top: Table) -> None:
    ids = [r.id for r in programme.rules] + [p.id for p in programme.prices]
    ids += [r.id for r in programme.rewards]
    keys = _paths("rules", len(programme.rules)) + _paths("prices", len(programme.prices))
    keys += _paths("rewards", len(programme.rewards))
    _unique(ids, top, "rules, prices and rewards", keys)
    _unique(
        [a.id for a in programme.actions], top, "actions", _paths("actions", len(programme.actions))
    )
    cards = [(i, r.card) for i, r in enumerate(programme.rules) if isinstance(r, StampRule)]
    _unique([c for _, c in cards], top, "stamp cards", [f"rules[{i}].card" for i, _ in cards])
    if "redeem" in ids:
        raise top.error("rules", "'redeem' is reserved for points used as a discount; rename it.")
    rewards = {r.id for r in programme.rewards}
    for index, rule in enumerate(programme.rules):
        if isinstance(rule, StampRule) and rule.reward not in rewards:
            raise top.error(f"rules[{index}].reward", f"{rule.reward!r} is not in [[rewards]].")


def _unique(values: list[str], table: Table, what: str, keys: list[str]) -> None:
    """Refuse a repeated id, naming the key of its second use (``keys[i]`` is where
    ``values[i]`` was written, e.g. ``rules[3].id``)."""
    seen: set[str] = set()
    for value, key in zip(values, keys, strict=True):
        if value in seen:
            raise table.error(key, f"{value!r} is used twice among {what}; ids must be unique.")
        seen.add(value)


def _paths(section: str, count: int, key: str = "id") -> list[str]:
    return [f"{section}[{i}].{key}" for i in range(count)]

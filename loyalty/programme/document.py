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
from itertools import pairwise
from pathlib import Path
from typing import Any, get_args

from loyalty.canonical import sha256_hex
from loyalty.money import MINOR_UNIT_DIGITS
from loyalty.programme import rule_tables
from loyalty.programme.approvals import approvals
from loyalty.programme.arithmetic import ROUNDING_MODES
from loyalty.programme.birthday import birthday
from loyalty.programme.model import (
    ENGINE_VERSION,
    EXPIRY_ENGINE,
    QUALIFYING_SPEND,
    UNITS,
    VISITS,
    BasketRule,
    EarnPercent,
    EarnRate,
    Expiry,
    Multiplier,
    Programme,
    StackGroup,
    StampRule,
    TierDowngrade,
    TierQualification,
    TierRetention,
    TierWindow,
    Wallet,
)
from loyalty.programme.offers import offer_template
from loyalty.programme.reader import (
    IDENTIFIER,
    LABEL,
    NewerEngineRequired,
    ProgrammeError,
    Table,
    normalise_document,
)
from loyalty.programme.settlements import settlement
from loyalty.timezones import UnknownTimeZone, programme_zone

MAX_EXPIRY_MONTHS = 120
"""The longest expiry a wallet may declare (ten years)."""

GROUP_MODES = {
    "base": ("add", "max", "first_by_priority", "newest_only"),
    "boost": ("add_increments", "multiply", "max", "first_by_priority", "newest_only"),
    "bonus": ("add", "max", "first_by_priority", "newest_only"),
}
"""Which modes a group may have, by the kind of rules in it."""
TIER_METRICS = (QUALIFYING_SPEND, VISITS, UNITS)
"""The tier metrics that are not a wallet's units."""
DEFAULT_GROUPS = {"base": "add", "boost": "add_increments", "bonus": "add"}
"""Groups a rule lands in when it names none, and their mode unless declared."""


def load_programme_file(path: str | Path) -> Programme:
    """Read and validate the programme document at ``path`` (TOML)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProgrammeError(f"{source}: no such file.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProgrammeError(f"{source}: cannot be read ({error}).") from error
    return programme_from_toml(text, source)


def programme_from_toml(text: str, source: str) -> Programme:
    """Validate the programme document ``text`` (TOML); ``source`` names it in errors."""
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

    wallets = _wallets(top, engine)
    tiers, tier_qualification = _tiers(top, engine, wallets)
    store_groups = _store_groups(top)
    names = rule_tables.Names(wallets, tiers, store_groups, engine)
    declared_groups = _declared_groups(top)
    rules = tuple(rule_tables.rule(t, names) for t in top.tables("rules"))
    prices = tuple(rule_tables.price(t, names) for t in top.tables("prices"))
    rewards = tuple(rule_tables.reward(t, names) for t in top.tables("rewards"))
    redeem = rule_tables.redeem(top, names)
    actions = tuple(rule_tables.action(t, names) for t in top.tables("actions"))
    offline = rule_tables.offline(top, engine)
    for key in ("settlements", "offer_templates", "birthday"):
        if top.has(key) and engine < EXPIRY_ENGINE:
            raise top.error(
                key, f"needs engine = {EXPIRY_ENGINE} in [programme] (it says {engine})."
            )
    settlement_tables = top.tables("settlements")
    settlements = tuple(
        settlement(t, [w.id for w in wallets], list(store_groups)) for t in settlement_tables
    )
    _unique(
        [s.id for s in settlements], top, "settlements", _paths("settlements", len(settlements))
    )
    offer_templates = tuple(offer_template(t, names) for t in top.tables("offer_templates"))
    _unique(
        [t.id for t in offer_templates],
        top,
        "offer templates",
        _paths("offer_templates", len(offer_templates)),
    )
    birthday_reward = birthday(top, names, [r.id for r in rewards])
    approval_policy = approvals(top)
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
        tier_qualification=tier_qualification,
        store_groups=store_groups,
        groups=_groups(top, declared_groups, rules),
        rules=rules,
        prices=prices,
        rewards=rewards,
        redeem=redeem,
        actions=actions,
        offline=offline,
        settlements=settlements,
        offer_templates=offer_templates,
        birthday=birthday_reward,
        approvals=approval_policy,
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


def _expiry(wallet: Table, engine: int) -> Expiry | None:
    """A wallet's ``expiry = { months = 24, align = "month_end" }``, if any."""
    table = wallet.table("expiry")
    if table is None:
        return None
    if engine < EXPIRY_ENGINE:
        raise wallet.error(
            "expiry", f"needs engine = {EXPIRY_ENGINE} in [programme] (it says {engine})."
        )
    months = table.integer("months", minimum=1)
    if months > MAX_EXPIRY_MONTHS:
        raise table.error("months", f"must be at most {MAX_EXPIRY_MONTHS}.")
    align = table.text("align", "month_end", choices=("month_end", "day"))
    extend = table.boolean("extend_existing", False)
    table.done()
    return Expiry(months, align, extend)


def _required_table(top: Table, key: str) -> Table:
    table = top.table(key)
    if table is None:
        raise top.error(key, "is missing (every programme starts with a [programme] table).")
    return table


def _wallets(top: Table, engine: int) -> tuple[Wallet, ...]:
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
                expiry=_expiry(table, engine),
            )
        )
        table.done()
    _unique([w.id for w in wallets], top, "wallets", _paths("wallets", len(wallets)))
    return tuple(wallets)


def _tiers(
    top: Table, engine: int, wallets: tuple[Wallet, ...]
) -> tuple[tuple[str, ...], TierQualification | None]:
    table = top.table("tiers")
    if table is None:
        return (), None
    value = table.data.get("levels", [])
    levels = table.labels("levels", IDENTIFIER)
    ordered = tuple(value)
    _unique(list(ordered), table, "levels", [f"levels[{i}]" for i in range(len(ordered))])
    if not levels:
        raise table.error("levels", "must name at least one tier, lowest first.")
    qualify = table.table("qualify")
    table.done()
    if qualify is None:
        return ordered, None
    if engine < EXPIRY_ENGINE:
        raise table.error(
            "qualify", f"needs engine = {EXPIRY_ENGINE} in [programme] (it says {engine})."
        )
    return ordered, _qualification(qualify, ordered, wallets)


def _qualification(
    table: Table, levels: tuple[str, ...], wallets: tuple[Wallet, ...]
) -> TierQualification:
    """``[tiers.qualify]``: metric (and its tag), window, thresholds per level,
    retention, clawback, downgrade."""
    wallet_ids = [w.id for w in wallets]
    metric = table.text("metric", QUALIFYING_SPEND, choices=(*TIER_METRICS, *wallet_ids))
    if metric in TIER_METRICS and metric in wallet_ids:
        raise table.error(
            "metric",
            f"{metric!r} is both a metric and a wallet of this programme; rename the wallet.",
        )
    tag = table.text("tag", None, pattern=LABEL)
    if metric == UNITS and tag is None:
        raise table.error("tag", 'is missing: metric = "units" counts the lines with this tag.')
    if metric != UNITS and tag is not None:
        raise table.error("tag", 'only goes with metric = "units".')
    window = table.text("window", "calendar_year", choices=get_args(TierWindow))
    retention = table.text("retention", "rest_and_next", choices=get_args(TierRetention))
    clawback = table.boolean("clawback", False)
    downgrade = table.text("downgrade", "to_held", choices=get_args(TierDowngrade))
    counts = table.table("thresholds")
    if counts is None:
        raise table.error("thresholds", "is missing: the count each tier above the lowest needs.")
    thresholds = []
    for level in levels[1:]:
        thresholds.append((level, counts.integer(level, minimum=1)))
    counts.done()
    table.done()
    for (lower, low), (higher, high) in pairwise(thresholds):
        if high <= low:
            raise counts.error(higher, f"must be more than {lower}'s {low} (tiers rise).")
    return TierQualification(metric, window, tuple(thresholds), retention, clawback, tag, downgrade)


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
        key = keys[ids.index("redeem")]
        raise top.error(key, "'redeem' is reserved for points used as a discount; rename it.")
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

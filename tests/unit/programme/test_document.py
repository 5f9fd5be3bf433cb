"""Programme documents: every mistake is refused with the file and the key named,
the content hash is stable, and the example programmes load."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from loyalty.programme import (
    ENGINE_VERSION,
    NewerEngineRequired,
    ProgrammeError,
    load_programme_file,
    parse_programme,
)
from loyalty.programme.default import simple_programme_document
from loyalty.programme.model import Expiry
from tests.unit.programme.helpers import EXAMPLE_NAMES, HEAD, example

SOURCE = "test.toml"

VALID: dict[str, Any] = {
    "programme": dict(HEAD),
    "arithmetic": {"rounding": "floor", "scope": "receipt"},
    "earn_basis": {
        "amount": "paid",
        "exclude_tags": ["gift_card"],
        "exclude_tenders": ["gift_card"],
    },
    "wallets": [
        {"id": "points", "name": "Points", "kind": "points"},
        {"id": "bonus", "kind": "money"},
    ],
    "tiers": {"levels": ["basic", "gold"]},
    "store_groups": {"city": ["OSLO01", "OSLO02"]},
    "stack_groups": [{"id": "tier-boost", "mode": "max"}],
    "rules": [
        {"id": "base", "kind": "earn_rate", "rate": "1"},
        {
            "id": "gold",
            "kind": "multiplier",
            "increment": "0.5",
            "group": "tier-boost",
            "when": {"tiers": ["gold"], "store_groups": ["city"]},
        },
        {"id": "big", "kind": "fixed_bonus", "amount": 100, "when": {"min_basket_minor": 50000}},
        {
            "id": "card",
            "kind": "stamp",
            "card": "coffee",
            "goal": 9,
            "reward": "free-coffee",
            "extra_per_flag": {"own_cup": 1},
            "when": {"tags": ["coffee"]},
        },
        {
            "id": "fresh",
            "kind": "earn_percent",
            "wallet": "bonus",
            "percent": "15",
            "when": {
                "tags": ["fresh"],
                "weekdays": ["sat"],
                "time": {"from": "06:00", "until": "10:00"},
                "dates": {"from": "2026-01-01", "until": "2026-12-31"},
            },
        },
    ],
    "prices": [{"id": "member-beans", "price_minor": 2990, "when": {"skus": ["beans"]}}],
    "rewards": [
        {
            "id": "free-coffee",
            "name": "Free coffee",
            "kind": "free_item",
            "when": {"tags": ["coffee"]},
        },
        {"id": "ten-off", "kind": "percent_off", "percent": "10", "cost": 100},
    ],
    "redeem": {"wallet": "points", "points": 100, "value_minor": 1000, "min_points": 100},
    "actions": [{"id": "own-bag", "name": "Own bag", "wallet": "points", "amount": 5}],
    "offline": {"redeem_cap": 1000, "max_offline_hours": 72, "accept_previous_hours": 2},
}
"""A document using every section; each table row below breaks one thing in it."""

DELETE = object()


def changed(*edits: tuple[tuple[str | int, ...], Any]) -> dict[str, Any]:
    """:data:`VALID` with each ``(path, value)`` set (or removed with ``DELETE``);
    an index one past the end of a list appends."""
    doc = copy.deepcopy(VALID)
    for path, value in edits:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        elif isinstance(target, list) and path[-1] == len(target):
            target.append(value)
        else:
            target[path[-1]] = value
    return doc


def refusal(doc: dict[str, Any], source: str = SOURCE) -> str:
    with pytest.raises(ProgrammeError) as caught:
        parse_programme(doc, source)
    return str(caught.value)


def test_the_reference_document_is_valid():
    programme = parse_programme(VALID, SOURCE)
    assert [r.id for r in programme.rules] == ["base", "gold", "big", "card", "fresh"]
    assert [g.id for g in programme.groups] == ["base", "bonus", "tier-boost"]
    assert programme.tiers == ("basic", "gold")


def edit(path: str, value: Any) -> tuple[tuple[str | int, ...], Any]:
    """``"rules.0.when.bogus"`` → ``(("rules", 0, "when", "bogus"), value)``."""
    keys = tuple(int(k) if k.isdigit() else k for k in path.split("."))
    return keys, value


UNKNOWN_KEYS = [
    pytest.param("bogus", "bogus", id="top level"),
    pytest.param("programme.bogus", "programme.bogus", id="programme"),
    pytest.param("arithmetic.bogus", "arithmetic.bogus", id="arithmetic"),
    pytest.param("earn_basis.bogus", "earn_basis.bogus", id="earn_basis"),
    pytest.param("wallets.1.bogus", "wallets[1].bogus", id="wallet"),
    pytest.param("tiers.bogus", "tiers.bogus", id="tiers"),
    pytest.param("stack_groups.0.bogus", "stack_groups[0].bogus", id="stack group"),
    pytest.param("rules.0.bogus", "rules[0].bogus", id="rule"),
    pytest.param("rules.1.when.bogus", "rules[1].when.bogus", id="rule condition"),
    pytest.param("rules.4.when.time.bogus", "rules[4].when.time.bogus", id="time window"),
    pytest.param("rules.4.when.dates.bogus", "rules[4].when.dates.bogus", id="date window"),
    pytest.param("prices.0.bogus", "prices[0].bogus", id="price"),
    pytest.param("rewards.1.bogus", "rewards[1].bogus", id="reward"),
    pytest.param("redeem.bogus", "redeem.bogus", id="redeem"),
    pytest.param("actions.0.bogus", "actions[0].bogus", id="action"),
    pytest.param("offline.bogus", "offline.bogus", id="offline"),
    pytest.param("rules.0.goal", "rules[0].goal", id="key of another rule kind"),
    pytest.param("rules.3.group", "rules[3].group", id="stamp rules have no group"),
]


@pytest.mark.parametrize(
    ("path", "where", "says"),
    [
        pytest.param(
            "rewards.0.percent", "rewards[0].percent", 'only goes with kind = "percent_off"',
            id="percent on a free item",
        ),
        pytest.param(
            "rewards.0.wallet", "rewards[0].wallet", "only goes with cost",
            id="wallet on a reward without cost",
        ),
    ],
)  # fmt: skip
def test_a_key_of_another_reward_kind_is_refused_saying_what_it_goes_with(
    path: str, where: str, says: str
):
    message = refusal(changed(edit(path, "1")))
    assert message.startswith(f"{SOURCE}: {where}: ")
    assert says in message


@pytest.mark.parametrize(("path", "where"), UNKNOWN_KEYS)
def test_an_unknown_key_is_refused_naming_file_and_key(path: str, where: str):
    message = refusal(changed(edit(path, "1")))
    assert message.startswith(f"{SOURCE}: {where}: ")
    assert "is not a key this programme engine knows" in message


WRONG_VALUES = [
    pytest.param("programme.engine", "1", "programme.engine", "whole number", id="engine as text"),
    pytest.param("programme.id", 5, "programme.id", "text in quotes", id="id as number"),
    pytest.param("programme.id", "Test Programme", "programme.id", "not a valid name", id="id"),
    pytest.param("programme.currency", "XYZ", "programme.currency", "must be one of", id="cur"),
    pytest.param("programme.name", DELETE, "programme.name", "is missing", id="missing name"),
    pytest.param("arithmetic", "floor", "arithmetic", "must be a table", id="table as text"),
    pytest.param("arithmetic.rounding", "ceil", "arithmetic.rounding", "one of", id="rounding"),
    pytest.param("arithmetic.scope", "basket", "arithmetic.scope", "one of", id="scope"),
    pytest.param("earn_basis.amount", "net", "earn_basis.amount", "one of", id="earn basis"),
    pytest.param(
        "earn_basis.exclude_tags", "gift_card", "earn_basis.exclude_tags", "a list", id="list"
    ),
    pytest.param(
        "earn_basis.exclude_tags",
        ["gift card"],
        "earn_basis.exclude_tags[0]",
        "valid name",
        id="tag with a space",
    ),
    pytest.param("wallets.1.kind", "stars", "wallets[1].kind", "one of", id="wallet kind"),
    pytest.param("wallets.0.id", "qualifying_spend", "wallets[0].id", "reserved", id="reserved"),
    pytest.param("rules.0.id", "redeem", "rules[0].id", "reserved", id="rule named redeem"),
    pytest.param("prices.0.id", "redeem", "prices[0].id", "reserved", id="price named redeem"),
    pytest.param("rewards.1.id", "redeem", "rewards[1].id", "reserved", id="reward named redeem"),
    pytest.param("tiers.levels", [], "tiers.levels", "at least one tier", id="no tiers"),
    pytest.param("rules", {"id": "x"}, "rules", "array of tables", id="rules as table"),
    pytest.param("rules.0", "base", "rules[0]", "must be a table", id="rule as text"),
    pytest.param("rules.0.kind", "cashback", "rules[0].kind", "one of", id="rule kind"),
    pytest.param("rules.0.rate", DELETE, "rules[0].rate", "is missing", id="missing rate"),
    pytest.param("rules.0.rate", True, "rules[0].rate", "decimal", id="rate as boolean"),
    pytest.param("rules.0.rate", "1,5", "rules[0].rate", "decimal like", id="decimal comma"),
    pytest.param("rules.0.rate", "1e3", "rules[0].rate", "decimal like", id="exponent"),
    pytest.param("rules.0.rate", "-1", "rules[0].rate", "at least 0", id="negative rate"),
    pytest.param("rules.0.rate", ".5", "rules[0].rate", "decimal like", id="no leading digit"),
    pytest.param("rules.0.rate", "1.", "rules[0].rate", "decimal like", id="no decimals"),
    pytest.param("rules.0.priority", -1, "rules[0].priority", "at least 0", id="priority"),
    pytest.param("rules.1.increment", "-2", "rules[1].increment", "at least -1", id="increment"),
    pytest.param("rules.2.amount", "100", "rules[2].amount", "whole number", id="amount text"),
    pytest.param("rules.2.amount", 0, "rules[2].amount", "at least 1", id="bonus of zero"),
    pytest.param("rules.3.goal", 0, "rules[3].goal", "at least 1", id="goal of zero"),
    pytest.param("rules.3.carry_over", "yes", "rules[3].carry_over", "true or false", id="bool"),
    pytest.param(
        "rules.3.extra_per_flag",
        {"own cup": 1},
        "rules[3].extra_per_flag.own cup",
        "valid flag name",
        id="flag name",
    ),
    pytest.param(
        "rules.3.extra_per_flag",
        {"own_cup": -1},
        "rules[3].extra_per_flag.own_cup",
        "at least 0",
        id="negative extra stamps",
    ),
    pytest.param("rules.1.when.tiers", "gold", "rules[1].when.tiers", "a list", id="tiers as text"),
    pytest.param(
        "prices.0.percent_off", "10", "prices[0]", "exactly one of", id="price and percent"
    ),
    pytest.param("prices.0.price_minor", DELETE, "prices[0]", "exactly one of", id="no price"),
    pytest.param("prices.0.when", {}, "prices[0].when", "must pick the lines", id="price for all"),
    pytest.param("rewards.0.kind", "voucher", "rewards[0].kind", "one of", id="reward kind"),
    pytest.param("rewards.1.percent", "0", "rewards[1].percent", "more than 0", id="0 %"),
    pytest.param("rewards.1.percent", "150", "rewards[1].percent", "at most 100", id="150 %"),
    pytest.param("rewards.1.cost", 0, "rewards[1].cost", "at least 1", id="free claim"),
    pytest.param("redeem.points", 0, "redeem.points", "at least 1", id="redeem 0 points"),
    pytest.param("offline.redeem_cap", "lots", "offline.redeem_cap", "whole number", id="cap"),
    pytest.param(
        "offline.accept_previous_hours",
        -1,
        "offline.accept_previous_hours",
        "at least 0",
        id="negative grace",
    ),
]


@pytest.mark.parametrize(("path", "value", "where", "problem"), WRONG_VALUES)
def test_a_wrong_value_is_refused_naming_file_and_key(
    path: str, value: Any, where: str, problem: str
):
    message = refusal(changed(edit(path, value)))
    assert message.startswith(f"{SOURCE}: {where}")
    assert problem in message


def test_a_percent_off_member_price_above_100_is_refused():
    doc = changed(edit("prices.0", {"id": "p", "percent_off": "101", "when": {"tags": ["x"]}}))
    assert refusal(doc).startswith(f"{SOURCE}: prices[0].percent_off: cannot be more than 100")


def test_an_amount_off_reward_needs_an_amount():
    doc = changed(edit("rewards.1", {"id": "off", "kind": "amount_off", "cost": 10}))
    assert refusal(doc).startswith(f"{SOURCE}: rewards[1].amount_minor: must be more than zero")


FLOATS = [
    pytest.param("rules.0.rate", 1.25, "rules[0].rate", '"1.25"', id="rate"),
    pytest.param("rules.4.percent", 15.0, "rules[4].percent", '"15.0"', id="percent"),
    pytest.param("rules.1.increment", 0.5, "rules[1].increment", '"0.5"', id="increment"),
    pytest.param("rewards.1.percent", 10.5, "rewards[1].percent", '"10.5"', id="reward percent"),
    pytest.param("offline.redeem_cap", 1000.0, "offline.redeem_cap", "float", id="integer key"),
    pytest.param("bogus", [1, 2.5], "bogus[1]", "float", id="even in an unknown key"),
]


@pytest.mark.parametrize(("path", "value", "where", "hint"), FLOATS)
def test_a_float_is_refused_with_the_exact_decimal_to_write(
    path: str, value: float, where: str, hint: str
):
    message = refusal(changed(edit(path, value)))
    assert message.startswith(f"{SOURCE}: {where}: ")
    assert "is a float" in message
    assert hint in message


def test_a_float_in_a_toml_file_is_refused_naming_the_file(tmp_path: Path):
    path = tmp_path / "kiwi.toml"
    path.write_text(
        '[programme]\nid = "kiwi"\nname = "Kiwi"\nengine = 1\ncurrency = "NOK"\n'
        'timezone = "Europe/Oslo"\n\n[[rules]]\nid = "fresh"\nkind = "earn_percent"\n'
        "percent = 1.5\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ProgrammeError, match=re.escape(f"{path}: rules[0].percent: 1.5 is a float")
    ):
        load_programme_file(path)


def test_exact_decimal_rates_are_read_exactly():
    programme = parse_programme(changed(edit("rules.0.rate", "1.1")), SOURCE)
    assert programme.rules[0].rate * 10 == 11  # type: ignore[union-attr]
    whole = parse_programme(changed(edit("rules.0.rate", 2)), SOURCE)
    assert whole.rules[0].rate == 2  # type: ignore[union-attr]


UNKNOWN_REFERENCES = [
    pytest.param(
        "rules.0.wallet",
        "stars",
        "rules[0].wallet",
        "'stars' is not a wallet of this programme (points, bonus)",
        id="rule wallet",
    ),
    pytest.param("rules.1.wallet", "stars", "rules[1].wallet", "not a wallet", id="boost wallet"),
    pytest.param("redeem.wallet", "stars", "redeem.wallet", "not a wallet", id="redeem wallet"),
    pytest.param("actions.0.wallet", "stars", "actions[0].wallet", "not a wallet", id="action"),
    pytest.param("rewards.1.wallet", "stars", "rewards[1].wallet", "not a wallet", id="reward"),
    pytest.param(
        "rules.1.when.tiers",
        ["platinum"],
        "rules[1].when.tiers[0]",
        "'platinum' is not one of: basic, gold",
        id="tier",
    ),
    pytest.param(
        "rules.3.reward",
        "free-tea",
        "rules[3].reward",
        "'free-tea' is not in [[rewards]]",
        id="stamp card reward",
    ),
    pytest.param(
        "rules.1.when.store_groups",
        ["north"],
        "rules[1].when.store_groups[0]",
        "'north' is not one of: city",
        id="store group",
    ),
    pytest.param(
        "rules.4.when.weekdays",
        ["saturday"],
        "rules[4].when.weekdays[0]",
        "'saturday' is not one of",
        id="weekday",
    ),
    pytest.param(
        "rules.0.group",
        "tier-rate",
        "rules",
        "group 'tier-rate' is used but not in",
        id="undeclared stack group",
    ),
]


@pytest.mark.parametrize(("path", "value", "where", "problem"), UNKNOWN_REFERENCES)
def test_a_reference_to_something_undeclared_is_refused(
    path: str, value: Any, where: str, problem: str
):
    message = refusal(changed(edit(path, value)))
    assert message.startswith(f"{SOURCE}: {where}: ")
    assert problem in message


def test_a_tier_condition_without_tiers_says_none_are_declared():
    doc = changed(edit("tiers", DELETE))
    assert "rules[1].when.tiers[0]: 'gold' is not one of: none are declared" in refusal(doc)


def test_a_rule_needs_a_wallet_when_the_programme_has_none():
    doc = {"programme": dict(HEAD), "wallets": [], "rules": [VALID["rules"][0]]}
    assert refusal(doc) == (
        f"{SOURCE}: rules[0].wallet: is missing, and the programme has no wallets."
    )


def test_without_a_wallets_key_the_programme_has_one_points_wallet():
    programme = parse_programme({"programme": dict(HEAD)}, SOURCE)
    assert [(w.id, w.kind) for w in programme.wallets] == [("points", "points")]


GROUP_MISTAKES = [
    pytest.param(
        [edit("rules.0.group", "tier-boost")],
        "rules",
        "group 'tier-boost' mixes base and boost rules",
        id="earn rule in a boost group",
    ),
    pytest.param(
        [edit("rules.2.group", "tier-boost")],
        "rules",
        "group 'tier-boost' mixes bonus and boost rules",
        id="bonus in a boost group",
    ),
    pytest.param(
        [edit("stack_groups.0.mode", "add")],
        "stack_groups[0].mode",
        "'add' cannot combine boost rules",
        id="add for multipliers",
    ),
    pytest.param(
        [edit("stack_groups.1", {"id": "rate", "mode": "multiply"}), edit("rules.0.group", "rate")],
        "stack_groups[1].mode",
        "'multiply' cannot combine base rules",
        id="multiply earn rules",
    ),
    pytest.param(
        [
            edit("stack_groups.1", {"id": "big", "mode": "add_increments"}),
            edit("rules.2.group", "big"),
        ],
        "stack_groups[1].mode",
        "'add_increments' cannot combine bonus rules",
        id="add_increments for fixed bonuses",
    ),
    pytest.param(
        [edit("stack_groups.0.mode", "sum")],
        "stack_groups[0].mode",
        "must be one of",
        id="unknown mode",
    ),
]


@pytest.mark.parametrize(("edits", "where", "problem"), GROUP_MISTAKES)
def test_a_stack_group_mistake_is_refused(edits: list[Any], where: str, problem: str):
    message = refusal(changed(*edits))
    assert message.startswith(f"{SOURCE}: {where}: ")
    assert problem in message


TIME_ZONES = [
    pytest.param("Europe/Olso", "is not a known time zone", id="misspelt"),
    pytest.param("CEST+2", "is not a known time zone", id="abbreviation"),
    pytest.param("", "is not a time zone name", id="empty"),
    pytest.param("../../etc/passwd", "is not a time zone name", id="path"),
]


@pytest.mark.parametrize(("zone", "problem"), TIME_ZONES)
def test_a_bad_time_zone_is_refused(zone: str, problem: str):
    message = refusal(changed(edit("programme.timezone", zone)))
    assert message.startswith(f"{SOURCE}: programme.timezone: ")
    assert problem in message


WINDOWS = [
    pytest.param("time.from", "6.30", "time.from", "local time like", id="time with a dot"),
    pytest.param("time.until", "25:00", "time.until", "local time like", id="hour 25"),
    pytest.param("time.until", "06:00", "time.until", "must differ from 'from'", id="empty"),
    pytest.param("time.from", DELETE, "time.from", "is missing", id="no start"),
    pytest.param("dates.from", "2026-13-01", "dates.from", "date like", id="month 13"),
    pytest.param("dates.until", "31.12.2026", "dates.until", "date like", id="local format"),
    pytest.param("dates.until", "2025-12-31", "dates.until", "is before 'from'", id="backwards"),
]


@pytest.mark.parametrize(("key", "value", "where", "problem"), WINDOWS)
def test_a_bad_time_or_date_window_is_refused(key: str, value: Any, where: str, problem: str):
    message = refusal(changed(edit(f"rules.4.when.{key}", value)))
    assert message.startswith(f"{SOURCE}: rules[4].when.{where}: ")
    assert problem in message


def test_a_window_crossing_midnight_is_allowed():
    programme = parse_programme(changed(edit("rules.4.when.time.from", "22:00")), SOURCE)
    window = programme.rules[4].when.time
    assert window is not None and window.contains(window.start)


DUPLICATES = [
    pytest.param(edit("rules.1.id", "base"), "'base'", "rules, prices and rewards", id="rules"),
    pytest.param(
        edit("rewards.1.id", "base"), "'base'", "rules, prices and rewards", id="rule and reward"
    ),
    pytest.param(
        edit("prices.0.id", "card"), "'card'", "rules, prices and rewards", id="rule and price"
    ),
    pytest.param(edit("wallets.1.id", "points"), "'points'", "wallets", id="wallets"),
    pytest.param(edit("tiers.levels", ["gold", "gold"]), "'gold'", "levels", id="tier levels"),
    pytest.param(
        edit("stack_groups", [{"id": "g", "mode": "max"}, {"id": "g", "mode": "max"}]),
        "'g'",
        "stack_groups",
        id="stack groups",
    ),
    pytest.param(
        edit("actions", [VALID["actions"][0], VALID["actions"][0]]),
        "'own-bag'",
        "actions",
        id="actions",
    ),
]


@pytest.mark.parametrize(("change", "value", "among"), DUPLICATES)
def test_a_duplicate_id_is_refused_naming_file_and_id(change: Any, value: str, among: str):
    message = refusal(changed(change))
    assert message.startswith(f"{SOURCE}: ")
    assert f"{value} is used twice among {among}" in message


def test_two_stamp_rules_for_one_card_are_refused():
    second = {**VALID["rules"][3], "id": "card-2"}
    message = refusal(changed(edit("rules", [*VALID["rules"], second])))
    assert message.startswith(f"{SOURCE}: ")
    assert "'coffee' is used twice among stamp cards" in message


@pytest.mark.parametrize(
    ("change", "where"),
    [
        pytest.param(edit("rules.1.id", "base"), "rules[1].id", id="rule"),
        pytest.param(edit("wallets.1.id", "points"), "wallets[1].id", id="wallet"),
    ],
)
def test_a_duplicate_id_message_names_the_key_of_the_second_use(change: Any, where: str):
    assert refusal(changed(change)).startswith(f"{SOURCE}: {where}: ")


def test_a_missing_programme_table_is_refused():
    message = refusal({"rules": []})
    assert message.startswith(f"{SOURCE}: programme: is missing")


# --------------------------------------------------------------------------- engine


def test_a_document_for_a_newer_engine_is_refused_with_a_clear_message():
    doc = changed(edit("programme.engine", ENGINE_VERSION + 1))
    with pytest.raises(NewerEngineRequired) as caught:
        parse_programme(doc, SOURCE)
    message = str(caught.value)
    assert message.startswith(f"{SOURCE}: ")
    assert f"needs programme engine {ENGINE_VERSION + 1}" in message
    assert f"this software has engine {ENGINE_VERSION}" in message
    assert "Update the software" in message
    assert "nothing of it was applied" in message
    assert isinstance(caught.value, ProgrammeError)


def test_a_newer_engine_is_refused_whole_before_anything_else_is_read():
    """A newer engine may add keys, kinds and even floats: none of them is reported,
    the engine is."""
    doc = changed(
        edit("programme.engine", ENGINE_VERSION + 7),
        edit("programme.future_key", 1.5),
        edit("rules.0.kind", "lottery"),
        edit("teleport", {"to": "moon"}),
    )
    with pytest.raises(NewerEngineRequired, match=f"needs programme engine {ENGINE_VERSION + 7}"):
        parse_programme(doc, SOURCE)


def test_a_toml_file_for_a_newer_engine_names_the_file(tmp_path: Path):
    path = tmp_path / "future.toml"
    path.write_text(
        f'[programme]\nid = "f"\nengine = {ENGINE_VERSION + 1}\nhologram = 2.5\n', encoding="utf-8"
    )
    with pytest.raises(NewerEngineRequired, match=re.escape(f"{path}: this programme needs")):
        load_programme_file(path)


def test_the_current_engine_is_accepted_and_engine_0_is_not():
    parsed = parse_programme(changed(edit("programme.engine", ENGINE_VERSION)), SOURCE)
    assert parsed.engine == ENGINE_VERSION == 2
    assert parse_programme(changed(edit("programme.engine", 1)), SOURCE).engine == 1
    assert "at least 1" in refusal(changed(edit("programme.engine", 0)))


# --------------------------------------------------------------------------- expiry


def with_expiry(expiry: Any, engine: int = 2) -> dict[str, Any]:
    return changed(
        edit("programme.engine", engine),
        edit("wallets.0.expiry", expiry),
    )


def test_a_wallet_declares_its_expiry_in_months_aligned_to_month_end_or_day():
    wallet = parse_programme(with_expiry({"months": 6}), SOURCE).wallets[0]
    assert wallet.expiry == Expiry(6, "month_end")
    assert wallet.expiry.last_day(date(2026, 3, 15)) == date(2026, 9, 30)
    assert wallet.expiry.last_day(date(2026, 8, 31)) == date(2027, 2, 28)
    by_day = Expiry(1, "day")
    assert by_day.last_day(date(2026, 1, 31)) == date(2026, 2, 28)
    assert by_day.last_day(date(2028, 1, 31)) == date(2028, 2, 29)
    assert by_day.last_day(date(2026, 12, 15)) == date(2027, 1, 15)
    assert Expiry(24).last_day(date(2026, 12, 1)) == date(2028, 12, 31)
    assert parse_programme(changed(), SOURCE).wallets[0].expiry is None


@pytest.mark.parametrize(
    ("expiry", "engine", "problem"),
    [
        ({"months": 6}, 1, "wallets[0].expiry: needs engine = 2 in [programme] (it says 1)."),
        ({"months": 0}, 2, "wallets[0].expiry.months:"),
        ({"months": 121}, 2, "wallets[0].expiry.months: must be at most 120."),
        ({"months": "6"}, 2, "wallets[0].expiry.months:"),
        ({"months": 6, "align": "week"}, 2, "wallets[0].expiry.align:"),
        ({"months": 6, "grace": 1}, 2, "wallets[0].expiry.grace:"),
        ({}, 2, "wallets[0].expiry.months:"),
    ],
)
def test_a_bad_expiry_is_refused_naming_the_key(expiry: Any, engine: int, problem: str):
    assert problem in refusal(with_expiry(expiry, engine))


def test_a_missing_or_unreadable_file_is_refused_naming_it(tmp_path: Path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ProgrammeError, match=re.escape(f"{missing}: no such file")):
        load_programme_file(missing)
    broken = tmp_path / "broken.toml"
    broken.write_text("[programme\nid = 1\n", encoding="utf-8")
    with pytest.raises(ProgrammeError, match=re.escape(f"{broken}: is not valid TOML")):
        load_programme_file(broken)


# --------------------------------------------------------------------------- content hash


def reordered(value: Any) -> Any:
    """The same document with every table's keys in reverse order."""
    if isinstance(value, dict):
        return {k: reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(v) for v in value]
    return value


def test_the_content_hash_is_stable_and_independent_of_key_order():
    first = parse_programme(VALID, SOURCE).content_hash
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert parse_programme(copy.deepcopy(VALID), "other.toml").content_hash == first
    assert parse_programme(reordered(VALID), SOURCE).content_hash == first


def test_the_content_hash_survives_the_json_form_that_travels_to_tills():
    programme = parse_programme(VALID, SOURCE)
    travelled = json.loads(json.dumps(programme.document))
    assert parse_programme(travelled, "from-ledger").content_hash == programme.content_hash


TOML_TIGHT = """\
[programme]
id = "hash"
name = "Hash"
engine = 1
currency = "NOK"
timezone = "Europe/Oslo"
[[rules]]
id = "base"
kind = "earn_rate"
rate = "1"
[[rules]]
id = "advent"
kind = "multiplier"
increment = "1"
when = { tags = ["christmas"], dates = { from = 2026-12-01, until = 2026-12-24 } }
"""

TOML_LOOSE = """\
# The same programme, written differently: comments, spacing, key order, tables.

[[rules]]
kind = "earn_rate"     # one point per krone
id   = "base"
rate = "1"

[[rules]]
  id = "advent"
  increment = "1"
  kind = "multiplier"

  [rules.when]
  dates = { until = "2026-12-24", from = "2026-12-01" }
  tags = [ "christmas", ]

[programme]
timezone = "Europe/Oslo"
currency = "NOK"
engine = 1
name = "Hash"
id = "hash"
"""


def test_the_content_hash_does_not_depend_on_toml_formatting(tmp_path: Path):
    tight, loose = tmp_path / "tight.toml", tmp_path / "loose.toml"
    tight.write_text(TOML_TIGHT, encoding="utf-8")
    loose.write_text(TOML_LOOSE, encoding="utf-8")
    assert load_programme_file(tight).content_hash == load_programme_file(loose).content_hash


CONTENT_CHANGES = [
    pytest.param(edit("rules.0.rate", "2"), id="a rate"),
    pytest.param(edit("programme.name", "Renamed"), id="the name"),
    pytest.param(edit("rules.4.when.time.until", "10:30"), id="a window"),
    pytest.param(edit("earn_basis.exclude_tags", ["gift_card", "deposit"]), id="an exclusion"),
    pytest.param(edit("offline.accept_previous_hours", 3), id="an offline bound"),
    pytest.param(edit("rules", [VALID["rules"][i] for i in (1, 0, 2, 3, 4)]), id="rule order"),
]


@pytest.mark.parametrize("change", CONTENT_CHANGES)
def test_the_content_hash_changes_with_the_content(change: Any):
    assert parse_programme(changed(change), SOURCE).content_hash != (
        parse_programme(VALID, SOURCE).content_hash
    )


# --------------------------------------------------------------------------- examples


def test_there_are_example_programmes():
    assert {"coffee", "coop", "eurobonus", "kiwi", "sephora", "starbucks", "weekend-dairy"} <= set(
        EXAMPLE_NAMES
    )


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_programme_loads(name: str):
    programme = example(name)
    assert programme.id == name
    assert programme.engine <= ENGINE_VERSION
    again = parse_programme(json.loads(json.dumps(programme.document)), "json")
    assert again.content_hash == programme.content_hash
    assert again == programme


def test_example_hashes_differ():
    hashes = {example(name).content_hash for name in EXAMPLE_NAMES}
    assert len(hashes) == len(EXAMPLE_NAMES)


def test_the_simple_default_programme_loads_and_hashes_by_its_settings():
    one = parse_programme(simple_programme_document(), "till")
    same = parse_programme(simple_programme_document(), "ledger")
    other = parse_programme(simple_programme_document(points_per_unit=2), "till")
    assert one.content_hash == same.content_hash != other.content_hash
    assert one.redeem is not None and one.redeem.min_points == 100


# --------------------------------------------------------------------------- settlements


def with_settlement(**table: Any) -> dict[str, Any]:
    settlement = {"id": "d", "kind": "period_percent", "period": "calendar_year"}
    settlement.update({"wallet": "points", "percent": "1"}, **table)
    return changed(edit("programme.engine", 2), edit("settlements", [settlement]))


def test_a_store_in_several_groups_gets_the_highest_of_their_rates_in_any_order():
    doc = with_settlement(by_store_group={"north": "2", "south": "3"})
    doc["store_groups"] = {**doc["store_groups"], "north": ["S1", "S2"], "south": ["S2"]}
    settlement = parse_programme(doc, SOURCE).settlements[0]
    assert settlement.rate_for(frozenset({"north", "south"})) == 3
    assert settlement.rate_for(frozenset({"north"})) == 2
    assert settlement.rate_for(frozenset()) == 1


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"percent": "101"}, "settlements[0].percent: must be at most 100"),
        ({"by_store_group": {"nowhere": "3"}}, "settlements[0].by_store_group.nowhere:"),
        ({"period": "week"}, "settlements[0].period:"),
        (
            {"kind": "visit_challenge", "percent": None, "visits": 32, "pay": 100},
            "settlements[0].visits: must be at most 31",
        ),
        ({"wallet": "cash"}, "settlements[0].wallet: 'cash' is not a wallet"),
        (
            {
                "kind": "period_steps",
                "percent": None,
                "scope": "receipt",
                "steps": [{"from": 10, "pay": 50}, {"from": 20, "pay": 40}],
            },
            "settlements[0].steps[1].pay: must be at least",
        ),
    ],
)
def test_a_bad_settlement_is_refused_naming_the_key(table: dict[str, Any], problem: str):
    doc = with_settlement(**table)
    settlement = doc["settlements"][0]
    for key in [k for k, v in settlement.items() if v is None]:
        del settlement[key]
    assert problem in refusal(doc)

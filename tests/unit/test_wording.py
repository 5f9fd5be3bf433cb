"""Figures in a cashier's words: one point, two points, money wallets, stamps."""

from __future__ import annotations

from pathlib import Path

from loyalty.programme import load_programme_file
from pos_client.views import ProgrammeInfo
from pos_client.wording import account_amount

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "programmes"


def info(name: str) -> ProgrammeInfo:
    return ProgrammeInfo.of(load_programme_file(EXAMPLES / f"{name}.toml"))


def test_one_of_a_wallet_is_said_in_the_singular():
    points = info("points")
    assert account_amount("points", 1, points) == "1 point"
    assert account_amount("points", -1, points, sign=True) == "-1 point"
    assert account_amount("points", 2, points) == "2 points"
    assert account_amount("points", 1500, points) == "1 500 points"
    assert account_amount("points", 1, points, short=True) == "1 pts"


def test_stamps_and_money_wallets_keep_their_own_wording():
    assert account_amount("stamps:coffee", 1, info("coffee"), sign=True) == "+1 coffee stamp"
    assert account_amount("stamps:coffee", 3, info("coffee"), sign=True) == "+3 coffee stamps"
    kiwi = info("kiwi")
    (bonus,) = [w for w in kiwi.wallets if w.kind == "money"]
    assert account_amount(bonus.id, 1, kiwi) == f"0.01 NOK {bonus.name}"


def test_each_examples_wallets_in_the_singular_and_plural():
    eurobonus, starbucks = info("eurobonus"), info("starbucks")
    assert account_amount("level", 1, eurobonus) == "1 level point"
    assert account_amount("bonus", 1, eurobonus) == "1 bonus point"
    assert account_amount("bonus", 2, eurobonus) == "2 bonus points"
    assert account_amount("stars", 1, starbucks) == "1 star"


def test_a_name_that_is_not_a_plural_is_left_alone():
    assert account_amount("bonus", 1, None) == "1 bonus"
    assert account_amount("miles", 1, None) == "1 mile"
    assert account_amount("avios", 1, None) == "1 avios"
    assert account_amount("berries", 1, None) == "1 berries"


def test_a_table_cell_says_two_wallets_briefly():
    eurobonus = info("eurobonus")
    assert account_amount("level", 25, eurobonus, sign=True, short=True) == "+25 level"
    assert account_amount("bonus", 31, eurobonus, sign=True, short=True) == "+31 bonus"
    assert account_amount("points", 149, info("points"), sign=True, short=True) == "+149 pts"

"""How the value of one event field is checked: each check returns what is wrong with
a value (a phrase that follows the field's name), or None when it is right.

The field table (:mod:`loyalty.event_fields`) names a check for every field; the
checks of structured values (postings, vouchers used, lots expired) are built here
from the simple ones, so a limit such as the largest amount is stated once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from loyalty.staff import APPROVAL_ACTIONS

HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")
MAX_AMOUNT = 10**15

Check = Callable[[Any], "str | None"]
"""A value's check: what is wrong with it, or None."""


def text(longest: int) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return "must be text"
        if not 0 < len(value) <= longest:
            return f"must be 1 to {longest} characters"
        if "\x00" in value:
            return "must not contain a NUL character"
        return None

    return check


def optional_text(longest: int) -> Check:
    inner = text(longest)

    def check(value: Any) -> str | None:
        return None if value == "" else inner(value)

    return check


def integer(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        if not low <= value <= high:
            return f"must be from {low} to {high}"
        return None

    return check


def hex_hash(value: Any) -> str | None:
    return None if isinstance(value, str) and HASH_PATTERN.match(value) else "must be 64 hex digits"


def one_of(choices: frozenset[str]) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(sorted(choices))}"

    return check


def json_object(value: Any) -> str | None:
    return None if isinstance(value, dict) else "must be an object"


def postings(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be an object of account: whole number"
    for account, amount in value.items():
        if not isinstance(account, str) or not 0 < len(account) <= 64:
            return "has an account name that is not 1 to 64 characters"
        if isinstance(amount, bool) or not isinstance(amount, int):
            return f"{account} must be a whole number"
        if not -MAX_AMOUNT <= amount <= MAX_AMOUNT or amount == 0:
            return f"{account} must be non-zero and at most {MAX_AMOUNT} in size"
    return None


def programme_ref(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) != {"id", "version", "hash"}:
        return "must be an object with id, version and hash"
    return (
        text(40)(value["id"])
        or integer(0, 10**12)(value["version"])
        or (None if hex_hash(value["hash"]) is None else "hash must be 64 hex digits")
    )


def list_of(item: Check) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not value:
            return "must be a non-empty list"
        for index, element in enumerate(value):
            problem = item(element)
            if problem is not None:
                return f"[{index}] {problem}"
        return None

    return check


def reward_entry(value: Any) -> str | None:
    if not isinstance(value, dict) or not {"reward"} <= set(value) <= {"id", "reward"}:
        return "must be an object with reward (and id)"
    return text(40)(value["reward"]) or (text(200)(value["id"]) if "id" in value else None)


def expired_lot(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) != {"wallet", "last_day", "amount"}:
        return "must be an object with wallet, last_day and amount"
    return (
        text(64)(value["wallet"])
        or text(10)(value["last_day"])
        or integer(1, MAX_AMOUNT)(value["amount"])
    )


def extended_lot(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) != {"wallet", "last_day", "to", "amount"}:
        return "must be an object with wallet, last_day, to and amount"
    return (
        text(64)(value["wallet"])
        or text(10)(value["last_day"])
        or text(10)(value["to"])
        or integer(1, MAX_AMOUNT)(value["amount"])
    )


def settlement_ref(value: Any) -> str | None:
    if not isinstance(value, dict) or not {"id"} <= set(value) <= {"id", "period"}:
        return "must be an object with id (and period)"
    return text(40)(value["id"]) or (text(7)(value["period"]) if "period" in value else None)


def object_of(fields: Mapping[str, Check]) -> Check:
    """An object with exactly these keys, each checked."""

    def check(value: Any) -> str | None:
        if not isinstance(value, dict) or set(value) != set(fields):
            return f"must be an object with {', '.join(sorted(fields))}"
        for key, inner in fields.items():
            problem = inner(value[key])
            if problem is not None:
                return f"{key} {problem}"
        return None

    return check


voucher_use = object_of({"number": text(40), "discount_minor": integer(0, MAX_AMOUNT)})
offer_use = object_of(
    {"id": text(64), "template": text(40), "discount_minor": integer(0, MAX_AMOUNT)}
)
bonus = object_of({"rule": text(40), "wallet": text(64), "amount": integer(1, MAX_AMOUNT)})
voucher_issued = object_of(
    {
        "number": text(40),
        "value_minor": integer(1, MAX_AMOUNT),
        "min_spend_minor": integer(0, MAX_AMOUNT),
        "valid_until": text(10),
    }
)


approval = object_of(
    {
        "manager": text(64),
        "action": one_of(APPROVAL_ACTIONS),
        "amount": integer(-MAX_AMOUNT, MAX_AMOUNT),
    }
)


IDENTIFIED_BY_TOKEN = "token"
"""``identified_by.via`` of an event whose member showed a member QR token (an event
without ``identified_by`` was recorded on a card scanned or typed)."""


def identified_by(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) != {"via", "replay_id"}:
        return "must be an object with via and replay_id"
    return one_of(frozenset({IDENTIFIED_BY_TOKEN}))(value["via"]) or text(120)(value["replay_id"])


def returned_line(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) != {"line", "qty"}:
        return "must be an object with line and qty"
    return integer(1, 100_000)(value["line"]) or integer(1, 100_000)(value["qty"])


def null_or(check: Check) -> Check:
    def inner(value: Any) -> str | None:
        return None if value is None else check(value)

    return inner

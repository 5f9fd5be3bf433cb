"""What a new member gives when they sign up, and how each part is checked.

The till checks an enrolment before it records anything, and the ledger checks the
same fields again when the ``enrol`` event arrives (it refuses, as malformed, one
that breaks these rules), so one definition serves both.

Phone numbers are kept as ``+`` and digits (E.164: at most 15 digits); a number
written without the country code is refused rather than guessed. E-mail addresses
are checked for shape only (one ``@``, a dotted domain), and kept in lower case so
that duplicates are found whatever the case typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from loyalty.errors import LoyaltyError

_PHONE_SEPARATORS = re.compile(r"[\s().-]")
_PHONE: Final = re.compile(r"^\+[1-9][0-9]{6,14}$")
_EMAIL: Final = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
OLDEST_BIRTH_YEAR: Final = 1900
NAME_LENGTH: Final = 100


class EnrolmentError(LoyaltyError):
    """One part of an enrolment is wrong; ``field`` names it for the form."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def normal_phone(text: str) -> str:
    """``+4791234567`` from ``+47 912 34 567``; raises :class:`EnrolmentError`."""
    phone = _PHONE_SEPARATORS.sub("", text.strip())
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not _PHONE.match(phone):
        raise EnrolmentError(
            "phone",
            "Give the phone number with its country code, e.g. +47 912 34 567 "
            "(7 to 15 digits after the +).",
        )
    return phone


def normal_email(text: str) -> str:
    """The address in lower case; raises :class:`EnrolmentError` if it is not one."""
    email = text.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise EnrolmentError("email", "This is not an e-mail address (name@example.com).")
    return email


def birth_date_of(text: str, today: date) -> str:
    """``YYYY-MM-DD`` of a real, past date; raises :class:`EnrolmentError`."""
    try:
        born = date.fromisoformat(text.strip())
    except ValueError:
        raise EnrolmentError("birth_date", "Give the birth date as YYYY-MM-DD.") from None
    if born > today:
        raise EnrolmentError("birth_date", "The birth date is in the future.")
    if born.year < OLDEST_BIRTH_YEAR:
        raise EnrolmentError("birth_date", f"The birth date is before {OLDEST_BIRTH_YEAR}.")
    return born.isoformat()


@dataclass(frozen=True)
class Enrolment:
    """A member's details and consent as the ``enrol`` event records them."""

    name: str
    phone: str = ""
    email: str = ""
    birth_date: str = ""
    privacy_accepted_at: str = ""
    """When the member accepted the privacy terms (ISO 8601 with offset)."""
    marketing: bool = False
    """Whether the member agreed to marketing messages."""

    @classmethod
    def checked(
        cls,
        *,
        name: str,
        phone: str,
        email: str,
        birth_date: str,
        privacy_accepted: bool,
        marketing: bool,
        at: str,
        today: date,
    ) -> Enrolment:
        """The enrolment from a form's text; the first thing wrong raises
        :class:`EnrolmentError` naming its field. A phone or an e-mail is needed (to
        find the member again), the privacy terms must be accepted."""
        clean = " ".join(name.split())
        if not clean:
            raise EnrolmentError("name", "Give the member's name.")
        if len(clean) > NAME_LENGTH:
            raise EnrolmentError("name", f"The name is longer than {NAME_LENGTH} characters.")
        if any(ord(c) < 32 for c in clean):
            raise EnrolmentError("name", "The name holds a control character.")
        if not phone.strip() and not email.strip():
            raise EnrolmentError("phone", "Give a phone number or an e-mail address.")
        if not privacy_accepted:
            raise EnrolmentError("privacy", "The member must accept the privacy terms to join.")
        return cls(
            name=clean,
            phone=normal_phone(phone) if phone.strip() else "",
            email=normal_email(email) if email.strip() else "",
            birth_date=birth_date_of(birth_date, today) if birth_date.strip() else "",
            privacy_accepted_at=at,
            marketing=marketing,
        )

    def to_json(self) -> dict[str, Any]:
        """The ``enrolment`` field (empty parts left out)."""
        data: dict[str, Any] = {
            "name": self.name,
            "privacy_accepted_at": self.privacy_accepted_at,
            "marketing": self.marketing,
        }
        for key in ("phone", "email", "birth_date"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Enrolment:
        return cls(
            name=str(data["name"]),
            phone=str(data.get("phone", "")),
            email=str(data.get("email", "")),
            birth_date=str(data.get("birth_date", "")),
            privacy_accepted_at=str(data["privacy_accepted_at"]),
            marketing=bool(data["marketing"]),
        )


def enrolment_problem(value: Any) -> str | None:
    """What is wrong with an ``enrolment`` field as the wire carries it, or None
    (the birth date is checked against the event's business day by the ledger)."""
    keys = {"name", "privacy_accepted_at", "marketing"}
    if not isinstance(value, dict) or not keys <= set(value) <= keys | {
        "phone",
        "email",
        "birth_date",
    }:
        return (
            "must be an object with name, privacy_accepted_at, marketing "
            "(and phone, email, birth_date)"
        )
    if not isinstance(value["name"], str) or not 0 < len(value["name"]) <= NAME_LENGTH:
        return f"name must be 1 to {NAME_LENGTH} characters"
    if not isinstance(value["marketing"], bool):
        return "marketing must be true or false"
    if not isinstance(value["privacy_accepted_at"], str) or not value["privacy_accepted_at"]:
        return "privacy_accepted_at must be the time the terms were accepted"
    if "phone" not in value and "email" not in value:
        return "needs a phone or an email"
    try:
        if "phone" in value and normal_phone(str(value["phone"])) != value["phone"]:
            return "phone must be + and digits"
        if "email" in value and normal_email(str(value["email"])) != value["email"]:
            return "email must be in lower case without spaces"
        if "birth_date" in value:
            date.fromisoformat(str(value["birth_date"]))
    except EnrolmentError as error:
        return f"{error.field}: {error}"
    except ValueError:
        return "birth_date must be YYYY-MM-DD"
    return None

"""Staff, roles and PINs: what a till needs to check a person offline.

Staff are managed at the ledger and reach every till in the changes feed. A PIN is
never stored or sent in clear: the ledger keeps a salted scrypt hash
(:func:`hash_pin`) and a till checks a typed PIN against it (:func:`pin_matches`),
offline. scrypt is memory-hard and slow on purpose (about 50 ms per check here), so
a copied staff table costs an attacker that much per guess; PINs are short, so the
lockout (:data:`LOCKOUT_TRIES` failures lock a person out at a till for
:data:`LOCKOUT_MINUTES`) is what protects them at the till itself.

The hash format is ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``: the parameters
travel with the hash, so they can be raised later without breaking existing PINs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Final, Literal

from loyalty.errors import LoyaltyError

Role = Literal["cashier", "manager"]
ROLES: Final[frozenset[str]] = frozenset({"cashier", "manager"})
"""A cashier sells; a manager also approves and works in manager mode."""

APPROVAL_ACTIONS: Final[frozenset[str]] = frozenset(
    {"adjust", "replace_card", "refund", "redeem", "close_day"}
)
"""What a manager may approve at a till (the ``action`` of an event's ``approval``)."""

LOCKOUT_TRIES: Final = 10
"""Failed PIN attempts in a row that lock a person out at one till."""
LOCKOUT_MINUTES: Final = 30
"""How long the lockout lasts."""

PIN_DIGITS: Final = (4, 8)
"""A PIN has 4 to 8 digits."""
_PIN: Final = re.compile(r"^[0-9]{4,8}$")
STAFF_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
"""A staff number: what events name as their ``operator``."""

_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_HASH_BYTES = 32


class StaffError(LoyaltyError):
    """A staff record or PIN that cannot be used; the message says why."""


def check_pin(pin: str) -> str:
    """``pin`` if it is 4 to 8 digits, else :class:`StaffError`."""
    if not _PIN.match(pin):
        raise StaffError(f"A PIN has {PIN_DIGITS[0]} to {PIN_DIGITS[1]} digits.")
    return pin


def check_staff_id(staff_id: str) -> str:
    if not STAFF_ID.match(staff_id):
        raise StaffError(
            f"{staff_id!r} is not a usable staff number: 1-40 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit."
        )
    return staff_id


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise StaffError(f"The role must be one of {', '.join(sorted(ROLES))}, not {role!r}.")
    return role  # type: ignore[return-value]


def new_pin(digits: int = 6) -> str:
    """A random PIN of ``digits`` digits (shown once to the person it is for)."""
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """The stored form of ``pin``: salted scrypt, parameters included."""
    check_pin(pin)
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(pin, salt, _N, _R, _P)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def pin_matches(stored: str, pin: str) -> bool:
    """True when ``pin`` is the PIN ``stored`` was made from (constant-time compare).

    A malformed stored hash or a PIN that is not 4-8 digits never matches."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not _PIN.match(pin):
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, expected = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:
        return False
    if not (2 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16) or not expected:
        return False
    return hmac.compare_digest(_scrypt(pin, salt, n, r, p, len(expected)), expected)


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int, length: int = _HASH_BYTES) -> bytes:
    return hashlib.scrypt(
        pin.encode("ascii"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20, dklen=length
    )


@dataclass(frozen=True)
class StaffMember:
    """One person who may sign in at a till, as the feed carries them."""

    staff_id: str
    name: str
    role: Role
    pin_hash: str
    badge: str = ""
    """The code on their badge (scanned to sign in); empty when they have none."""
    stores: tuple[str, ...] = field(default_factory=tuple)
    """The stores they work in; empty: every store."""
    active: bool = True
    """False once disabled at the ledger: they can no longer sign in anywhere."""

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    def works_at(self, store: str) -> bool:
        return not self.stores or store in self.stores

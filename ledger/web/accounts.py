"""Web accounts: who signs in to the ledger's pages at ``/admin/``, and how.

Two roles: ``head_office`` sees and does everything; ``store_manager`` sees the
members, terminals, anomalies and day of their own stores only (:class:`Person`).
Passwords are kept only as Argon2id hashes (argon2-cffi's defaults, RFC 9106's
second recommended option); a head-office account may add a TOTP second factor
(RFC 6238, 30-second steps, one step of drift either way).

Lockout: after :data:`MAX_FAILURES` failed sign-ins in a row the account refuses
every sign-in, right or wrong, for :data:`LOCKOUT_MINUTES` minutes; a good sign-in
resets the count. The refusal never says whether the login exists or which part
was wrong, so the page cannot be used to find logins or guess a password against
a known one. Input errors are :class:`ledger.errors.AdminError` and change nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ledger.db import Tx
from ledger.errors import AdminError
from loyalty.events import utc_now_iso

HEAD_OFFICE: Final = "head_office"
STORE_MANAGER: Final = "store_manager"
ROLES: Final = (HEAD_OFFICE, STORE_MANAGER)
MIN_PASSWORD = 12
MAX_PASSWORD = 256
MAX_FAILURES = 5
LOCKOUT_MINUTES = 15
LOGIN_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("a password no account has")
_COLUMNS = (
    "login, name, role, stores, password_hash, totp_secret, failed_sign_ins, locked_until, active"
)


@dataclass(frozen=True)
class Person:
    """A signed-in person, as every page sees them."""

    login: str
    name: str
    role: str
    stores: frozenset[str]

    @property
    def head_office(self) -> bool:
        return self.role == HEAD_OFFICE

    @property
    def actor(self) -> str:
        """How the audit log and events name them: ``web:<login>``."""
        return f"web:{self.login}"

    def may_see_store(self, store: str) -> bool:
        return self.head_office or store in self.stores

    def may_see_any(self, stores: Sequence[str] | frozenset[str]) -> bool:
        """Head office, or a store manager with one of ``stores`` in their scope."""
        return self.head_office or bool(self.stores.intersection(stores))


@dataclass(frozen=True)
class Account:
    person: Person
    password_hash: str
    totp_secret: str | None
    failed_sign_ins: int
    locked_until: str | None
    active: bool


class SignInRefused(Exception):
    """Why a sign-in failed, in words that give nothing away."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


WRONG: Final = "The login, password or code is not right."
LOCKED: Final = (
    f"Too many failed sign-ins: this account is locked for {LOCKOUT_MINUTES} minutes. "
    "Ask head office to unlock it sooner."
)


def check_login(login: str) -> str:
    if not LOGIN_PATTERN.fullmatch(login):
        raise AdminError(
            "A login is 2 to 40 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return login


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AdminError(f"A password is {MIN_PASSWORD} to {MAX_PASSWORD} characters.")
    if password.strip() != password:
        raise AdminError("A password may not begin or end with a space.")
    return password


def _check_role_and_stores(role: str, stores: Sequence[str]) -> list[str]:
    if role not in ROLES:
        raise AdminError(f"A role is one of {', '.join(ROLES)}, not {role!r}.")
    clean = sorted({s.strip() for s in stores if s.strip()})
    if any(len(s) > 40 for s in clean):
        raise AdminError("A store is 1 to 40 characters.")
    if role == STORE_MANAGER and not clean:
        raise AdminError("A store manager needs at least one store (--store).")
    if role == HEAD_OFFICE and clean:
        raise AdminError("Head office sees every store; give no --store.")
    return clean


def add_account(
    tx: Tx, login: str, *, name: str, role: str, password: str, stores: Sequence[str] = ()
) -> Person:
    """A new account; :class:`AdminError` when the login is taken or input is bad."""
    check_login(login)
    check_password(password)
    clean_stores = _check_role_and_stores(role, stores)
    clean_name = " ".join(name.split())
    if not 1 <= len(clean_name) <= 100:
        raise AdminError("The name must be 1 to 100 characters.")
    if tx.one("SELECT 1 FROM web_accounts WHERE login = ?", (login,)):
        raise AdminError(f"There is already a web account {login!r}.")
    now = utc_now_iso()
    tx.execute(
        f"INSERT INTO web_accounts ({_COLUMNS}, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, NULL, 0, NULL, 1, ?, ?)",
        (login, clean_name, role, json.dumps(clean_stores), _HASHER.hash(password), now, now),
    )
    return Person(login, clean_name, role, frozenset(clean_stores))


def account(tx: Tx, login: str) -> Account | None:
    row = tx.one(f"SELECT {_COLUMNS} FROM web_accounts WHERE login = ?", (login,))
    if row is None:
        return None
    person = Person(str(row[0]), str(row[1]), str(row[2]), frozenset(json.loads(str(row[3]))))
    return Account(
        person,
        str(row[4]),
        None if row[5] is None else str(row[5]),
        int(row[6]),
        None if row[7] is None else str(row[7]),
        bool(row[8]),
    )


def accounts(tx: Tx) -> list[Account]:
    rows = tx.query("SELECT login FROM web_accounts ORDER BY login")
    found = [account(tx, str(r[0])) for r in rows]
    return [a for a in found if a is not None]


def _required(tx: Tx, login: str) -> Account:
    found = account(tx, login)
    if found is None:
        raise AdminError(f"There is no web account {login!r} (pos-ledger web-account list).")
    return found


def set_password(tx: Tx, login: str, password: str) -> None:
    """A new password; unlocks the account and ends its sessions."""
    _required(tx, login)
    check_password(password)
    tx.execute(
        "UPDATE web_accounts SET password_hash = ?, failed_sign_ins = 0, locked_until = NULL, "
        "updated_at = ? WHERE login = ?",
        (_HASHER.hash(password), utc_now_iso(), login),
    )
    tx.execute("DELETE FROM web_sessions WHERE login = ?", (login,))


def set_active(tx: Tx, login: str, active: bool) -> None:
    """Disable (ending every session) or enable an account."""
    _required(tx, login)
    tx.execute(
        "UPDATE web_accounts SET active = ?, updated_at = ? WHERE login = ?",
        (int(active), utc_now_iso(), login),
    )
    if not active:
        tx.execute("DELETE FROM web_sessions WHERE login = ?", (login,))


def unlock(tx: Tx, login: str) -> None:
    _required(tx, login)
    tx.execute(
        "UPDATE web_accounts SET failed_sign_ins = 0, locked_until = NULL, updated_at = ? "
        "WHERE login = ?",
        (utc_now_iso(), login),
    )


def enable_totp(tx: Tx, login: str) -> str:
    """Give a head-office account a new TOTP secret; the ``otpauth://`` address to
    show once (as text or a QR code) for the person's authenticator app."""
    found = _required(tx, login)
    if not found.person.head_office:
        raise AdminError("A second factor is for head-office accounts.")
    secret = pyotp.random_base32()
    tx.execute(
        "UPDATE web_accounts SET totp_secret = ?, updated_at = ? WHERE login = ?",
        (secret, utc_now_iso(), login),
    )
    return pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name="Loyalty ledger")


def sign_in(tx: Tx, login: str, password: str, code: str, now: datetime) -> Person:
    """The person, when ``login``, ``password`` and (if they use one) the TOTP ``code``
    are right and the account is active and not locked; else :class:`SignInRefused`,
    after counting the failure (the caller commits it either way)."""
    found = account(tx, login) if LOGIN_PATTERN.fullmatch(login) else None
    if found is None:
        _verify(_DUMMY_HASH, password)  # the same work as for a real login
        raise SignInRefused(WRONG)
    if found.locked_until is not None and found.locked_until > stamp(now):
        raise SignInRefused(LOCKED)
    right = _verify(found.password_hash, password) and found.active
    if right and found.totp_secret is not None:
        right = pyotp.TOTP(found.totp_secret).verify(code.strip(), for_time=now, valid_window=1)
    if not right:
        failures = found.failed_sign_ins + 1
        locked = (
            stamp(now + timedelta(minutes=LOCKOUT_MINUTES)) if failures >= MAX_FAILURES else None
        )
        tx.execute(
            "UPDATE web_accounts SET failed_sign_ins = ?, locked_until = ? WHERE login = ?",
            (0 if locked else failures, locked, login),
        )
        raise SignInRefused(LOCKED if locked else WRONG)
    if found.failed_sign_ins or found.locked_until:
        tx.execute(
            "UPDATE web_accounts SET failed_sign_ins = 0, locked_until = NULL WHERE login = ?",
            (login,),
        )
    return found.person


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_HASHER.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def stamp(moment: datetime) -> str:
    """UTC, to the second, in the one form stored here, so stored times compare as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

"""Who works the till: signing in, a manager's approval, and manager mode.

:class:`Staffing` is the part of :class:`pos_client.till.Till` that knows the
people. Staff reach the till in the ledger's changes feed
(:mod:`pos_client.store.staff`), so every check here works offline:

- A till that knows at least one active staff member of its store needs someone
  signed in (:attr:`Staffing.needs_sign_in`) and records nothing until then
  (:class:`NotSignedIn`). A till that knows no staff of its store works as before
  staff existed: ``[till] operator`` names the operator.
- Signing in takes a staff number or a scanned badge code and a PIN. Every event
  names the signed-in person as its operator; in manager mode, the manager.
- :data:`~loyalty.staff.LOCKOUT_TRIES` wrong PINs in a row for one person at this
  till lock them out here for :data:`~loyalty.staff.LOCKOUT_MINUTES` (counted on
  disk, so a restart changes nothing); a right PIN starts the count again; during
  a lockout even the right PIN is refused, and not checked.
- A manager approves one action with their PIN (:meth:`Staffing.approve`), or opens
  manager mode with it, after which the manager on duty approves
  (:meth:`Staffing.manager_approval`). A cashier's number there is refused
  (:class:`NotAManager`) before any PIN is checked: nothing counts against them.

A typed PIN is only ever handed to :func:`loyalty.staff.pin_matches`: it is never
stored, logged or put in a message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loyalty.programme import ProgrammeVersion
from loyalty.programme.approvals import ACTION_WORDS
from loyalty.staff import (
    APPROVAL_ACTIONS,
    LOCKOUT_MINUTES,
    LOCKOUT_TRIES,
    StaffError,
    StaffMember,
    check_pin,
    pin_matches,
)
from pos_client.approvals import Approval, approval_fields
from pos_client.errors import LockedOut, NotAManager, NotSignedIn, UnknownStaff, WrongPin
from pos_client.store.staff import StaffStore
from pos_client.store.transaction import read_transaction

if TYPE_CHECKING:
    from pos_client.config import TillConfig
    from pos_client.store import LocalStore


@dataclass(frozen=True)
class StaffView:
    """A person as the screens show them (never their PIN hash)."""

    staff_id: str
    name: str
    role: str
    """``cashier`` or ``manager``."""

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    @classmethod
    def of(cls, member: StaffMember) -> StaffView:
        return cls(member.staff_id, member.name, member.role)


class Staffing:
    """Sign-in, approvals and manager mode of the Till (see the module doc)."""

    config: TillConfig
    store: LocalStore
    clock: Callable[[], datetime]
    _lock: threading.RLock

    _signed_in: StaffView | None = None
    _manager: StaffView | None = None
    _configured_operator: str | None = None

    if TYPE_CHECKING:

        def version(self, at: datetime | None = None) -> ProgrammeVersion: ...

    # --- who is at the till --------------------------------------------------------

    @property
    def operator(self) -> str | None:
        """Who every event names: the manager on duty in manager mode, else the person
        signed in; on a till that knows no staff of its store, ``[till] operator``.

        Raises :class:`NotSignedIn` when the till needs a sign-in, so nothing can be
        recorded without an operator."""
        on_duty = self._manager or self._signed_in
        if on_duty is not None:
            return on_duty.staff_id
        if self._knows_staff():
            raise NotSignedIn(
                "Nobody is signed in at this till: sign in with your staff number or badge "
                "and your PIN."
            )
        return self._configured_operator

    @operator.setter
    def operator(self, value: str | None) -> None:
        """The operator of a till that knows no staff (``[till] operator``)."""
        self._configured_operator = value

    @property
    def needs_sign_in(self) -> bool:
        """True when this till knows an active staff member of its store and nobody is
        signed in (the sign-in screen shows)."""
        return self._signed_in is None and self._knows_staff()

    @property
    def signed_in(self) -> StaffView | None:
        """The person signed in. Someone disabled at the ledger while signed in stays
        signed in until they sign out (their shift is not cut short mid-sale); they
        cannot sign in or approve again."""
        return self._signed_in

    @property
    def manager_on_duty(self) -> StaffView | None:
        """The manager whose PIN opened manager mode, until it is left."""
        return self._manager

    @property
    def config_warnings(self) -> tuple[str, ...]:
        """What is unsafe about the configuration (a token readable by others), for the
        screen to show; :attr:`pos_client.config.TillConfig.warnings`."""
        return self.config.warnings

    def staff_list(self) -> list[StaffView]:
        """The active staff of this store, by staff number."""
        found = self._staff.working_at(self.config.store_id)
        return [StaffView.of(m) for m in found]

    # --- signing in and out --------------------------------------------------------

    def sign_in(self, who: str, pin: str) -> StaffView:
        """Sign in the person whose staff number or badge code is ``who``; every later
        event names them. Leaves manager mode. Raises UnknownStaff (no such active
        person at this store), WrongPin (with the tries left) or LockedOut."""
        person = StaffView.of(self._check(self._identify(who), pin))
        with self._lock:
            self._signed_in = person
            self._manager = None
        return person

    def sign_out(self) -> None:
        """End the shift at this till (and manager mode)."""
        with self._lock:
            self._signed_in = None
            self._manager = None

    # --- a manager's approval and manager mode -------------------------------------

    def approval_needed(self, action: str, amount: int) -> bool:
        """Whether ``action`` of ``amount`` needs a manager under the version in force."""
        return self.version().programme.approvals.needed(action, amount)

    def approve(self, who: str, pin: str, action: str, amount: int) -> Approval:
        """A manager's approval of one ``action`` of up to ``amount``, with their PIN.
        Raises as :meth:`sign_in`, and NotAManager for a cashier. Nothing is recorded
        here: the approval goes into the event it is given to."""
        if action not in APPROVAL_ACTIONS or amount < 0:
            raise ValueError(f"cannot approve {action!r} of {amount}")
        manager = self._manager_for(who, pin, ACTION_WORDS[action])
        return Approval(manager.staff_id, action, amount)

    def enter_manager(self, who: str, pin: str) -> StaffView:
        """Open manager mode with a manager's PIN (the cashier stays signed in and is
        back when it is left). Raises as :meth:`approve`."""
        manager = StaffView.of(self._manager_for(who, pin, "manager mode"))
        with self._lock:
            self._manager = manager
        return manager

    def leave_manager(self) -> None:
        """Back to the cashier signed in (the screen calls this after an idle time)."""
        with self._lock:
            self._manager = None

    def manager_approval(self, action: str, amount: int) -> Approval | None:
        """The manager on duty's approval of ``action`` of ``amount``; None when the
        programme in force needs none. Raises NotAManager outside manager mode when
        one is needed."""
        if not self.approval_needed(action, amount):
            return None
        manager = self._manager
        if manager is None:
            raise NotAManager(
                f"{ACTION_WORDS[action].capitalize()} needs a manager: open manager mode first."
            )
        return Approval(manager.staff_id, action, amount)

    def _approval(
        self,
        action: str,
        amount: int,
        approval: Approval | None,
        *named: ProgrammeVersion | None,
    ) -> dict[str, Any]:
        """The ``approval`` field of an event of ``action`` and ``amount``: raises
        ApprovalRequired, before anything is recorded, when the version in force or the
        version the event names (``named``; the ledger checks under that one) needs an
        approval that ``approval`` does not give."""
        fields: dict[str, Any] = {}
        for version in (self.version(), *named):
            if version is not None:
                fields = approval_fields(version.programme.approvals, action, amount, approval)
        return fields

    # --- checking a person ---------------------------------------------------------

    @property
    def _staff(self) -> StaffStore:
        return StaffStore(self.store.conn)

    def _knows_staff(self) -> bool:
        return bool(self._staff.working_at(self.config.store_id))

    def _identify(self, who: str) -> StaffMember:
        """The active person of this store with staff number or badge ``who``."""
        who = who.strip()
        if not who:
            raise UnknownStaff("Type your staff number or scan your badge.")
        person = self._staff.find(who)
        if person is None:
            raise UnknownStaff(f"{who} is not a staff number or badge this till knows.")
        if not person.active:
            raise UnknownStaff(
                f"{person.name} ({person.staff_id}) can no longer sign in: disabled at the "
                "head office."
            )
        if not person.works_at(self.config.store_id):
            raise UnknownStaff(
                f"{person.name} ({person.staff_id}) does not work at this store "
                f"({self.config.store_id})."
            )
        return person

    def _manager_for(self, who: str, pin: str, what: str) -> StaffMember:
        person = self._identify(who)
        if not person.is_manager:
            raise NotAManager(f"{person.name} is a cashier: {what} needs a manager's PIN.")
        return self._check(person, pin)

    def _check(self, person: StaffMember, pin: str) -> StaffMember:
        """``person`` if ``pin`` is theirs and they are not locked out here; else a
        WrongPin (counted) or LockedOut (not counted, the PIN not even checked)."""
        now = self.clock()
        staff = self._staff
        with read_transaction(self.store.conn):
            until = staff.locked_until(person.staff_id, now)
            tries_left = LOCKOUT_TRIES - staff.failures(person.staff_id)
        if until is not None:
            raise _locked(person, until, now)
        try:
            check_pin(pin)
        except StaffError as error:  # not a PIN at all: a slip, not a guess
            raise WrongPin(error.message, tries_left) from None
        if pin_matches(person.pin_hash, pin):  # ~50 ms: outside every lock
            staff.succeed(person.staff_id)
            return person
        failed = staff.fail(person.staff_id, now)
        if failed.locked_until is not None:
            raise _locked(person, failed.locked_until, now)
        tries = "try" if failed.tries_left == 1 else "tries"
        raise WrongPin(
            f"Wrong PIN for {person.name}: {failed.tries_left} {tries} left before a "
            f"{LOCKOUT_MINUTES}-minute lockout at this till.",
            failed.tries_left,
        )


def _locked(person: StaffMember, until: datetime, now: datetime) -> LockedOut:
    local = until.astimezone(now.tzinfo)
    return LockedOut(
        f"Too many wrong PINs: {person.name} is locked out at this till until "
        f"{local:%H:%M}. Ask a manager, or wait.",
        local.isoformat(timespec="seconds"),
    )

"""A real ledger and real tills, and the checks every sync test makes against them.

:class:`LedgerUnderTest` reads the ledger's own database (SQLite or PostgreSQL) to
see exactly what it holds; :class:`TillRig` opens a real :class:`~pos_client.till.Till`
on its own data directory, linked to the ledger over loopback HTTP.

The checks:

* :func:`assert_ledger_holds_journal_once`: the ledger's events of a terminal are
  exactly the till's journal (same ids, order and content), each once;
* :func:`assert_shown_is_honest`: the balance the till shows is the ledger's balance
  plus the till's events the ledger does not hold (guarantee 4), so an event is never
  counted twice, not even between a lost answer and the next sync.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from ledger.cli import open_ledger
from ledger.db import Database
from ledger.members import member_by_card
from ledger.terminals import revoke_terminal
from loyalty.events import Event
from pos_client.config import LedgerConfig, MemberQrConfig, TillConfig
from pos_client.ledger_link import LedgerLink
from pos_client.till import Till
from sync.errors import SyncError
from sync.protocol import MemberState
from tests.integration.ledger.support import (
    LedgerHandle,
    fresh_terminal_name,
    import_new_members,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
MAX_SYNC_RUNS = 25


@dataclass(frozen=True)
class LedgerEvent:
    event_id: str
    terminal_id: str
    seq: int
    card: str
    points: int
    hash: str


def _points(postings: str) -> int:
    return int(json.loads(postings).get("points", 0))


class LedgerUnderTest:
    """A running ledger server and a connection to its database for inspection."""

    def __init__(self, handle: LedgerHandle, work_dir: Path) -> None:
        self.handle = handle
        self.url = handle.url
        self.db_url = handle.db_url
        self.work_dir = work_dir
        self.db: Database = open_ledger(handle.db_url)[0]

    def close(self) -> None:
        self.db.close()

    # --- administration ----------------------------------------------------------

    def add_terminal(self, prefix: str = "T") -> tuple[str, str]:
        """A new terminal: (terminal id, bearer token)."""
        name = fresh_terminal_name(prefix)
        return name, self.handle.add_terminal(name)

    def revoke(self, terminal_id: str) -> None:
        with self.db.write() as tx:
            revoke_terminal(tx, terminal_id)

    def add_members(self, *balances: int) -> list[str]:
        """Import one new member per opening balance; return their cards."""
        return import_new_members(self.db, self.work_dir, balances)

    def verify_cli(self) -> subprocess.CompletedProcess[str]:
        """``pos-ledger verify`` as an operator runs it."""
        return subprocess.run(
            [sys.executable, "-m", "ledger.cli", "verify", "--db", self.db_url],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    # --- reading -----------------------------------------------------------------

    def events(self, terminal_id: str) -> list[LedgerEvent]:
        """The terminal's applied events in sequence order."""
        with self.db.snapshot() as tx:
            rows = tx.query(
                "SELECT event_id, terminal_id, seq, card, postings, hash FROM events "
                "WHERE terminal_id = ? ORDER BY seq",
                (terminal_id,),
            )
        return [
            LedgerEvent(str(r[0]), str(r[1]), int(r[2]), str(r[3]), _points(r[4]), str(r[5]))
            for r in rows
        ]

    def events_of_cards(self, cards: Iterable[str]) -> list[LedgerEvent]:
        cards = list(cards)
        with self.db.snapshot() as tx:
            condition, params = tx.in_list("card", cards)
            rows = tx.query(
                "SELECT event_id, terminal_id, seq, card, postings, hash FROM events "
                f"WHERE {condition} ORDER BY ledger_seq",
                params,
            )
        return [
            LedgerEvent(str(r[0]), str(r[1]), int(r[2]), str(r[3]), _points(r[4]), str(r[5]))
            for r in rows
        ]

    def repeated_event_ids(self) -> list[str]:
        """Event ids stored more than once, or a terminal's seq stored twice (never)."""
        with self.db.snapshot() as tx:
            ids = tx.query("SELECT event_id FROM events GROUP BY event_id HAVING COUNT(*) > 1")
            seqs = tx.query(
                "SELECT terminal_id, seq FROM events GROUP BY terminal_id, seq HAVING COUNT(*) > 1"
            )
        return [str(r[0]) for r in ids] + [f"{r[0]}#{r[1]}" for r in seqs]

    def member(self, card: str) -> MemberState:
        with self.db.snapshot() as tx:
            state = member_by_card(tx, card)
        assert state is not None, f"the ledger has no member with card {card}"
        return state

    def balance(self, card: str) -> int:
        return self.member(card).balance

    def cards_of(self, card: str) -> set[str]:
        """Every card of the member who has ``card`` now: it and those revoked."""
        member_id = self.member(card).member_id
        with self.db.snapshot() as tx:
            rows = tx.query("SELECT card FROM revoked_cards WHERE member_id = ?", (member_id,))
        return {card, *(str(r[0]) for r in rows)}

    def opening_balance(self, card: str) -> int:
        with self.db.snapshot() as tx:
            row = tx.one("SELECT opening_balance FROM members WHERE card = ?", (card,))
        assert row is not None
        return int(row[0])

    def high_water(self, terminal_id: str) -> int:
        with self.db.snapshot() as tx:
            row = tx.one(
                "SELECT high_water FROM terminal_state WHERE terminal_id = ?", (terminal_id,)
            )
        return 0 if row is None else int(row[0])


class TillRig:
    """One till on its own data directory, linked to the ledger under test."""

    def __init__(
        self,
        ledger: LedgerUnderTest,
        data_dir: Path,
        terminal_id: str,
        token: str,
        url: str | None = None,
        batch_size: int = 500,
        timeout: float = 10.0,
        member_qr_root: str = "",
    ) -> None:
        self.ledger = ledger
        self.config = TillConfig(
            terminal_id=terminal_id,
            data_dir=data_dir,
            member_qr=MemberQrConfig(root_key=member_qr_root),
            ledger=LedgerConfig(
                url=url or ledger.url,
                token=token,
                sync_interval=3600.0,
                timeout=timeout,
                lookup_timeout=timeout,
                batch_size=batch_size,
            ),
        )
        self.till: Till = Till.open(self.config)

    @classmethod
    def new(cls, ledger: LedgerUnderTest, parent_dir: Path, **options: object) -> TillRig:
        """A till for a terminal newly added to the ledger."""
        terminal_id, token = ledger.add_terminal()
        data_dir = Path(tempfile.mkdtemp(prefix="till-", dir=parent_dir))
        return cls(ledger, data_dir, terminal_id, token, **options)  # type: ignore[arg-type]

    @property
    def terminal_id(self) -> str:
        return self.config.terminal_id

    @property
    def link(self) -> LedgerLink:
        assert self.till.link is not None
        return self.till.link

    def reopen(self, **ledger_changes: object) -> None:
        """Close the till and open it again from its files (a restart)."""
        self.till.close()
        if ledger_changes:
            self.config = replace(self.config, ledger=replace(self.config.ledger, **ledger_changes))
        self.till = Till.open(self.config)

    def close(self) -> None:
        self.till.close()

    # --- actions -----------------------------------------------------------------

    def earn(self, card: str, amount: str) -> Event:
        self.till.scan(card)
        return self._event(self.till.earn(amount).event_id)

    def redeem(self, card: str, points: int) -> Event:
        self.till.scan(card)
        return self._event(self.till.redeem(points).event_id)

    def _event(self, event_id: str) -> Event:
        found = [e for e in self.journal() if e.event_id == event_id]
        assert len(found) == 1
        return found[0]

    def sync(self) -> bool:
        """One sync; True when it succeeded (a failure is recorded in the status)."""
        try:
            self.link.sync_now()
        except SyncError:
            return False
        return True

    def sync_until_settled(self, max_runs: int = MAX_SYNC_RUNS) -> int:
        """Sync until a run succeeds with nothing pending; return the runs it took."""
        for run in range(1, max_runs + 1):
            if self.sync() and self.link.status.pending == 0:
                return run
        raise AssertionError(
            f"{self.terminal_id} still has {self.link.status.pending} pending events after "
            f"{max_runs} syncs: {self.link.status}"
        )

    # --- reading -----------------------------------------------------------------

    def journal(self) -> list[Event]:
        return list(self.till.store.journal.iterate())

    def shown(self, card: str) -> int:
        return self.till.lookup(card).balance

    def confirmed(self, card: str) -> int:
        return self.till.lookup(card).confirmed_points

    def pending(self) -> int:
        return self.link.status.pending


def assert_ledger_holds_journal_once(ledger: LedgerUnderTest, rig: TillRig) -> None:
    """The ledger holds exactly the till's journal, in order, each event once."""
    held = ledger.events(rig.terminal_id)
    journal = rig.journal()
    assert [(e.event_id, e.seq, e.card, e.points, e.hash) for e in held] == [
        (e.event_id, e.seq, e.card, e.postings.get("points", 0), e.hash) for e in journal
    ]
    assert ledger.high_water(rig.terminal_id) == len(journal)
    assert ledger.repeated_event_ids() == []


def not_at_ledger(ledger: LedgerUnderTest, rig: TillRig) -> list[Event]:
    """The till's journal events the ledger does not hold yet."""
    held = {e.event_id for e in ledger.events(rig.terminal_id)}
    return [e for e in rig.journal() if e.event_id not in held]


def assert_shown_is_honest(ledger: LedgerUnderTest, rig: TillRig, cards: Iterable[str]) -> None:
    """Shown = ledger balance + the till's events the ledger lacks, for the member of
    each (current) card, on any card the member ever had.

    Valid while no other terminal changes these members behind the till's back.
    """
    missing = not_at_ledger(ledger, rig)
    for card in cards:
        theirs = ledger.cards_of(card)
        expected = ledger.balance(card) + sum(
            e.postings.get("points", 0) for e in missing if e.card in theirs
        )
        assert rig.shown(card) == expected, (
            f"card {card}: the till shows {rig.shown(card)}, the ledger holds "
            f"{ledger.balance(card)} and {len(missing)} events are not there yet"
        )


def assert_in_agreement(ledger: LedgerUnderTest, rig: TillRig, cards: Iterable[str]) -> None:
    """After a full sync: nothing pending, the ledger holds the journal once, and the
    till's confirmed balances are the ledger's."""
    assert rig.pending() == 0
    assert_ledger_holds_journal_once(ledger, rig)
    for card in cards:
        view = rig.till.lookup(card)
        assert (view.confirmed_points, view.unconfirmed_points) == (ledger.balance(card), 0)


def assert_verify_passes(ledger: LedgerUnderTest) -> None:
    result = ledger.verify_cli()
    assert result.returncode == 0, result.stdout + result.stderr

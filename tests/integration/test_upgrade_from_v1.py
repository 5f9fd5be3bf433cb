"""Databases made by release 0.1.0 (event schema 1) open with the current code.

The till's journal and the ledger's database migrate in place; every v1 event keeps
its content and hash, verifies and counts once; balances are what they were; and the
upgraded till goes on recording schema 2 events after its v1 ones and syncs them
with the upgraded ledger. The fixtures in ``tests/fixtures/v1`` (see its README) are
only ever copied, never opened in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.cli import open_ledger
from ledger.db import connect
from ledger.members import member_by_card
from loyalty.cards import make_card_number
from loyalty.events import EventKind
from pos_client.config import TillConfig
from pos_client.errors import CardReplaced, RefundRefused
from pos_client.store.sync_side import StoreSyncSide
from pos_client.till import Till
from tests.integration.ledger.support import REPO_ROOT, database_url, run_admin, start_ledger
from tests.integration.ledger_answers import member_change, pull, revoked
from tests.integration.sync.rig import (
    LedgerUnderTest,
    TillRig,
    assert_in_agreement,
    assert_verify_passes,
)

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "v1"
TERMINAL = "V1-T1"
CARD_1, CARD_2, CARD_3 = "2900000001015", "2900000001022", "2900000001039"
CARDS = (CARD_1, CARD_2, CARD_3)
MEMBER_IDS = {CARD_1: "M000001", CARD_2: "M000002", CARD_3: "M000003"}

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def _digests() -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(FIXTURES.iterdir())
    }


@pytest.fixture(autouse=True)
def fixtures_stay_untouched() -> Iterator[None]:
    """Every test works on copies: the release 0.1.0 files are the same afterwards."""
    before = _digests()
    yield
    assert _digests() == before, "a test changed tests/fixtures/v1"


# --- the till -------------------------------------------------------------------------


@dataclass(frozen=True)
class V1Journal:
    """What release 0.1.0's till file held, read before the current code opens it."""

    events: list[tuple[int, str, str, str, int, str]]
    """(seq, event_id, kind, card, points, hash) in sequence order."""
    confirmed_seq: int
    confirmed: dict[str, int]
    """Ledger-confirmed points per card."""

    def shown(self) -> dict[str, int]:
        """Release 0.1.0's shown balance: confirmed + this till's unconfirmed events."""
        shown = dict(self.confirmed)
        for seq, _, _, card, points, _ in self.events:
            if seq > self.confirmed_seq:
                shown[card] = shown.get(card, 0) + points
        return shown


def _read_v1_till(path: Path) -> V1Journal:
    conn = sqlite3.connect(path)
    try:
        events = [
            (int(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), str(r[5]))
            for r in conn.execute(
                "SELECT seq, event_id, kind, card, points, hash FROM journal ORDER BY seq"
            )
        ]
        (confirmed_seq,) = conn.execute(
            "SELECT value FROM settings WHERE key = 'confirmed_seq'"
        ).fetchone()
        confirmed = dict(conn.execute("SELECT card, confirmed_points FROM members").fetchall())
    finally:
        conn.close()
    return V1Journal(events, int(confirmed_seq), confirmed)


@pytest.fixture
def v1_till_dir(tmp_path: Path) -> Path:
    """A till data directory holding a copy of release 0.1.0's ``till.sqlite``."""
    data_dir = tmp_path / "till"
    data_dir.mkdir()
    shutil.copyfile(FIXTURES / "till.sqlite", data_dir / "till.sqlite")
    return data_dir


@pytest.fixture
def v1_journal(v1_till_dir: Path, tmp_path: Path) -> V1Journal:
    """The copy's v1 content, read from a second copy so the till's file stays unopened."""
    scratch = tmp_path / "v1-read.sqlite"
    shutil.copyfile(v1_till_dir / "till.sqlite", scratch)
    return _read_v1_till(scratch)


@pytest.fixture
def offline_v1_till(v1_till_dir: Path) -> Iterator[Till]:
    """The v1 till file opened (and so migrated) by the current code, with no ledger."""
    till = Till.open(TillConfig(terminal_id=TERMINAL, data_dir=v1_till_dir))
    try:
        yield till
    finally:
        till.close()


def test_the_v1_till_journal_migrates_in_place_and_its_six_events_verify_unchanged(
    offline_v1_till: Till, v1_journal: V1Journal
) -> None:
    assert offline_v1_till.store.verify() == 6
    migrated = list(offline_v1_till.store.journal.iterate())
    assert [
        (e.seq, e.event_id, str(e.kind), e.card, e.postings.get("points", 0), e.hash)
        for e in migrated
    ] == v1_journal.events
    assert {e.schema for e in migrated} == {1}  # kept in their own form, hashes and all
    assert offline_v1_till.store.confirmed_seq == v1_journal.confirmed_seq == 4
    assert offline_v1_till.store.pending_count() == 2


def test_the_balances_an_upgraded_till_shows_are_those_release_0_1_0_showed(
    offline_v1_till: Till, v1_journal: V1Journal
) -> None:
    shown = {card: offline_v1_till.lookup(card).balance for card in CARDS}
    assert shown == v1_journal.shown() == {CARD_1: 700, CARD_2: 320, CARD_3: 125}
    confirmed = {card: offline_v1_till.lookup(card).confirmed_points for card in CARDS}
    assert confirmed == v1_journal.confirmed
    assert {card: offline_v1_till.lookup(card).member_id for card in CARDS} == MEMBER_IDS


def test_a_v1_event_pending_on_a_card_replaced_since_counts_once_under_the_new_card(
    offline_v1_till: Till, v1_journal: V1Journal
) -> None:
    """Release 0.1.0's events name only their card: they are the member's through the
    cards the member ever had."""
    store = offline_v1_till.store
    assert {store.members.card_state(card) for card in CARDS} == {"active"}
    new_card = make_card_number(1016)
    confirmed = v1_journal.confirmed[CARD_1]
    pull(
        StoreSyncSide(store),
        revoked(CARD_1, MEMBER_IDS[CARD_1], change=100),
        member_change(MEMBER_IDS[CARD_1], new_card, version=101, points=confirmed),
        high_water=v1_journal.confirmed_seq,
    )
    view = offline_v1_till.lookup(new_card)
    assert (view.confirmed_points, view.balance) == (confirmed, v1_journal.shown()[CARD_1])
    assert view.unconfirmed_points != 0  # event 6, a v1 redemption on CARD_1, pending
    with pytest.raises(CardReplaced):
        offline_v1_till.scan(CARD_1)


def test_the_upgraded_till_records_a_schema_2_sale_chained_after_its_v1_events(
    v1_till_dir: Path,
) -> None:
    config = TillConfig(terminal_id=TERMINAL, data_dir=v1_till_dir)
    till = Till.open(config)
    try:
        till.scan(CARD_2)
        till.add_amount("49.90", name="Coffee beans", tags=frozenset({"coffee"}))
        till.add_amount("10.00", name="Milk", tags=frozenset({"dairy"}))
        receipt = till.finish_sale()
        assert receipt.receipt_no == "V1-T1-000007"
        assert till.lookup(CARD_2).balance == 320 + 59
    finally:
        till.close()
    reopened = Till.open(config)  # the migration is not applied twice
    try:
        assert reopened.store.verify() == 7
        sixth, seventh = reopened.store.journal.get(6), reopened.store.journal.get(7)
        assert sixth is not None and seventh is not None
        assert (sixth.schema, seventh.schema) == (1, 2)
        assert seventh.kind is EventKind.SALE and seventh.prev_hash == sixth.hash
        assert seventh.member_id == "M000002"
        assert reopened.lookup(CARD_2).balance == 320 + 59
    finally:
        reopened.close()


def test_a_v1_earn_already_refunded_under_release_0_1_0_cannot_be_refunded_again(
    offline_v1_till: Till,
) -> None:
    # Event 4 of the fixture is release 0.1.0's refund of event 1.
    refunded_again = None
    with contextlib.suppress(RefundRefused):
        refunded_again = offline_v1_till.refund("V1-T1-000001")
    assert refunded_again is None, (
        f"receipt V1-T1-000001 was refunded a second time as {refunded_again.receipt_no}, "
        f"taking {refunded_again.postings} again"
    )


# --- the ledger -----------------------------------------------------------------------


@dataclass(frozen=True)
class V1Ledger:
    """A copy of release 0.1.0's ledger database on one backend, not yet migrated."""

    url: str
    token: str
    backend: str


@pytest.fixture(params=BACKENDS)
def v1_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[V1Ledger]:
    """SQLite: a copy of ``ledger.sqlite``. PostgreSQL (with POS_TEST_POSTGRES):
    ``ledger-postgres.sql`` loaded into a fresh schema, dropped afterwards."""
    backend = str(request.param)
    directory = tmp_path / f"ledger-{backend}"
    directory.mkdir()
    with database_url(backend, directory) as url:
        if backend == "sqlite":
            shutil.copyfile(FIXTURES / "ledger.sqlite", directory / "ledger.db")
            token = (FIXTURES / "sqlite-token.txt").read_text(encoding="utf-8").strip()
        else:
            import psycopg

            with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                conn.execute((FIXTURES / "ledger-postgres.sql").read_text(encoding="utf-8"))
            token = (FIXTURES / "postgres-token.txt").read_text(encoding="utf-8").strip()
        yield V1Ledger(url, token, backend)


def _v1_ledger_facts(url: str) -> tuple[str, dict[str, int], list[tuple[int, str]]]:
    """(ledger id, balance per card, [(seq, hash)]) from the v1 schema, read raw."""
    db = connect(url)
    try:
        with db.snapshot() as tx:
            ledger_id = str(tx.one("SELECT value FROM meta WHERE key = 'ledger_id'")[0])
            version = tx.one("SELECT value FROM meta WHERE key = 'schema_version'")
            assert version is not None and version[0] == "1", "not a release 0.1.0 database"
            balances = {str(c): int(b) for c, b in tx.query("SELECT card, balance FROM members")}
            events = [
                (int(s), str(h)) for s, h in tx.query("SELECT seq, hash FROM events ORDER BY seq")
            ]
    finally:
        db.close()
    return ledger_id, balances, events


def test_the_v1_ledger_migrates_in_place_verifies_and_keeps_every_balance(
    v1_ledger: V1Ledger,
) -> None:
    ledger_id, balances, events = _v1_ledger_facts(v1_ledger.url)
    assert balances == {CARD_1: 900, CARD_2: 320, CARD_3: 50}
    db, migrated_id = open_ledger(v1_ledger.url)
    try:
        assert migrated_id == ledger_id  # cursors the tills hold stay this ledger's
        with db.snapshot() as tx:
            after = {card: member_by_card(tx, card) for card in CARDS}
            stored = tx.query("SELECT seq, hash, document FROM events ORDER BY seq")
            version = tx.one("SELECT value FROM meta WHERE key = 'schema_version'")
            programmes = tx.query("SELECT version, effective_from FROM programme_versions")
        assert {card: state.balance for card, state in after.items() if state} == balances
        assert {card: state.member_id for card, state in after.items() if state} == MEMBER_IDS
        assert [(int(s), str(h)) for s, h, _ in stored] == events
        assert all("schema" not in json.loads(document) for _, _, document in stored)
        assert version is not None and int(version[0]) >= 2
        assert [(int(v), str(f)) for v, f in programmes] == [(1, "2000-01-01T00:00")]
    finally:
        db.close()

    verified = run_admin(v1_ledger.url, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Checked 3 members, 4 events, 1 terminals: all consistent." in verified.stdout
    # Opening it again migrates nothing more and changes nothing.
    assert open_ledger(v1_ledger.url)[1] == ledger_id
    assert _balances(v1_ledger.url) == balances


def _balances(url: str) -> dict[str, int]:
    db, _ = open_ledger(url)
    try:
        with db.snapshot() as tx:
            return {card: state.balance for card in CARDS if (state := member_by_card(tx, card))}
    finally:
        db.close()


# --- the upgraded till syncing with the upgraded ledger ---------------------------------


@pytest.fixture
def upgraded_pair(
    v1_ledger: V1Ledger, v1_till_dir: Path, tmp_path: Path
) -> Iterator[tuple[LedgerUnderTest, TillRig]]:
    """The upgraded ledger served by ``pos-ledger serve`` and the upgraded till linked
    to it with release 0.1.0's token; both stopped afterwards."""
    with start_ledger(v1_ledger.url, tmp_path) as handle:
        ledger = LedgerUnderTest(handle, tmp_path)
        try:
            rig = TillRig(ledger, v1_till_dir, TERMINAL, v1_ledger.token)
            try:
                yield ledger, rig
            finally:
                rig.close()
        finally:
            ledger.close()


def _findings(ledger: LedgerUnderTest) -> list[tuple[str, int, str]]:
    with ledger.db.snapshot() as tx:
        rows = tx.query(
            "SELECT kind, seq, detail FROM anomalies WHERE terminal_id = ? ORDER BY seq",
            (TERMINAL,),
        )
    return [(str(k), int(s), str(d)) for k, s, d in rows]


def test_the_upgraded_till_syncs_its_pending_v1_events_and_a_new_sale_exactly_once(
    upgraded_pair: tuple[LedgerUnderTest, TillRig],
) -> None:
    ledger, rig = upgraded_pair
    rig.till.scan(CARD_2)
    rig.till.add_amount("149.90", name="Jacket", tags=frozenset({"clothing"}))
    rig.till.add_amount("20.00", name="Socks")
    rig.till.finish_sale()  # event 7, recorded before the till ever hears of schema 2
    shown_before = {card: rig.shown(card) for card in CARDS}
    assert shown_before == {CARD_1: 700, CARD_2: 320 + 169, CARD_3: 125}

    rig.sync_until_settled()

    assert rig.link.status.parked == ()
    assert [e.seq for e in ledger.events(TERMINAL)] == [1, 2, 3, 4, 5, 6, 7]
    assert_in_agreement(ledger, rig, CARDS)  # each event once, confirmed == the ledger's
    assert {card: ledger.balance(card) for card in CARDS} == shown_before
    assert {card: rig.shown(card) for card in CARDS} == shown_before
    assert _findings(ledger) == []
    assert rig.till.store.verify() == 7
    assert_verify_passes(ledger)
    # The till now holds the ledger's programme version 1, the programme it already ran.
    assert rig.till.version().version == 1


def test_refunding_v1_earns_from_the_upgraded_till_is_accepted_with_no_finding(
    upgraded_pair: tuple[LedgerUnderTest, TillRig],
) -> None:
    ledger, rig = upgraded_pair
    # Event 5 (an earn of 75 points on 75.50) is not at the ledger yet: its refund goes
    # in the same batch as the earn it refers to.
    preview = rig.till.refund_preview("V1-T1-000005")
    assert (preview.postings, preview.refund_minor) == ({"points": -75}, 7550)
    rig.till.refund("V1-T1-000005")
    rig.sync_until_settled()
    # Event 2 (20 points on 20.00) was confirmed by release 0.1.0's sync.
    refund = rig.till.refund("V1-T1-000002")
    assert (refund.postings, refund.amount.minor) == ({"points": -20}, 2000)
    rig.sync_until_settled()

    assert rig.link.status.parked == ()
    assert [e.seq for e in ledger.events(TERMINAL)] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert _findings(ledger) == []
    assert {card: ledger.balance(card) for card in CARDS} == {
        CARD_1: 700,
        CARD_2: 300,
        CARD_3: 50,
    }
    assert_in_agreement(ledger, rig, CARDS)
    assert_verify_passes(ledger)
    with pytest.raises(RefundRefused):
        rig.till.refund("V1-T1-000005")  # refunded once, now at the ledger too

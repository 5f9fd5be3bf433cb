"""A real ledger server for tests, and a till-like source of hash-chained events.

Reusable outside these tests (the till's sync tests use it)::

    from tests.integration.ledger.support import EventChain, start_ledger

    with start_ledger(f"sqlite:///{tmp_path}/ledger.db", tmp_path) as ledger:
        token = ledger.add_terminal("S01-T1")
        client = ledger.client(token)           # httpx.Client with the bearer token
        chain = EventChain("S01-T1")
        answer = client.post("/v1/events", json=ledger.batch("S01-T1", [chain.earn(card, 10000)]))

The server is ``python -m ledger.cli serve`` in a subprocess on 127.0.0.1 and a free
port; it is stopped by its pid when the ``with`` block ends, whatever happens.
PostgreSQL: :func:`postgres_schema` gives a database URL confined to a fresh schema
that is dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.ledger_process import postgres_schema as bench_postgres_schema
from ledger import admin
from ledger.cli import open_ledger
from ledger.db import Database, connect
from ledger.terminals import add_terminal
from loyalty.cards import make_card_number
from loyalty.events import GENESIS_HASH, Event, EventKind, build_event, compute_hash, utc_now_iso
from loyalty.programme import NEW_MEMBER, Basket, Line, ProgrammeVersion, evaluate, parse_programme
from loyalty.programme.approvals import approval_record
from loyalty.programme.default import simple_programme_document
from loyalty.programme.redemption import redemption_value
from loyalty.programme.versions import local_start
from pos_client.recording import redeem_fields, sale_fields

REPO_ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0

_card_serials = itertools.count(random.randrange(10**8, 9 * 10**8))


def fresh_card() -> str:
    """A valid member card number no other test in this process uses."""
    return make_card_number(next(_card_serials))


def import_new_members(db: Database, directory: Path, balances: Sequence[int]) -> list[str]:
    """Import one new member per opening balance through the ledger's CSV import (a
    file in ``directory``); their cards."""
    cards = [fresh_card() for _ in balances]
    path = directory / f"members-{os.getpid()}-{cards[0]}.csv"
    lines = ["card,name,tier,balance"]
    lines += [f"{c},Member {c[-4:]},basic,{b}" for c, b in zip(cards, balances, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    admin.import_members(db, path)
    return cards


def fresh_terminal_name(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_admin(
    db_url: str, *args: str, timeout: float = 60.0, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``pos-ledger <args> --db <db_url>`` as a subprocess (``stdin`` on its
    standard input) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "ledger.cli", *args, "--db", db_url],
        cwd=REPO_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def query_db(db_url: str, statement: str) -> list[tuple[object, ...]]:
    """Rows of one SQL statement on a ledger database (for checking what is stored)."""
    db = connect(db_url)
    try:
        with db.write() as tx:
            return tx.query(statement)
    finally:
        db.close()


@dataclass
class LedgerHandle:
    """A running ledger: its base URL, its database URL and admin helpers."""

    url: str
    db_url: str
    process: subprocess.Popen[bytes]
    _clients: list[httpx.Client] = field(default_factory=list)

    def add_terminal(self, name: str | None = None) -> str:
        """Register a terminal (through the storage API, as the CLI does); return its token."""
        db, _ = open_ledger(self.db_url)
        try:
            with db.write() as tx:
                return add_terminal(tx, name or fresh_terminal_name())
        finally:
            db.close()

    def admin(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run an admin command against this ledger's database."""
        return run_admin(self.db_url, *args)

    def client(self, token: str | None = None, timeout: float = 30.0) -> httpx.Client:
        """An HTTP client for this ledger, with ``token`` as bearer if given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)
        self._clients.append(client)
        return client

    @staticmethod
    def batch(terminal_id: str, events: Sequence[Event]) -> dict[str, Any]:
        """The JSON body of a push of ``events``."""
        return {"terminal_id": terminal_id, "events": [e.to_dict() for e in events]}

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        stop_process(self.process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop a child by its pid: terminate, then kill if it does not exit in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def start_ledger(
    db_url: str, tmp_path: Path, extra_args: Sequence[str] = (), port: int | None = None
) -> Iterator[LedgerHandle]:
    """Start ``pos-ledger serve`` on a free loopback port (or ``port``, to stand in for
    a ledger restarted at the same address); stop it on exit.

    The database is created (and migrated) before the server starts, so a test may
    add terminals at once. Raises RuntimeError with the server's output if it does not
    answer ``/health`` within :data:`START_TIMEOUT_S`.
    """
    open_ledger(db_url)[0].close()
    port = port or free_port()
    log = tmp_path / f"ledger-{port}.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ledger.cli",
                "serve",
                "--db",
                db_url,
                "--port",
                str(port),
                *extra_args,
            ],
            cwd=REPO_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    handle = LedgerHandle(url=f"http://127.0.0.1:{port}", db_url=db_url, process=process)
    try:
        _wait_healthy(handle, log)
        yield handle
    finally:
        handle.stop()


def _wait_healthy(handle: LedgerHandle, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if handle.process.poll() is not None:
            raise RuntimeError(f"The ledger exited at start:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(handle.url + "/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"The ledger did not answer in time:\n{log.read_text(errors='replace')}")


@contextmanager
def postgres_schema(dsn: str) -> Iterator[str]:
    """A database URL whose tables live in a fresh schema, dropped afterwards.

    Raises (does not skip) when the server cannot be reached: a test run that asked
    for PostgreSQL must not silently pass without it.
    """
    with bench_postgres_schema(dsn, prefix="ledger_test") as url:
        yield url


DEFAULT_PROGRAMME = ProgrammeVersion(
    1,
    local_start("2000-01-01T00:00", "UTC"),
    parse_programme(simple_programme_document(), "<default programme>"),
)
"""The programme a new ledger publishes as version 1 (1 point per NOK)."""


APPROVER = "MGR-1"
"""The manager :meth:`EventChain.adjust` names in its approval by default."""


class EventChain:
    """One terminal's journal as a till writes it: gapless seq, hash-chained.

    Sales are evaluated under ``version`` (the ledger's version 1 by default) exactly
    as :class:`pos_client.till.Till` records them; ``legacy=True`` writes release
    0.1.0's flat schema-1 events instead.
    """

    def __init__(
        self,
        terminal_id: str,
        version: ProgrammeVersion = DEFAULT_PROGRAMME,
        legacy: bool = False,
    ) -> None:
        self.terminal_id = terminal_id
        self.version = version
        self.legacy = legacy
        self.seq = 0
        self.last_hash = GENESIS_HASH
        self.at = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
        self.store = "S01"

    def _append(self, kind: EventKind, card: str, **fields: Any) -> Event:
        event_id = fields.pop("event_id", None) or str(uuid.uuid4())
        if self.legacy:
            event = _legacy_event(self, event_id, kind, card, **fields)
        else:
            event = build_event(
                terminal_id=self.terminal_id,
                seq=self.seq + 1,
                prev_hash=self.last_hash,
                kind=kind,
                event_id=event_id,
                card=card,
                member_id=fields.pop("member_id", "M" + card),
                business_time=self.at.isoformat(),
                store=self.store,
                currency=self.version.programme.currency,
                **fields,
            )
        self.seq, self.last_hash = event.seq, event.hash
        return event

    def earn(self, card: str, amount_minor: int, **extra: Any) -> Event:
        """A sale of one line of ``amount_minor``, computed under the chain's version
        (``points=`` records other points than it gives: a computation mismatch)."""
        if self.legacy:
            points = extra.pop("points", amount_minor // 100)
            return self._append(EventKind.EARN, card, points=points, amount_minor=amount_minor)
        event_id = str(uuid.uuid4())
        basket = Basket(self.at, "S01", (Line(1, "AMOUNT", "Amount", 1, amount_minor),))
        outcome = evaluate(self.version.programme, basket, NEW_MEMBER, version=self.version.version)
        fields = sale_fields(event_id, self.version, basket, NEW_MEMBER, outcome)
        if "points" in extra:
            fields["postings"] = {**fields["postings"], "points": extra.pop("points")}
        return self._append(EventKind.SALE, card, event_id=event_id, **fields, **extra)

    def redeem(self, card: str, points: int) -> Event:
        """Spend ``points`` (a positive number) for their value as a discount."""
        if self.legacy:
            value = points * 10
            return self._append(EventKind.REDEEM, card, points=-points, amount_minor=value)
        terms = self.version.programme.redeem
        assert terms is not None
        value = redemption_value(terms, points)
        fields = redeem_fields(self.version, terms.wallet, points, value, None)
        return self._append(EventKind.REDEEM, card, **fields)

    def adjust(self, card: str, points: int, note: str = "correction", **extra: Any) -> Event:
        """A manager's correction (``extra``: optional fields, such as ``programme``),
        approved by :data:`APPROVER` unless ``approval`` is given (None: none)."""
        if self.legacy:
            return self._append(EventKind.ADJUST, card, points=points, amount_minor=0, note=note)
        extra.setdefault("approval", approval_record(APPROVER, "adjust", abs(points)))
        if extra["approval"] is None:  # an adjustment no manager approved
            del extra["approval"]
        return self._append(
            EventKind.ADJUST,
            card,
            postings={"points": points},
            reason="correction",
            note=note,
            **extra,
        )


def _legacy_event(
    chain: EventChain, event_id: str, kind: EventKind, card: str, **fields: Any
) -> Event:
    """A release 0.1.0 event (schema 1: every field present, no ``schema`` key)."""
    content = {
        "event_id": event_id,
        "terminal_id": chain.terminal_id,
        "seq": chain.seq + 1,
        "kind": str(kind),
        "card": card,
        "points": fields["points"],
        "amount_minor": fields["amount_minor"],
        "currency": "NOK",
        "rule_version": 1,
        "recorded_at": utc_now_iso(),
        "prev_hash": chain.last_hash,
        "refers_to": fields.get("refers_to"),
        "note": fields.get("note", ""),
    }
    return Event(content, compute_hash(content))


POSTGRES_ENV = "POS_TEST_POSTGRES"
"""Holds a PostgreSQL DSN to run the PostgreSQL variants; set and unusable, they fail."""


@contextmanager
def database_url(backend: str, directory: Path) -> Iterator[str]:
    """A fresh, empty ledger database of ``backend`` (``sqlite`` or ``postgres``), removed
    afterwards. PostgreSQL: skipped without :data:`POSTGRES_ENV`, failed if unusable."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'ledger.db'}"
        return
    dsn = os.environ.get(POSTGRES_ENV)
    if not dsn:
        pytest.skip(f"set {POSTGRES_ENV} to a PostgreSQL DSN to run the PostgreSQL tests")
    stack = ExitStack()
    try:
        url = stack.enter_context(postgres_schema(dsn))
    except Exception as exc:
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is unusable at {dsn}: {exc}")
    with stack:
        yield url

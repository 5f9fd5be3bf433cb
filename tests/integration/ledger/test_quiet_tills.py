"""Tills gone quiet become anomalies once per episode (ledger.quiet_tills)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from ledger.anomaly_admin import list_anomalies, resolve_anomaly
from ledger.cli import open_ledger
from ledger.quiet_tills import TILL_LAGGING, TILL_SILENT, flag_quiet_tills
from ledger.terminals import add_terminal
from tests.integration.ledger.support import start_ledger

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def _report(tx, terminal: str, contact: datetime, oldest: datetime | None, pending: int) -> None:
    tx.execute(
        "INSERT INTO terminal_reports (terminal_id, store, software, pending, "
        "oldest_pending_at, last_contact_at) VALUES (?, 'S1', '1.0', ?, ?, ?)",
        (terminal, pending, oldest and oldest.isoformat(), contact.isoformat()),
    )


def _kinds(tx, terminal: str) -> list[tuple[str, bool]]:
    return sorted(
        (a.kind, a.resolved_at is None)
        for a in list_anomalies(tx, resolved_too=True)
        if a.terminal_id == terminal
    )


def test_silent_and_lagging_tills_are_flagged_once_per_episode(fresh_db_url):
    db, _ = open_ledger(fresh_db_url)
    try:
        with db.write() as tx:
            for name in ("QUIET-1", "LAGGY-1", "FINE-1"):
                add_terminal(tx, name)
            _report(tx, "QUIET-1", NOW - timedelta(hours=30), None, 0)
            _report(tx, "LAGGY-1", NOW - timedelta(minutes=5), NOW - timedelta(hours=50), 7)
            _report(tx, "FINE-1", NOW - timedelta(minutes=5), NOW - timedelta(hours=1), 2)
            assert flag_quiet_tills(tx, NOW, 24) == 2
            assert flag_quiet_tills(tx, NOW + timedelta(hours=1), 24) == 0  # still open
            assert _kinds(tx, "QUIET-1") == [(TILL_SILENT, True)]
            assert _kinds(tx, "LAGGY-1") == [(TILL_LAGGING, True)]
            assert _kinds(tx, "FINE-1") == []
            (silent,) = [a for a in list_anomalies(tx) if a.terminal_id == "QUIET-1"]
            assert "No contact for 30 hours" in silent.detail
            resolve_anomaly(tx, silent.anomaly_id, "shop closed for a day", "test")
            assert flag_quiet_tills(tx, NOW + timedelta(hours=2), 24) == 0  # same episode
            tx.execute(
                "UPDATE terminal_reports SET last_contact_at = ? WHERE terminal_id = 'QUIET-1'",
                ((NOW + timedelta(hours=3)).isoformat(),),
            )
            tx.execute(  # the other two catch up and keep in touch
                "UPDATE terminal_reports SET last_contact_at = ?, pending = 0, "
                "oldest_pending_at = NULL WHERE terminal_id <> 'QUIET-1'",
                ((NOW + timedelta(hours=27)).isoformat(),),
            )
            assert flag_quiet_tills(tx, NOW + timedelta(hours=28), 24) == 1  # quiet again
            assert _kinds(tx, "QUIET-1") == [(TILL_SILENT, False), (TILL_SILENT, True)]
    finally:
        db.close()


def test_a_ledger_serving_with_settle_every_flags_a_silent_till_by_itself(fresh_db_url, tmp_path):
    db, _ = open_ledger(fresh_db_url)
    try:
        with db.write() as tx:
            add_terminal(tx, "AWAY-1")
            long_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat()
            tx.execute(
                "UPDATE terminals SET created_at = ? WHERE terminal_id = 'AWAY-1'", (long_ago,)
            )
        args = ["--settle-every", "0.2", "--quiet-hours", "24"]
        with start_ledger(fresh_db_url, tmp_path, extra_args=args):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with db.snapshot() as tx:
                    if _kinds(tx, "AWAY-1"):
                        break
                time.sleep(0.1)
        with db.snapshot() as tx:
            assert _kinds(tx, "AWAY-1") == [(TILL_SILENT, True)]
    finally:
        db.close()

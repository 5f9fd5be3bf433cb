"""Opening a ledger database: the SQLite pragmas are read back, and release 0.1.0's
rules are cached per ledger, not per process."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ledger.cli import main, open_ledger
from ledger.db import connect
from ledger.errors import StorageError
from ledger.rules import rules_version


def test_a_sqlite_ledger_without_write_ahead_logging_is_refused() -> None:
    with pytest.raises(StorageError, match=r"write-ahead logging.*journal_mode=memory"):
        connect("sqlite:///:memory:")


def test_the_cli_refuses_it_with_its_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--db", "sqlite:///:memory:"]) == 2
    assert "write-ahead logging" in capsys.readouterr().err


def test_an_opened_sqlite_ledger_runs_with_wal_and_full_sync(tmp_path: Path) -> None:
    db, _ = open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    db.close()
    conn = sqlite3.connect(tmp_path / "ledger.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_two_ledgers_in_one_process_keep_their_own_rules(tmp_path: Path) -> None:
    first, _ = open_ledger(f"sqlite:///{tmp_path / 'first.db'}")
    second, _ = open_ledger(f"sqlite:///{tmp_path / 'second.db'}")
    try:
        with second.write() as tx:  # a ledger whose version 1 differs from the default
            (stored,) = tx.query("SELECT rules_json FROM rules WHERE version = 1")[0]
            rules = json.loads(stored)
            rules["points_per_unit"] = 7
            tx.execute("UPDATE rules SET rules_json = ? WHERE version = 1", (json.dumps(rules),))
        with first.snapshot() as tx:
            from_first = rules_version(tx, 1)
        with second.snapshot() as tx:
            from_second = rules_version(tx, 1)
        assert from_first is not None and from_second is not None
        assert from_first.to_dict() != from_second.to_dict()
        assert from_second.to_dict()["points_per_unit"] == 7
    finally:
        first.close()
        second.close()

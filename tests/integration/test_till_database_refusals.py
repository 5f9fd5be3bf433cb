"""The till refuses a database it must not start on, with one clear message and its
own exit status, and keeps an identity file a lost or replaced database cannot hide
(pos_client.store.identity, pos_client.store.integrity). Real SQLite files; the CLI
runs as a subprocess where its exit status is what is tested."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from pos_client.config import TillConfig
from pos_client.store.identity import DATABASE_ID, identity_path, read_identity
from pos_client.store.integrity import EXIT_DATABASE_REFUSED, DatabaseRefused
from pos_client.store.transaction import write_transaction
from pos_client.till import Till
from tests.conftest import member
from tests.integration.cli_process import run_pos_client

KARI = member(1, 1000, "Kari Nordmann")


def open_with_members(config: TillConfig) -> Till:
    till = Till.open(config)
    till.store.members.upsert_many([KARI])
    return till


def record_earns(config: TillConfig, count: int) -> None:
    """Open the till, record ``count`` earns for Kari and shut down cleanly."""
    till = open_with_members(config)
    try:
        for _ in range(count):
            till.scan(KARI.card)
            till.earn("100")
    finally:
        till.close()


def refused(config: TillConfig) -> DatabaseRefused:
    with pytest.raises(DatabaseRefused) as caught:
        Till.open(config).close()
    assert str(config.database_path) in caught.value.message
    assert "pos-client recover" in caught.value.message
    return caught.value


def test_a_new_data_directory_starts_a_new_till_with_an_identity(till_config: TillConfig):
    record_earns(till_config, 2)
    identity = read_identity(till_config.database_path)
    assert identity is not None and identity.terminal_id == till_config.terminal_id
    assert (identity.known_seq, identity.known_receipt) == (2, 2)  # learnt at shutdown
    with sqlite3.connect(till_config.database_path) as conn:
        stored = conn.execute("SELECT value FROM settings WHERE key = ?", [DATABASE_ID]).fetchone()
    assert stored == (identity.database_id,)
    record_earns(till_config, 1)  # and it starts again on its own database
    assert read_identity(till_config.database_path).known_seq == 3  # type: ignore[union-attr]


def test_a_till_from_before_identity_files_gets_one_silently(till_config: TillConfig):
    record_earns(till_config, 2)
    identity_path(till_config.database_path).unlink()
    with sqlite3.connect(till_config.database_path) as conn:
        conn.execute("DELETE FROM settings WHERE key = ?", [DATABASE_ID])
    record_earns(till_config, 1)
    identity = read_identity(till_config.database_path)
    assert identity is not None and identity.known_seq == 3


def test_an_empty_database_is_refused_and_left_as_it_is(till_config: TillConfig):
    record_earns(till_config, 2)
    till_config.database_path.write_bytes(b"")
    assert "is empty (0 bytes)" in refused(till_config).problem
    assert till_config.database_path.stat().st_size == 0


def test_a_missing_database_of_a_known_till_is_refused(till_config: TillConfig):
    record_earns(till_config, 2)
    till_config.database_path.unlink()
    assert refused(till_config).problem.startswith("is missing")
    assert not till_config.database_path.exists()  # no new till was started


def test_a_replaced_database_is_refused(tmp_path: Path, till_config: TillConfig):
    record_earns(till_config, 2)
    other = TillConfig(terminal_id=till_config.terminal_id, data_dir=tmp_path / "other")
    record_earns(other, 3)  # another database of the same terminal name
    shutil.copy(other.database_path, till_config.database_path)
    assert "has been replaced" in refused(till_config).problem


def test_an_older_copy_of_the_database_is_refused(tmp_path: Path, till_config: TillConfig):
    record_earns(till_config, 2)
    backup = tmp_path / "backup.sqlite"
    shutil.copy(till_config.database_path, backup)
    record_earns(till_config, 2)
    shutil.copy(backup, till_config.database_path)
    problem = refused(till_config).problem
    assert "journal ends at event 2" in problem and "up to event 4" in problem


def test_a_damaged_journal_tip_is_refused(till_config: TillConfig):
    record_earns(till_config, 3)
    with sqlite3.connect(till_config.database_path) as conn:
        conn.execute("DROP TRIGGER journal_is_append_only_update")
        conn.execute("UPDATE journal SET document = replace(document, '1', '2') WHERE seq = 3")
    assert "damaged journal" in refused(till_config).problem


def test_a_damaged_identity_file_is_refused(till_config: TillConfig):
    record_earns(till_config, 1)
    identity_path(till_config.database_path).write_text("{not json", encoding="utf-8")
    assert "cannot be checked" in refused(till_config).problem


def test_the_cli_refuses_with_its_own_exit_status_and_one_line(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('[till]\nterminal_id = "CLI01-T1"\ndata_dir = "data"\n', encoding="utf-8")
    assert run_pos_client(config, "receipts").returncode == 0  # a new till starts
    database = tmp_path / "data" / "till.sqlite"
    database.write_bytes(b"")
    for command in ("receipts", "status", "verify"):
        result = run_pos_client(config, command)
        assert result.returncode == EXIT_DATABASE_REFUSED == 3
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr
        assert str(database) in lines[0] and "is empty (0 bytes)" in lines[0]
        assert "pos-client recover" in lines[0]


def test_a_failed_commit_rolls_back_and_leaves_no_transaction_open(till_config: TillConfig):
    till = open_with_members(till_config)
    try:
        conn = till.store.conn
        with write_transaction(conn):  # outside one, statements go to a read-only reader
            conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            conn.execute(
                "CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE "
                "INITIALLY DEFERRED)"
            )
        failing = pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY")
        with failing, write_transaction(conn):
            conn.execute("INSERT INTO child (parent) VALUES (42)")  # fails at COMMIT
        assert not conn.in_transaction
        assert conn.execute("SELECT COUNT(*) FROM child").fetchone() == (0,)
        till.scan(KARI.card)
        receipt = till.earn("100")  # the connection is usable at once
        assert receipt.receipt_no.endswith("000001")
    finally:
        till.close()


def test_identity_file_is_json_with_the_fields_it_promises(till_config: TillConfig):
    record_earns(till_config, 1)
    data = json.loads(identity_path(till_config.database_path).read_text(encoding="utf-8"))
    assert set(data) == {
        "format",
        "terminal_id",
        "database_id",
        "known_seq",
        "known_receipt",
        "ledger_url",
        "ledger_id",
        "receipt_shifts",
    }

"""The till store's connections: one writer, a reader per thread, no caller-held lock."""

import sqlite3
import threading
from pathlib import Path

import pytest

from pos_client.store import LocalStore
from pos_client.store.connections import NotInWriteTransaction
from pos_client.store.transaction import read_transaction, write_transaction

from .test_store import earn_builder

CARD = "2900000000013"
THREADS = 4
APPENDS_EACH = 25


@pytest.fixture
def store(tmp_path: Path):
    opened = LocalStore.open(tmp_path / "till.sqlite", "T1")
    try:
        yield opened
    finally:
        opened.close()


def journal_size(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0])


def in_thread(work):
    """Run ``work()`` in a new thread and return its result (or raise its error)."""
    result: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as error:  # handed to the caller
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def test_threads_append_at_once_without_a_lock_and_the_chain_holds(store: LocalStore):
    """Several threads append at the same time, holding no lock of their own: the
    writer serialises them, so every event is written once, in one unbroken chain."""
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def cashier() -> None:
        try:
            start.wait()
            for _ in range(APPENDS_EACH):
                store.append(earn_builder(CARD))
                store.pending_count()  # a read between the writes, on this thread's reader
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=cashier) for _ in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
    finally:
        for thread in threads:
            thread.join()
    assert failures == []
    assert store.verify() == THREADS * APPENDS_EACH
    assert store.pending_count() == THREADS * APPENDS_EACH


def test_a_reader_never_waits_for_the_writer_and_sees_only_commits(store: LocalStore):
    store.append(earn_builder(CARD))
    with write_transaction(store.conn) as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('probe', 'uncommitted')")
        assert store.settings.get("probe") == "uncommitted"  # the writer sees its own
        elsewhere = in_thread(lambda: store.settings.get("probe"))
        assert elsewhere is None  # another thread's reader: the last commit only
        assert in_thread(lambda: journal_size(store.conn)) == 1
    assert in_thread(lambda: store.settings.get("probe")) == "uncommitted"


def test_a_thread_reads_its_own_write_at_once(store: LocalStore):
    assert journal_size(store.conn) == 0  # this thread's reader is open now
    store.append(earn_builder(CARD))
    assert journal_size(store.conn) == 1
    store.settings.set("probe", "1")
    assert store.settings.get("probe") == "1"


def test_a_read_transaction_is_one_snapshot_and_nests(store: LocalStore):
    store.append(earn_builder(CARD))
    with read_transaction(store.conn):
        assert journal_size(store.conn) == 1
        in_thread(lambda: store.append(earn_builder(CARD)))
        with read_transaction(store.conn):  # joins the outer snapshot
            assert journal_size(store.conn) == 1
    assert journal_size(store.conn) == 2


def test_a_write_outside_a_write_transaction_is_refused_and_changes_nothing(
    store: LocalStore,
):
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store.conn.execute("INSERT INTO settings (key, value) VALUES ('stray', 'x')")
    with pytest.raises(NotInWriteTransaction), store.conn:
        pass
    with pytest.raises(NotInWriteTransaction):
        store.conn.commit()
    assert store.settings.get("stray") is None


def test_a_failed_write_transaction_rolls_back_and_frees_the_writer(store: LocalStore):
    with pytest.raises(sqlite3.IntegrityError), write_transaction(store.conn) as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('probe', 'x')")
        conn.execute("INSERT INTO settings (key, value) VALUES ('probe', 'y')")
    assert store.settings.get("probe") is None
    assert in_thread(lambda: store.append(earn_builder(CARD))).seq == 1


def test_a_write_transaction_cannot_nest(store: LocalStore):
    nested = pytest.raises(sqlite3.ProgrammingError, match="nest")
    with write_transaction(store.conn), nested, write_transaction(store.conn):
        pass
    store.append(earn_builder(CARD))
    assert store.verify() == 1


def test_readers_pass_from_ended_threads_to_new_ones_and_close_with_the_store(
    tmp_path: Path,
):
    store = LocalStore.open(tmp_path / "till.sqlite", "T1")
    try:
        for _ in range(20):
            in_thread(store.pending_count)
        readers = list(store.conn._readers)
        assert 1 <= len(readers) <= 2  # not one per thread
        for reader in readers:
            assert reader.execute("PRAGMA query_only").fetchone()[0] == 1
            assert reader.execute("PRAGMA synchronous").fetchone()[0] == 2
            assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        store.close()
    for reader in readers:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            reader.execute("SELECT 1")


def test_commits_elsewhere_are_told_apart_from_this_process_own(tmp_path: Path):
    path = tmp_path / "till.sqlite"
    store = LocalStore.open(path, "T1")
    other = sqlite3.connect(str(path), isolation_level=None)
    try:
        before = store.changes_elsewhere()
        store.append(earn_builder(CARD))
        store.settings.set("probe", "1")
        assert store.changes_elsewhere() == before
        other.execute("INSERT INTO settings (key, value) VALUES ('other', '1')")
        assert store.changes_elsewhere() != before
    finally:
        other.close()
        store.close()

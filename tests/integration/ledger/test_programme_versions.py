"""Programme versions: published once with a local start, carried to every till ahead
of that start with a content hash the till checks, and used by an offline till for
the sales whose business time they cover.

``pos-ledger rules publish`` runs as an operator runs it (a subprocess); tills are
real :class:`~pos_client.till.Till` objects syncing over loopback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from ledger import programmes
from ledger.cli import open_ledger
from ledger.db import connect
from ledger.service import push
from ledger.terminals import add_terminal
from loyalty.canonical import sha256_hex
from loyalty.programme import load_programme_file
from pos_client.config import LedgerConfig, TillConfig
from pos_client.till import Till, local_now
from sync.errors import SyncError
from tests.integration.ledger.support import (
    DEFAULT_PROGRAMME,
    REPO_ROOT,
    EventChain,
    LedgerHandle,
    fresh_card,
    fresh_terminal_name,
    run_admin,
    start_ledger,
)
from tests.integration.sync.rig import LedgerUnderTest

EXAMPLES = REPO_ROOT / "examples" / "programmes"
KIWI, WEEKEND_DAIRY = EXAMPLES / "kiwi.toml", EXAMPLES / "weekend-dairy.toml"
OSLO = ZoneInfo("Europe/Oslo")
UNREACHABLE = "http://127.0.0.1:9"


def publish(db_url: str, document: Path, effective_from: str) -> tuple[int, str, str]:
    """Publish; return (version, stdout, stderr). Fails the test if refused."""
    done = run_admin(db_url, "rules", "publish", str(document), "--effective-from", effective_from)
    assert done.returncode == 0, done.stderr
    version = int(done.stdout.split(" as version ", 1)[1].split(",", 1)[0])
    return version, done.stdout, done.stderr


def stored_versions(db_url: str) -> list[int]:
    """The version numbers the ledger's database holds."""
    db, _ = open_ledger(db_url)
    try:
        with db.snapshot() as tx:
            rows = tx.query("SELECT version FROM programme_versions ORDER BY version")
    finally:
        db.close()
    return [int(r[0]) for r in rows]


def local(moment: datetime) -> str:
    """A local start as the operator types it (minutes, no offset)."""
    return moment.replace(tzinfo=None).isoformat(timespec="minutes")


def spring_forward_gap(year: int) -> datetime:
    """Half past the hour Oslo's clocks skip on the last Sunday of March of ``year``."""
    last = date(year, 3, 31)
    sunday = last - timedelta(days=(last.weekday() + 1) % 7)
    return datetime.combine(sunday, time(2, 30))


# --- publishing -----------------------------------------------------------------------


def test_a_valid_document_is_published_as_the_next_version_with_its_content_hash(
    fresh_db_url: str,
) -> None:
    assert stored_versions(fresh_db_url) == [1]  # the default programme of a new ledger
    version, out, err = publish(fresh_db_url, WEEKEND_DAIRY, "2099-06-01T00:00")
    content_hash = load_programme_file(WEEKEND_DAIRY).content_hash
    assert version == 2
    assert "Published Weekend dairy as version 2, in force from 2099-06-01T00:00:00+02:00" in out
    assert "(Europe/Oslo)" in out and content_hash in out
    assert err == ""  # months ahead: no warning
    listing = run_admin(fresh_db_url, "rules", "list").stdout.splitlines()
    assert [line.split("\t")[:3] + line.split("\t")[5:] for line in listing] == [
        ["1", "2000-01-01T00:00", "points", "UTC"],
        ["2", "2099-06-01T00:00", "weekend-dairy", "Europe/Oslo"],
    ]
    shown = run_admin(fresh_db_url, "rules", "show", "--version", "2")
    state = json.loads(shown.stdout)
    assert (state["version"], state["effective_from"]) == (2, "2099-06-01T00:00")
    assert state["content_hash"] == content_hash == sha256_hex(state["document"])
    assert state["document"]["programme"]["id"] == "weekend-dairy"
    assert json.loads(run_admin(fresh_db_url, "rules", "show").stdout)["version"] == 1


@pytest.mark.parametrize(
    ("change", "named"),
    [
        pytest.param(('rate = "1"', "rate = 1.5"), "rules[0].rate: 1.5 is a float", id="float"),
        pytest.param(
            ('increment = "1"', 'increment = "1"\ncolour = "red"'),
            "rules[1].colour: is not a key this programme engine knows",
            id="unknown-key",
        ),
        pytest.param(("[programme]", "[programme"), "is not valid TOML", id="not-toml"),
    ],
)
def test_a_bad_document_is_refused_naming_the_key_and_nothing_is_published(
    fresh_db_url: str, tmp_path: Path, change: tuple[str, str], named: str
) -> None:
    text = WEEKEND_DAIRY.read_text(encoding="utf-8")
    assert change[0] in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    refused = run_admin(
        fresh_db_url, "rules", "publish", str(bad), "--effective-from", "2099-06-01T00:00"
    )
    assert refused.returncode == 1
    assert f"{bad}: {named}" in refused.stderr
    assert stored_versions(fresh_db_url) == [1]


@pytest.mark.parametrize(
    ("effective_from", "reason"),
    [
        pytest.param("2020-01-01T00:00", "is in the past", id="past"),
        pytest.param(
            local(spring_forward_gap(2099)),
            "does not exist in Europe/Oslo (the clocks skip it)",
            id="dst-gap",
        ),
        pytest.param("2099-06-01T00:00+02:00", "without an offset", id="offset"),
        pytest.param("tomorrow", "is not a local time", id="not-a-time"),
    ],
)
def test_a_start_that_cannot_be_honoured_is_refused(
    fresh_db_url: str, effective_from: str, reason: str
) -> None:
    refused = run_admin(
        fresh_db_url, "rules", "publish", str(KIWI), "--effective-from", effective_from
    )
    assert refused.returncode == 1, refused.stdout
    assert reason in refused.stderr
    assert stored_versions(fresh_db_url) == [1]


def test_the_dst_gap_case_really_is_a_skipped_local_time() -> None:
    gap = spring_forward_gap(2099).replace(tzinfo=OSLO)
    assert gap.astimezone(UTC).astimezone(OSLO).replace(tzinfo=None) != gap.replace(tzinfo=None)


def test_a_start_closer_than_max_offline_hours_is_published_with_a_warning(
    fresh_db_url: str,
) -> None:
    soon = datetime.now(OSLO).replace(second=0, microsecond=0) + timedelta(hours=30)
    version, _, err = publish(fresh_db_url, KIWI, local(soon))
    assert version == 2
    assert "less than 72 hours (max_offline_hours)" in err and "stale version" in err
    _, _, err_now = publish(fresh_db_url, WEEKEND_DAIRY, "now")
    assert "less than 72 hours" in err_now
    assert stored_versions(fresh_db_url) == [1, 2, 3]


def test_a_version_published_now_in_the_repeated_autumn_hour_starts_when_published(
    fresh_db_url: str,
) -> None:
    published_at = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # the second 02:30 in Oslo
    db, _ = open_ledger(fresh_db_url)
    try:
        with db.write() as tx:
            add_terminal(tx, "DST-T1")
            done = programmes.publish_version(
                tx, load_programme_file(KIWI), "now", now=published_at
            )
        # Compared in UTC: Python never finds a time inside the repeated hour equal to
        # one in another zone (PEP 495), though they are the same instant.
        assert done.effective_from.astimezone(UTC) == published_at
        # A sale at 01:00 UTC, half an hour before the version existed, under version 1.
        chain = EventChain("DST-T1")
        chain.at = published_at - timedelta(minutes=30)
        push(db, "DST-T1", [chain.earn(fresh_card(), 10_000).to_dict()])
        with db.snapshot() as tx:
            kinds = [str(r[0]) for r in tx.query("SELECT kind FROM anomalies")]
            (start,) = [v.effective_from for v in programmes.versions(tx) if v.version == 2]
        assert "stale_version" not in kinds
        assert start.astimezone(UTC) == published_at
    finally:
        db.close()


# --- versions in the feed and at the till ----------------------------------------------


def _till(
    handle: LedgerHandle, data_dir: Path, clock: Callable[[], datetime] = local_now
) -> tuple[TillConfig, Till]:
    """A till for a new terminal of ``handle``, on ``data_dir``, with ``clock``."""
    terminal_id = fresh_terminal_name("PV")
    token = handle.add_terminal(terminal_id)
    config = TillConfig(
        terminal_id=terminal_id,
        data_dir=data_dir,
        ledger=LedgerConfig(url=handle.url, token=token, sync_interval=3600.0, timeout=10.0),
    )
    return config, Till.open(config, clock=clock)


def test_versions_reach_the_till_with_their_document_and_a_hash_it_checks(
    ledger: LedgerHandle, tmp_path: Path
) -> None:
    later, _, _ = publish(ledger.db_url, WEEKEND_DAIRY, "2098-01-01T00:00")
    _, till = _till(ledger, tmp_path / "feed")
    try:
        till.link.sync_now()
        held = {v.version: v for v in till.book.versions()}
        assert {1, later} <= set(held)
        assert held[1].content_hash == DEFAULT_PROGRAMME.content_hash
        assert held[later].content_hash == load_programme_file(WEEKEND_DAIRY).content_hash
        assert held[later].effective_from == datetime(2098, 1, 1, tzinfo=OSLO)
        stored = {v.version: v for v in till.store.catalogue.versions()}
        for number, version in held.items():
            document = json.loads(stored[number].document)
            assert sha256_hex(document) == stored[number].content_hash == version.content_hash
        assert till.version().version != later  # held ahead of its start, not used yet
    finally:
        till.close()


def test_a_till_refuses_a_version_whose_document_does_not_match_its_hash(
    fresh_db_url: str, tmp_path: Path
) -> None:
    publish(fresh_db_url, WEEKEND_DAIRY, "2098-01-01T00:00")
    db = connect(fresh_db_url)
    try:
        with db.write() as tx:  # someone edits the stored document behind the ledger
            tx.execute(
                'UPDATE programme_versions SET document = REPLACE(document, \'"rate":"1"\', '
                '\'"rate":"5"\') WHERE version = 2'
            )
    finally:
        db.close()
    with start_ledger(fresh_db_url, tmp_path) as handle:
        _, till = _till(handle, tmp_path / "checks")
        try:
            with pytest.raises(SyncError, match="does not match its content hash"):
                till.link.sync_now()
            assert till.book.versions() == []  # nothing of that pull was stored
            assert till.version().version == 0
        finally:
            till.close()


def test_get_rules_answers_the_version_in_force_now(ledger: LedgerHandle) -> None:
    client = ledger.client(ledger.add_terminal())
    now_version, _, _ = publish(ledger.db_url, KIWI, "now")
    publish(ledger.db_url, WEEKEND_DAIRY, "2097-01-01T00:00")  # later, not yet in force
    answer = client.get("/v1/rules")
    assert answer.status_code == 200, answer.text
    rules = answer.json()
    assert rules["version"] == now_version
    assert rules["document"]["programme"]["id"] == "kiwi"
    assert rules["content_hash"] == load_programme_file(KIWI).content_hash
    assert sha256_hex(rules["document"]) == rules["content_hash"]
    assert httpx.get(ledger.url + "/v1/rules", timeout=10).status_code == 401


@pytest.fixture
def ledger_under_test(ledger: LedgerHandle, tmp_path: Path) -> Iterator[LedgerUnderTest]:
    under_test = LedgerUnderTest(ledger, tmp_path)
    try:
        yield under_test
    finally:
        under_test.close()


def test_a_version_from_midnight_is_held_ahead_and_used_by_an_offline_till_after_midnight(
    ledger: LedgerHandle, ledger_under_test: LedgerUnderTest, tmp_path: Path
) -> None:
    midnight = datetime.combine(datetime.now(OSLO).date() + timedelta(days=2), time(0), OSLO)
    document = tmp_path / "fresh-campaign.toml"  # Kiwi Pluss with 30 % on fresh produce
    text = KIWI.read_text(encoding="utf-8")
    assert 'percent = "15"' in text
    document.write_text(text.replace('percent = "15"', 'percent = "30"'), encoding="utf-8")
    campaign, _, warning = publish(ledger.db_url, document, local(midnight))
    assert "less than 72 hours" in warning
    (card,) = ledger_under_test.add_members(0)
    clock = {"now": midnight - timedelta(minutes=30)}

    config, till = _till(ledger, tmp_path / "midnight", clock=lambda: clock["now"])
    try:
        till.link.sync_now()  # the last sync before the network goes
        assert campaign in {v.version for v in till.book.versions()}
    finally:
        till.close()

    offline = replace(config, ledger=replace(config.ledger, url=UNREACHABLE, timeout=0.5))
    till = Till.open(offline, clock=lambda: clock["now"])
    try:
        till.scan(card)
        till.add_amount("100.00", name="Carrots", tags=frozenset({"fresh"}))
        before = till.finish_sale()  # 23:30: the campaign has not started
        clock["now"] = midnight + timedelta(minutes=30)
        till.scan(card)
        till.add_amount("100.00", name="Carrots", tags=frozenset({"fresh"}))
        after = till.finish_sale()  # 00:30: it has, on a till that cannot ask anyone
        with pytest.raises(SyncError):
            till.link.sync_now()
        first, second = (till.store.journal.get(n) for n in (1, 2))
    finally:
        till.close()
    assert first is not None and second is not None
    assert first.get("programme")["version"] != campaign
    assert before.postings.get("bonus") != 3000
    assert second.get("programme")["version"] == campaign
    assert second.get("business_time") == (midnight + timedelta(minutes=30)).isoformat()
    assert after.postings["bonus"] == 3000  # 30 % of fresh produce: the campaign

    till = Till.open(config, clock=lambda: clock["now"])
    try:
        till.link.sync_now()  # back online: both accepted as computed, no finding
        assert till.store.pending_count() == 0
    finally:
        till.close()
    with ledger_under_test.db.snapshot() as tx:
        found = tx.query("SELECT kind FROM anomalies WHERE terminal_id = ?", (config.terminal_id,))
    assert found == []
    accounts = ledger_under_test.member(card).accounts
    assert accounts.get("bonus", 0) == before.postings.get("bonus", 0) + 3000

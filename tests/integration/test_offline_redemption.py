"""Guarantee 5: offline, a member redeems at most a daily cap at this till, and a till
offline for too long refuses new redemptions; earning always works."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from loyalty.canonical import sha256_hex
from loyalty.cards import make_card_number
from loyalty.errors import RedemptionRefused
from loyalty.programme.default import simple_programme_document
from pos_client.config import LedgerConfig
from pos_client.store.sync_side import LAST_SYNC_AT, StoreSyncSide
from pos_client.store.transaction import write_transaction
from pos_client.till import Till
from sync.protocol import ProgrammeChange

KARI = make_card_number(1)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def receive_version(till: Till, document: dict[str, object]) -> None:
    """Store a programme version as a pull from the ledger would (as version 2, in force
    since 2020), keeping the till's last-sync mark as it was."""
    change = ProgrammeChange(
        version=2,
        effective_from="2020-01-01T00:00",
        effective_utc="2020-01-01T00:00:00Z",
        content_hash=sha256_hex(document),
        document=document,
        change=1,
    )
    last_sync = till.store.settings.get(LAST_SYNC_AT)
    sync = StoreSyncSide(till.store)
    sync.begin_pull()
    sync.stage_changes([change])
    sync.finish_pull(next_cursor="1", high_water=0)
    if last_sync is None:
        with write_transaction(till.store.conn):
            till.store.conn.execute("DELETE FROM settings WHERE key = ?", [LAST_SYNC_AT])


@pytest.fixture
def offline_till(till: Till):
    """The shared test till, linked to a ledger that is not there (port 9), holding a
    version with an offline cap of 300 points a day received at an earlier sync."""
    config = replace(till.config, ledger=LedgerConfig(url="http://127.0.0.1:9", token="t"))
    till.close()
    linked = Till.open(config)
    try:
        receive_version(
            linked, simple_programme_document(offline_redeem_cap=300, max_offline_hours=72)
        )
        yield linked
    finally:
        linked.close()


def synced_ago(till: Till, hours: float) -> None:
    till.store.settings.set(LAST_SYNC_AT, iso(datetime.now(UTC) - timedelta(hours=hours)))


def test_a_till_that_never_reached_the_ledger_refuses_redemptions_but_earns(offline_till):
    offline_till.scan(KARI)
    with pytest.raises(RedemptionRefused, match="not reached the ledger yet"):
        offline_till.redeem(100)
    assert offline_till.earn("100").points == 100


def test_offline_a_member_redeems_at_most_the_daily_cap_here(offline_till):
    synced_ago(offline_till, 2)
    offline_till.scan(KARI)
    offline_till.redeem(200)
    with pytest.raises(RedemptionRefused, match="at most 300 points a day here; 100 are left"):
        offline_till.redeem(200)
    assert offline_till.redeem(100).points == -100
    assert offline_till.status().pending_events == 2


def test_a_till_offline_longer_than_the_maximum_refuses_new_redemptions(offline_till):
    synced_ago(offline_till, 80)
    offline_till.scan(KARI)
    with pytest.raises(RedemptionRefused, match="offline for 80 hours"):
        offline_till.redeem(100)
    assert offline_till.status().pending_events == 0


def test_a_till_with_no_ledger_runs_the_programme_alone_without_offline_caps(till):
    till.scan(KARI)
    assert till.redeem(1000).balance_after == 0

"""Member QR tokens between a real ledger server and a real till.

The ledger issues tokens (``pos-ledger qr CARD --app``) and publishes its keyset in
the changes feed; the till pins the ledger's root key. A member the till has never
seen is identified by their app token while the till is offline, earns, redeems
within the certified balance, and the events sync with how the member was
identified. Key rollover and revocation decided at the ledger reach a till that was
offline when they were decided, at its next sync, and not before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.qr_keys import required_settings
from loyalty.events import EventKind
from loyalty.field_checks import IDENTIFIED_BY_TOKEN
from loyalty.member_token import read
from loyalty.token_check import Refusal, TokenRefused
from tests.integration.ledger.qr_support import ok, set_up_keys
from tests.integration.sync.rig import (
    LedgerUnderTest,
    TillRig,
    assert_in_agreement,
    assert_verify_passes,
)

APP_KEY = 1
"""``set_up_keys`` adds the app key first, then the card key."""


@pytest.fixture(scope="module")
def root_key(any_ledger: LedgerUnderTest) -> Path:
    """The ledger's root key file, with one app and one card key signing."""
    return set_up_keys(any_ledger.db_url, any_ledger.work_dir)


def root_public(ledger: LedgerUnderTest) -> str:
    with ledger.db.snapshot() as tx:
        return required_settings(tx).root_public_key


def app_token(ledger: LedgerUnderTest, card: str) -> str:
    """A fresh single-use app token for ``card``, as ``pos-ledger qr CARD --app`` prints it."""
    return ok(ledger.db_url, "qr", card, "--app").out.strip()


def key_of(text: str) -> int:
    return read(text).token.key_id


def refused(rig: TillRig, text: str) -> Refusal:
    with pytest.raises(TokenRefused) as refusal:
        rig.till.scan(text)
    rig.till.clear_member()
    return refusal.value.refusal


def identified(rig: TillRig, text: str) -> str:
    """Scan ``text``; the member id the till selected."""
    shown = rig.till.scan(text)
    rig.till.clear_member()
    return shown.member_id


def test_a_member_never_seen_earns_and_redeems_offline_by_app_token_then_syncs(
    any_ledger: LedgerUnderTest, root_key: Path, new_till
):
    ledger = any_ledger
    rig = new_till(ledger, member_qr_root=root_public(ledger))
    assert rig.sync()  # the keyset and the programme; the member does not exist yet
    rig.link.set_connected(False)
    (card,) = ledger.add_members(500)
    assert rig.till.store.members.get(card) is None
    text = app_token(ledger, card)

    shown = rig.till.scan(text)
    member_id = ledger.member(card).member_id
    assert (shown.member_id, shown.card, shown.balance) == (member_id, card, 500)
    earned = rig.till.earn("100.00")
    redeemed = rig.till.redeem(550)
    assert (earned.balance_after, redeemed.balance_after) == (600, 50)

    rig.link.set_connected(True)
    rig.sync_until_settled()
    assert_in_agreement(ledger, rig, [card])
    assert ledger.balance(card) == 50
    with ledger.db.snapshot() as tx:
        rows = tx.query(
            "SELECT kind, document FROM events WHERE terminal_id = ? AND member_id = ? "
            "ORDER BY seq",
            (rig.terminal_id, member_id),
        )
    assert [str(r[0]) for r in rows] == [EventKind.SALE.value, EventKind.REDEEM.value]
    replay_id = read(text).token.replay_id
    for row in rows:
        document = json.loads(str(row[1]))
        assert document["identified_by"] == {"via": IDENTIFIED_BY_TOKEN, "replay_id": replay_id}
    with ledger.db.snapshot() as tx:
        used = tx.query("SELECT terminal_id FROM token_uses WHERE replay_id = ?", (replay_id,))
    assert [str(r[0]) for r in used] == [rig.terminal_id]
    rig.till.clear_member()
    assert refused(rig, text) is Refusal.REPLAYED  # single use, even after the sync
    assert_verify_passes(ledger)


def test_key_rollover_and_revocation_reach_an_offline_till_at_its_next_sync(
    any_ledger: LedgerUnderTest, root_key: Path, new_till
):
    ledger = any_ledger
    (card,) = ledger.add_members(200)
    rig = new_till(ledger, member_qr_root=root_public(ledger))
    assert rig.sync()
    member_id = ledger.member(card).member_id
    # Tokens the current app key signs, as members' phones hold them.
    held = [app_token(ledger, card) for _ in range(4)]
    old_key = key_of(held[0])
    assert identified(rig, held[0]) == member_id

    # Rollover, decided while the till is offline: the new key signs from now on.
    rig.link.set_connected(False)
    ok(ledger.db_url, "qr-keys", "add", "--use", "app", "--root-key", str(root_key))
    signed_by_new = app_token(ledger, card)
    assert key_of(signed_by_new) > old_key
    assert refused(rig, signed_by_new) is Refusal.UNKNOWN_KEY  # not known here yet
    rig.link.set_connected(True)
    assert rig.sync()
    assert identified(rig, signed_by_new) == member_id
    assert identified(rig, held[1]) == member_id  # both keys hold during the rollover

    # Revocation of the old key, decided while the till is offline.
    rig.link.set_connected(False)
    ok(ledger.db_url, "qr-keys", "revoke", str(old_key), "--root-key", str(root_key))
    assert identified(rig, held[2]) == member_id  # the till cannot know yet
    rig.link.set_connected(True)
    assert rig.sync()
    assert refused(rig, held[3]) is Refusal.REVOKED
    with pytest.raises(TokenRefused, match="revoked"):
        rig.till.scan(held[3])
    assert identified(rig, app_token(ledger, card)) == member_id  # the new key signs on
    # The card key was not touched: a printed card's token still identifies.
    assert identified(rig, ok(ledger.db_url, "qr", card).out.strip()) == member_id

"""A till the ledger does not trust is refused, records nothing, and loses nothing.

Missing, unknown and revoked tokens, and a token used to push another terminal's
events, are refused (401/403). The till's sync then says ``refused``, the ledger
holds none of its events, and the events stay pending in the journal (nothing is
parked for a manager: the token is the problem, not the events). Once a valid token
is configured, they go through, once.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from pos_client.store import CachedMember
from tests.integration.ledger.support import fresh_terminal_name
from tests.integration.sync.rig import (
    LedgerUnderTest,
    TillRig,
    assert_in_agreement,
    assert_verify_passes,
)
from tests.integration.sync.transports import WithoutToken


def seed_member(rig: TillRig, card: str, points: int) -> None:
    """Put a member in the till's cache as an install would, without the ledger."""
    rig.till.store.members.upsert_many(
        [
            CachedMember(
                card, "M" + card, "Kari", "basic", "active", False, "", accounts={"points": points}
            )
        ]
    )


def record_some(rig: TillRig, card: str) -> None:
    """Earns only: a till that never reached the ledger may not redeem offline."""
    rig.earn(card, "100.00")
    rig.earn(card, "40.00")
    rig.earn(card, "60.00")


def assert_refused_and_kept(ledger: LedgerUnderTest, rig: TillRig, *terminal_ids: str) -> None:
    assert not rig.sync()
    status = rig.link.status
    assert status.state == "refused", status
    assert status.pending == len(rig.journal()) == 3
    assert status.parked == ()
    for terminal_id in terminal_ids:
        assert ledger.events(terminal_id) == []
    # A restart keeps them, still pending.
    rig.reopen()
    assert rig.pending() == 3


def make_till(ledger: LedgerUnderTest, tmp_path: Path, terminal_id: str, token: str) -> TillRig:
    return TillRig(ledger, tmp_path / terminal_id, terminal_id, token)


@pytest.mark.parametrize("problem", ["missing", "unknown", "forged terminal id"])
def test_a_refused_till_records_nothing_at_the_ledger_and_goes_through_with_a_valid_token(
    ledger: LedgerUnderTest, tmp_path: Path, problem: str
):
    (card,) = ledger.add_members(500)
    own_id = fresh_terminal_name("A")
    if problem == "missing":
        valid = ledger.handle.add_terminal(own_id)
        rig = make_till(ledger, tmp_path, own_id, valid)
        rig.link.transport.inner = WithoutToken()
        watched = [own_id]
    elif problem == "unknown":
        valid = ledger.handle.add_terminal(own_id)
        rig = make_till(ledger, tmp_path, own_id, "plt_" + secrets.token_urlsafe(32))
        watched = [own_id]
    else:
        other_id, other_token = ledger.add_terminal("B")
        rig = make_till(ledger, tmp_path, own_id, other_token)
        valid = ledger.handle.add_terminal(own_id)
        watched = [own_id, other_id]
    try:
        seed_member(rig, card, 500)
        record_some(rig, card)
        assert_refused_and_kept(ledger, rig, *watched)

        rig.reopen(token=valid)
        assert rig.sync()
        assert_in_agreement(ledger, rig, [card])
        assert ledger.balance(card) == 500 + 100 + 40 + 60
        for terminal_id in watched[1:]:
            assert ledger.events(terminal_id) == []
    finally:
        rig.close()
    assert_verify_passes(ledger)


def test_a_revoked_till_is_refused_from_its_next_request_and_keeps_its_events(
    ledger: LedgerUnderTest, new_till
):
    (card,) = ledger.add_members(500)
    rig = new_till(ledger)
    assert rig.sync()
    rig.earn(card, "10.00")
    assert rig.sync()
    assert len(ledger.events(rig.terminal_id)) == 1

    ledger.revoke(rig.terminal_id)
    rig.earn(card, "100.00")
    rig.earn(card, "40.00")
    rig.redeem(card, 100)
    assert not rig.sync()
    assert rig.link.status.state == "refused"
    assert rig.pending() == 3 and rig.link.status.parked == ()
    assert len(ledger.events(rig.terminal_id)) == 1
    assert rig.shown(card) == 510 + 100 + 40 - 100
    rig.reopen()
    assert rig.pending() == 3
    assert_verify_passes(ledger)

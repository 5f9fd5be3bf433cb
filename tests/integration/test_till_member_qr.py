"""A member's QR token at the till, offline: the member identified (cached or never
seen), every refusal in a cashier's words, replay, card generation, and the keyset
reaching the till through the changes feed, on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from loyalty.cards import make_card_number
from loyalty.errors import RedemptionRefused
from loyalty.events import EventKind
from loyalty.programme.default import simple_programme_document
from loyalty.token_check import Refusal, TokenRefused
from pos_client.config import LedgerConfig, MemberQrConfig, TillConfig
from pos_client.errors import CardReplaced, UnsupportedScan
from pos_client.store.sync_side import LAST_SYNC_AT, StoreSyncSide
from pos_client.store.token_memory import held_keyset
from pos_client.till import Till
from sync.protocol import KeysetChange
from tests import token_fixtures as tokens
from tests.conftest import member
from tests.integration.test_offline_redemption import iso, receive_version

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
KARI = make_card_number(1)
STRANGER = make_card_number(4242)


def receive_keyset(till: Till, signed: tokens.SignedKeyset, change: int = 1) -> None:
    """A pull that brings ``signed`` in the changes feed."""
    side = StoreSyncSide(till.store, till.config.member_qr.root_key)
    side.begin_pull()
    side.stage_changes([KeysetChange(**signed.to_json(), change=change)])
    side.finish_pull(next_cursor=str(change), high_water=0, fresh=False)


@pytest.fixture
def clock() -> list[datetime]:
    return [NOW]


@pytest.fixture
def qr_till(till_config: TillConfig, clock: list[datetime]) -> Iterator[Till]:
    """A till that trusts the test root key and holds keyset 1, with Kari cached."""
    config = replace(till_config, member_qr=MemberQrConfig(root_key=tokens.ROOT_PUBLIC))
    till = Till.open(config, clock=lambda: clock[0])
    till.store.members.upsert_many([member(1, 1000, "Kari Nordmann")])
    receive_keyset(till, tokens.keyset())
    try:
        yield till
    finally:
        till.close()


def refusal(till: Till, text: str) -> Refusal:
    with pytest.raises(TokenRefused) as refused:
        till.scan(text)
    assert till.member is None
    return refused.value.refusal


def test_a_cached_member_is_identified_by_their_token_and_events_say_so(qr_till: Till):
    text = tokens.token(NOW, KARI, "M000001", balance=900)
    shown = qr_till.scan(text)
    assert (shown.name, shown.balance) == ("Kari Nordmann", 1000)  # the cache, not the token
    receipt = qr_till.earn("100")
    event = qr_till.store.journal.recent(1)[0]
    assert receipt.points == 100
    replay_id = f"{0x82}.{tokens.ISSUER}.{tokens.APP_KEY_ID}.1.{int(NOW.timestamp())}"
    assert event.content["identified_by"]["via"] == "token"
    assert event.content["identified_by"]["replay_id"].startswith(replay_id)
    qr_till.scan(KARI)  # the card now: no token named
    qr_till.earn("10")
    assert "identified_by" not in qr_till.store.journal.recent(1)[0].content


def test_a_member_never_seen_earns_at_once_and_redeems_up_to_the_certified_balance(
    qr_till: Till,
):
    text = tokens.token(NOW, STRANGER, "M424242", balance=300, tier="gold")
    shown = qr_till.scan(text)
    assert (shown.member_id, shown.card, shown.tier, shown.balance) == (
        "M424242",
        STRANGER,
        "gold",
        300,
    )
    assert qr_till.earn("50").balance_after == 350
    assert qr_till.redeem(350).balance_after == 0
    qr_till.scan(STRANGER)  # the card itself now finds the member the token named
    with pytest.raises(RedemptionRefused):
        qr_till.redeem(1)
    redeem, sale = qr_till.store.journal.recent(2)
    assert sale.kind is EventKind.SALE and redeem.kind is EventKind.REDEEM
    assert {sale.member_id, redeem.member_id} == {"M424242"}


def test_every_refusal_is_in_the_cashiers_words_and_selects_nobody(
    qr_till: Till, clock: list[datetime]
):
    qr_till.scan(KARI)
    assert refusal(qr_till, tokens.token(NOW - timedelta(days=3), KARI, "M000001")) is (
        Refusal.EXPIRED
    )
    assert refusal(qr_till, tokens.token(NOW + timedelta(hours=1), KARI, "M000001")) is (
        Refusal.NOT_YET_VALID
    )
    text = tokens.token(NOW, KARI, "M000001")
    assert refusal(qr_till, text[:-3]) is Refusal.DAMAGED
    assert refusal(qr_till, text[:-3] + "ABC") is Refusal.BAD_SIGNATURE
    assert refusal(qr_till, tokens.token(NOW, KARI, "M000001", issuer=1)) is (
        Refusal.OTHER_PROGRAMME
    )
    assert refusal(qr_till, tokens.token(NOW, KARI, "M000001", key_id=3)) is Refusal.UNKNOWN_KEY
    with pytest.raises(TokenRefused, match=r"has expired\. Ask the member to refresh it"):
        qr_till.scan(tokens.token(NOW - timedelta(days=3), KARI, "M000001"))
    clock[0] = NOW + timedelta(minutes=4)  # within the clock tolerance of five minutes
    assert qr_till.scan(tokens.token(NOW + timedelta(minutes=8), KARI, "M000001")).name


def test_a_single_use_token_identifies_once_at_this_till_even_after_a_restart(
    qr_till: Till, clock: list[datetime]
):
    text = tokens.token(NOW, KARI, "M000001")
    qr_till.scan(text)
    assert qr_till.scan(text).name == "Kari Nordmann"  # again while Kari is at the till
    qr_till.clear_member()
    assert refusal(qr_till, text) is Refusal.REPLAYED
    config = qr_till.config
    qr_till.close()
    reopened = Till.open(config, clock=lambda: clock[0])
    try:
        assert refusal(reopened, text) is Refusal.REPLAYED
        multi = tokens.token(NOW, KARI, "M000001", key_id=tokens.CARD_KEY_ID, single_use=False)
        reopened.scan(multi)
        reopened.clear_member()
        assert reopened.scan(multi).name == "Kari Nordmann"  # a printed card's: reusable
    finally:
        reopened.close()


def test_a_refused_member_does_not_use_up_a_single_use_token(qr_till: Till):
    qr_till.store.members.upsert_many([member(5, 10, "Per Blokk", status="blocked")])
    text = tokens.token(NOW, make_card_number(5), "M000005")
    for _ in range(2):
        with pytest.raises(Exception, match="blocked"):
            qr_till.scan(text)


def test_a_token_from_before_a_card_replacement_is_refused(qr_till: Till):
    old = tokens.token(NOW, KARI, "M000001", generation=1)
    new_card = make_card_number(11)
    qr_till.store.members.upsert_many([replace(member(1, 1000, "Kari Nordmann"), card=new_card)])
    assert refusal(qr_till, old) is Refusal.OLD_CARD
    assert qr_till.scan(tokens.token(NOW, new_card, "M000001", generation=2)).card == new_card
    # A second-generation token naming the old card: the card itself is out of use.
    with pytest.raises(CardReplaced):
        qr_till.scan(tokens.token(NOW, KARI, "M000001", generation=2, nonce=9))


def test_the_keyset_is_stored_only_when_the_root_signed_it_and_it_is_newer(qr_till: Till):
    settings = qr_till.store.settings
    root = qr_till.config.member_qr.root_key
    receive_keyset(qr_till, tokens.keyset(number=3, revoked=(tokens.APP_KEY_ID,)), change=2)
    held = held_keyset(settings, root)
    assert held is not None and (held.number, held.revoked) == (3, {tokens.APP_KEY_ID})
    receive_keyset(qr_till, tokens.keyset(number=2), change=3)  # an older one replayed
    forged = tokens.keyset(number=9)
    forged = replace(forged, signature=tokens.keyset(number=8).signature)
    receive_keyset(qr_till, forged, change=4)
    held = held_keyset(settings, root)
    assert held is not None and held.number == 3
    assert refusal(qr_till, tokens.token(NOW, KARI, "M000001")) is Refusal.REVOKED


def test_a_till_without_a_root_key_refuses_member_codes_and_trusts_no_keyset(
    till: Till,
):
    receive_keyset(till, tokens.keyset())
    assert held_keyset(till.store.settings, tokens.ROOT_PUBLIC) is None
    with pytest.raises(UnsupportedScan, match="not set up at this till"):
        till.scan(tokens.token(NOW, KARI, "M000001"))


def test_offline_a_member_never_seen_redeems_within_the_daily_cap_and_the_certificate(
    qr_till: Till, clock: list[datetime]
):
    """A till away from its ledger (port 9 answers nothing), synced two hours ago, under
    a version capping offline redemptions at 300 points a day."""
    config = replace(qr_till.config, ledger=LedgerConfig(url="http://127.0.0.1:9", token="t"))
    qr_till.close()
    till = Till.open(config, clock=lambda: clock[0])
    try:
        receive_version(
            till, simple_programme_document(offline_redeem_cap=300, max_offline_hours=72)
        )
        till.store.settings.set(LAST_SYNC_AT, iso(datetime.now(UTC) - timedelta(hours=2)))
        till.scan(tokens.token(NOW, STRANGER, "M424242", balance=1000))
        till.redeem(250)
        with pytest.raises(RedemptionRefused, match="at most 300 points a day here; 50 are left"):
            till.redeem(100)
        poorer = make_card_number(4343)
        till.scan(tokens.token(NOW, poorer, "M434343", balance=140, nonce=2))
        with pytest.raises(RedemptionRefused, match="140"):
            till.redeem(200)  # beyond the certified balance, though within the cap
        assert till.redeem(140).balance_after == 0
    finally:
        till.close()

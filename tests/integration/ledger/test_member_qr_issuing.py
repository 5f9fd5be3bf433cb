"""``pos-ledger qr CARD``, through the real entry point, on SQLite and PostgreSQL: the
fields a token certifies (card generation, balance of the main wallet, tier), the
token passing the till's offline check with the published keyset, the QR code file
read back from its pixels, and every refusal in words."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import segno

from ledger.cli import open_ledger
from ledger.qr_issuing import issue_token
from loyalty.member_token import MAX_NAMES, TokenUse, read
from loyalty.token_check import Refusal, TokenRefused, check_token
from tests.integration.ledger.qr_support import (
    cli,
    import_member,
    ok,
    read_png_qr,
    set_up_keys,
    stored_keyset,
)
from tests.integration.ledger.support import fresh_card


def test_a_card_token_certifies_the_member_and_passes_the_offline_check(
    fresh_db_url: str, tmp_path: Path
) -> None:
    set_up_keys(fresh_db_url, tmp_path)
    card = fresh_card()
    member = import_member(fresh_db_url, tmp_path, card, tier="gold", balance=1250)
    before = int(time.time())
    ran = ok(fresh_db_url, "qr", card)
    text = ran.out.strip()
    token = check_token(text, stored_keyset(fresh_db_url), int(time.time())).token
    assert (token.use, token.single_use, token.valid_hours) == (TokenUse.CARD, False, 17_520)
    assert (token.card, token.member_id, token.tier) == (card, member, "gold")
    assert (token.card_generation, token.balance, token.issuer) == (1, 1250, 4711)
    assert before <= token.issued_at == token.balance_as_of <= int(time.time())
    assert not text.endswith(" ")
    assert f"replay id {token.replay_id}" in ran.err and "multi-use card token" in ran.err

    app = read(ok(fresh_db_url, "qr", card, "--app").out.strip()).token
    assert (app.use, app.single_use, app.valid_hours, app.key_id) == (TokenUse.APP, True, 48, 1)
    assert token.key_id == 2


def test_the_card_generation_rises_when_the_card_is_replaced(
    fresh_db_url: str, tmp_path: Path
) -> None:
    set_up_keys(fresh_db_url, tmp_path)
    old, new, newest = fresh_card(), fresh_card(), fresh_card()
    import_member(fresh_db_url, tmp_path, old, balance=40)
    first = ok(fresh_db_url, "qr", old, "--app").out.strip()
    ok(fresh_db_url, "card", "replace", old, new)
    second = ok(fresh_db_url, "qr", new, "--app").out.strip()
    ok(fresh_db_url, "card", "replace", new, newest)
    third = ok(fresh_db_url, "qr", newest).out.strip()
    tokens = [read(t).token for t in (first, second, third)]
    assert [(t.card, t.card_generation) for t in tokens] == [(old, 1), (new, 2), (newest, 3)]
    keyset, now = stored_keyset(fresh_db_url), int(time.time())
    # A till that knows of the two replacements (minimum generation 3) refuses the older.
    for text in (first, second):
        with pytest.raises(TokenRefused) as refused:
            check_token(text, keyset, now, min_generation=3)
        assert refused.value.refusal is Refusal.OLD_CARD
    assert check_token(third, keyset, now, min_generation=3).token.balance == 40
    replaced = cli(fresh_db_url, "qr", old)
    assert replaced.status == 1 and f"card is now {newest}" in replaced.err


def test_the_balance_is_the_main_wallet_of_the_programme_in_force(
    fresh_db_url: str, tmp_path: Path
) -> None:
    set_up_keys(fresh_db_url, tmp_path)
    card = fresh_card()
    import_member(fresh_db_url, tmp_path, card, balance=777)
    examples = Path(__file__).resolve().parents[3] / "examples" / "programmes"
    ok(
        fresh_db_url,
        "rules",
        "publish",
        str(examples / "starbucks.toml"),
        "--effective-from",
        "now",
    )
    db, _ = open_ledger(fresh_db_url)
    try:
        with db.snapshot() as tx:
            starred = issue_token(tx, TokenUse.CARD, card=card)  # stars: the member has none
            imported = tx.one("SELECT accounts FROM members WHERE card = ?", (card,))
    finally:
        db.close()
    assert starred.token.balance == 0 and imported is not None and '"points":777' in imported[0]


def test_qr_out_writes_a_level_m_code_of_version_7_at_most_that_reads_back(
    fresh_db_url: str, tmp_path: Path
) -> None:
    set_up_keys(fresh_db_url, tmp_path)
    card = fresh_card()
    import_member(fresh_db_url, tmp_path, card, tier="platinum", member_id="MBR-0000987654")
    png, svg = tmp_path / "card.png", tmp_path / "card.svg"
    text = ok(fresh_db_url, "qr", card, "--out", str(png)).out.strip()
    assert len(text) == 178  # the largest token: 22 bytes of names
    assert read_png_qr(png) == text
    assert segno.make_qr(text, error="m", boost_error=False).version == 7
    ran = ok(fresh_db_url, "qr", card, "--app", "--out", str(svg))
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert "version 7, level M" in ran.err
    wrong = cli(fresh_db_url, "qr", card, "--out", str(tmp_path / "card.jpg"))
    assert wrong.status == 1 and "name it .svg or .png" in wrong.err and wrong.out == ""


def test_issuing_is_refused_in_words_for_members_and_cards_it_cannot_serve(
    fresh_db_url: str, tmp_path: Path
) -> None:
    unset = cli(fresh_db_url, "qr", fresh_card())
    assert unset.status == 1 and "qr-keys init --root-key FILE" in unset.err
    root = tmp_path / "root.key"
    ok(fresh_db_url, "qr-keys", "init", "--root-key", str(root))
    card, blocked, kept, merged, long_ids = (fresh_card() for _ in range(5))
    import_member(fresh_db_url, tmp_path, card)
    no_key = cli(fresh_db_url, "qr", card)
    assert no_key.status == 1
    assert "No card key signs now: run pos-ledger qr-keys add --use card" in no_key.err
    ok(fresh_db_url, "qr-keys", "add", "--use", "card", "--root-key", str(root))
    unknown = fresh_card()
    ran = cli(fresh_db_url, "qr", unknown)
    assert ran.status == 1 and f"No member has card {unknown}" in ran.err
    import_member(fresh_db_url, tmp_path, blocked)
    ok(fresh_db_url, "member", "block", blocked)
    ran = cli(fresh_db_url, "qr", blocked)
    assert ran.status == 1 and "is blocked" in ran.err
    import_member(fresh_db_url, tmp_path, kept)
    import_member(fresh_db_url, tmp_path, merged)
    ok(fresh_db_url, "member", "merge", kept, merged)
    ran = cli(fresh_db_url, "qr", merged)
    assert ran.status == 1 and f"merged into M{kept}" in ran.err
    member_id = "M" + "9" * (MAX_NAMES - len("platinum"))  # one byte too many
    import_member(fresh_db_url, tmp_path, long_ids, tier="platinum", member_id=member_id)
    ran = cli(fresh_db_url, "qr", long_ids)
    assert ran.status == 1 and f"take {MAX_NAMES + 1} bytes" in ran.err and ran.out == ""
    assert read(ok(fresh_db_url, "qr", kept).out.strip()).token.card_generation == 2

"""``pos-ledger qr-keys``, through the real entry point, on SQLite and PostgreSQL: the
root key kept in a file, never in the database; rollover and revocation published as
keysets the root key signs; the changes feed carrying the newest keyset once; bad
input refused with the reason and nothing stored."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loyalty.member_token import TokenUse, read
from loyalty.token_check import check_token
from loyalty.token_keys import public_hex, verified_keyset
from tests.integration.ledger.qr_support import (
    cli,
    import_member,
    keyset_changes,
    ok,
    set_up_keys,
    stored_keyset,
)
from tests.integration.ledger.support import fresh_card
from tests.integration.ledger.support import query_db as sql


def _stored(db_url: str) -> tuple[object, ...]:
    """(settings, keys, keysets) rows: what a refused command must leave alone."""
    return (
        sql(db_url, "SELECT issuer, root_public_key, keyset_number FROM qr_settings"),
        sql(db_url, "SELECT key_id, use, revoked_at FROM qr_keys ORDER BY key_id"),
        sql(db_url, "SELECT number, change_no FROM qr_keysets ORDER BY number"),
    )


def test_init_writes_a_private_root_key_file_and_stores_only_its_public_half(
    fresh_db_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "root.key"
    ran = ok(fresh_db_url, "qr-keys", "init", "--root-key", str(root))
    assert stat.S_IMODE(root.stat().st_mode) == 0o600
    seed = bytes.fromhex(root.read_text(encoding="ascii").strip())
    public = public_hex(Ed25519PrivateKey.from_private_bytes(seed))
    assert f'[member_qr]\nroot_key = "{public}"' in ran.out
    ((issuer, stored_public, number),) = sql(
        fresh_db_url, "SELECT issuer, root_public_key, keyset_number FROM qr_settings"
    )
    assert 0 <= int(issuer) <= 0xFFFF and stored_public == public and number == 0
    assert f"issuer {issuer}" in ran.out
    everything = json.dumps(
        [sql(fresh_db_url, f"SELECT * FROM {t}") for t in ("qr_settings", "audit")]
    )
    assert seed.hex() not in everything

    again = cli(fresh_db_url, "qr-keys", "init", "--root-key", str(tmp_path / "other.key"))
    assert again.status == 1 and "set up at this ledger already" in again.err
    assert not (tmp_path / "other.key").exists()


def test_init_never_overwrites_a_file_and_stores_nothing_then(
    fresh_db_url: str, tmp_path: Path
) -> None:
    existing = tmp_path / "root.key"
    existing.write_text("precious\n", encoding="utf-8")
    ran = cli(fresh_db_url, "qr-keys", "init", "--root-key", str(existing))
    assert ran.status == 1 and "never overwritten" in ran.err
    assert existing.read_text(encoding="utf-8") == "precious\n"
    bad_issuer = cli(
        fresh_db_url, "qr-keys", "init", "--root-key", str(tmp_path / "r.key"), "--issuer", "70000"
    )
    assert bad_issuer.status == 1 and "--issuer" in bad_issuer.err
    assert not (tmp_path / "r.key").exists()
    assert _stored(fresh_db_url) == ([], [], [])
    listed = cli(fresh_db_url, "qr-keys", "list")
    assert listed.status == 1 and "qr-keys init --root-key FILE" in listed.err


def test_a_root_key_file_that_is_not_the_programmes_is_refused_and_nothing_changes(
    fresh_db_url: str, tmp_path: Path
) -> None:
    root = set_up_keys(fresh_db_url, tmp_path)
    before = _stored(fresh_db_url)
    other = tmp_path / "other.key"
    other.write_text(Ed25519PrivateKey.generate().private_bytes_raw().hex() + "\n")
    other.chmod(0o600)
    for args in (("add", "--use", "app"), ("revoke", "1")):
        ran = cli(fresh_db_url, "qr-keys", *args, "--root-key", str(other))
        assert ran.status == 1 and "is not this programme's" in ran.err
    root.chmod(0o644)
    readable = cli(fresh_db_url, "qr-keys", "add", "--use", "app", "--root-key", str(root))
    assert readable.status == 1 and f"chmod 600 {root}" in readable.err
    garbage = tmp_path / "garbage.key"
    garbage.write_text("not a key\n")
    garbage.chmod(0o600)
    malformed = cli(fresh_db_url, "qr-keys", "revoke", "1", "--root-key", str(garbage))
    assert malformed.status == 1 and "does not hold a root key" in malformed.err
    missing = cli(fresh_db_url, "qr-keys", "revoke", "1", "--root-key", str(tmp_path / "nope"))
    assert missing.status == 1 and "no root key file" in missing.err
    assert _stored(fresh_db_url) == before


def test_bad_key_options_are_refused_with_the_reason_and_store_nothing(
    fresh_db_url: str, tmp_path: Path
) -> None:
    root = set_up_keys(fresh_db_url, tmp_path)
    before = _stored(fresh_db_url)
    add = ("qr-keys", "add", "--use", "app", "--root-key", str(root))
    for extra, words in (
        (("--days", "0"), "--days must be from 1"),
        (("--starts", "2001-01-01"), "is in the past"),
        (("--starts", "next tuesday"), "is not a time like"),
    ):
        ran = cli(fresh_db_url, *add, *extra)
        assert ran.status == 1 and words in ran.err, ran.err
    for key_id, words in (("99", "no member QR key 99"),):
        ran = cli(fresh_db_url, "qr-keys", "revoke", key_id, "--root-key", str(root))
        assert ran.status == 1 and words in ran.err
    assert _stored(fresh_db_url) == before


def test_rollover_two_app_keys_valid_and_the_newest_signs(
    fresh_db_url: str, tmp_path: Path
) -> None:
    root = set_up_keys(fresh_db_url, tmp_path)  # key 1 app, key 2 card
    card = fresh_card()
    import_member(fresh_db_url, tmp_path, card, balance=300)
    first = ok(fresh_db_url, "qr", card, "--app").out.strip()
    assert read(first).token.key_id == 1
    ok(fresh_db_url, "qr-keys", "add", "--use", "app", "--root-key", str(root))  # key 3
    later = ok(
        fresh_db_url,
        *("qr-keys", "add", "--use", "app", "--root-key", str(root)),
        *("--starts", "2099-01-01T00:00Z"),
    )
    assert "from 2099-01-01T00:00:00Z" in later.out  # key 4: listed ahead, signs then
    keyset = stored_keyset(fresh_db_url)
    assert keyset.number == 4 and keyset.issuer == 4711 and not keyset.revoked
    assert sorted(k.key_id for k in keyset.keys) == [1, 2, 3, 4]
    assert {k.key_id: k.use for k in keyset.keys}[3] is TokenUse.APP
    listing = ok(fresh_db_url, "qr-keys", "list").out.splitlines()
    states = {line.split("\t")[0]: line.split("\t")[-1] for line in listing[:-1]}
    assert states == {
        "1": "valid, a newer key signs",
        "2": "signs now",
        "3": "signs now",
        "4": "starts later",
    }
    assert listing[-1].startswith("Issuer 4711, keyset 4")
    second = ok(fresh_db_url, "qr", card, "--app").out.strip()
    assert read(second).token.key_id == 3
    now = int(time.time())
    for text in (first, second):  # both keys' tokens pass during the overlap
        assert check_token(text, keyset, now).token.balance == 300


def test_revoking_a_key_publishes_a_higher_keyset_listing_it_revoked(
    fresh_db_url: str, tmp_path: Path
) -> None:
    root = set_up_keys(fresh_db_url, tmp_path)
    ok(fresh_db_url, "qr-keys", "add", "--use", "app", "--root-key", str(root))  # key 3
    card = fresh_card()
    import_member(fresh_db_url, tmp_path, card)
    by_key_3 = ok(fresh_db_url, "qr", card, "--app").out.strip()
    before = stored_keyset(fresh_db_url)
    ran = ok(fresh_db_url, "qr-keys", "revoke", "3", "--root-key", str(root))
    assert "Keyset 4 lists it as revoked" in ran.out
    after = stored_keyset(fresh_db_url)
    assert (before.number, after.number) == (3, 4)
    assert after.revoked == {3} and sorted(k.key_id for k in after.keys) == [1, 2]
    refused = cli(fresh_db_url, "qr-keys", "revoke", "3", "--root-key", str(root))
    assert refused.status == 1 and "revoked already" in refused.err
    assert stored_keyset(fresh_db_url).number == 4
    now = int(time.time())
    assert check_token(by_key_3, before, now).token.key_id == 3
    with pytest.raises(Exception, match="revoked"):
        check_token(by_key_3, after, now)
    assert read(ok(fresh_db_url, "qr", card, "--app").out.strip()).token.key_id == 1
    ok(fresh_db_url, "qr-keys", "revoke", "1", "--root-key", str(root))
    none_left = cli(fresh_db_url, "qr", card, "--app")
    assert none_left.status == 1
    assert "no app key signs now: run pos-ledger qr-keys add --use app" in none_left.err.lower()
    actions = sql(fresh_db_url, "SELECT action, subject FROM audit ORDER BY audit_id")
    assert [a for a in actions if a[0] == "qr_keys.revoke"] == [
        ("qr_keys.revoke", "3"),
        ("qr_keys.revoke", "1"),
    ]


def test_the_feed_carries_the_newest_keyset_once_signed_by_the_root_key(
    fresh_db_url: str, tmp_path: Path
) -> None:
    root = set_up_keys(fresh_db_url, tmp_path)  # keysets 1 and 2
    import_member(fresh_db_url, tmp_path, fresh_card())
    root_public = (
        [line for line in ok(fresh_db_url, "qr-keys", "list").out.splitlines()][-1]
        .split("root public key ")[1]
        .rstrip(".")
    )
    changes, cursor = keyset_changes(fresh_db_url, "QR-T1", None)
    assert len(changes) == 1
    (change,) = changes
    assert change.type == "keyset"
    keyset = verified_keyset(change.document, change.signature, root_public)
    assert keyset.number == 2 and sorted(k.key_id for k in keyset.keys) == [1, 2]
    assert keyset_changes(fresh_db_url, "QR-T1", cursor)[0] == []  # pulled again: nothing
    ok(fresh_db_url, "qr-keys", "revoke", "1", "--root-key", str(root))
    (newer,), _ = keyset_changes(fresh_db_url, "QR-T1", cursor)
    assert newer.type == "keyset" and newer.change > change.change
    assert verified_keyset(newer.document, newer.signature, root_public).revoked == {1}
    with pytest.raises(Exception, match="root key"):
        verified_keyset(newer.document, newer.signature, public_hex(Ed25519PrivateKey.generate()))


def test_an_init_whose_key_file_cannot_be_written_stores_nothing(
    fresh_db_url: str, tmp_path: Path
) -> None:
    """init writes the file last inside its transaction: when the file cannot be
    written, the settings roll back, and init can be run again."""
    ran = cli(fresh_db_url, "qr-keys", "init", "--root-key", str(tmp_path / "no-dir" / "root.key"))
    assert ran.status == 1 and "Cannot create the root key file" in ran.err
    assert _stored(fresh_db_url) == ([], [], [])
    assert sql(fresh_db_url, "SELECT action FROM audit") == []
    ok(fresh_db_url, "qr-keys", "init", "--root-key", str(tmp_path / "root.key"))

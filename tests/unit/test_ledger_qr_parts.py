"""The ledger's member QR parts that need no database: the single-use replay ids the
intake records, the nonce drawn again for a text ending in a space, the QR code
refused above version 7, and the root key file kept private."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import qr_issuing
from ledger.errors import AdminError
from ledger.qr_image import write_token_qr
from ledger.qr_issuing import IssueRefused, sign_token
from ledger.qr_root import load_root_key, write_root_file
from ledger.token_uses import single_use_replay_id
from loyalty.member_token import MAX_TEXT, PREFIX, MemberToken, TokenUse
from loyalty.token_keys import public_hex

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
TOKEN = MemberToken(
    use=TokenUse.APP,
    single_use=True,
    issuer=4711,
    key_id=1,
    issued_at=1_772_449_200,
    valid_hours=48,
    card="2900000042421",
    card_generation=1,
    balance=10,
    balance_as_of=1_772_449_200,
    nonce=0,
    tier="gold",
    member_id="M004242",
)


@pytest.mark.parametrize(
    ("identified_by", "expected"),
    [
        ({"via": "token", "replay_id": "130.4711.1.1.1772449200.1.M1"}, True),
        ({"via": "token", "replay_id": "129.4711.1.1.1772449200.1.M1"}, True),
        ({"via": "token", "replay_id": "2.4711.1.1.1772449200.1.M1"}, False),
        ({"via": "token", "replay_id": "1.4711.2.3.1769860800.7.M1"}, False),
        ({"via": "token", "replay_id": "x30.4711"}, False),
        ({"via": "token", "replay_id": "١٣٠.4711"}, False),  # digits, but not ASCII
        ({"via": "token", "replay_id": ""}, False),
        ({"via": "card", "replay_id": "130.4711"}, False),
        (None, False),
    ],
)
def test_only_single_use_replay_ids_are_recorded(identified_by: Any, expected: bool) -> None:
    content = {} if identified_by is None else {"identified_by": identified_by}
    found = single_use_replay_id(content)
    assert found == (identified_by["replay_id"] if expected else None)


def test_a_text_ending_in_a_space_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Base45 never ends a text in a space (docs/MEMBER_QR.md), but the issuer does not
    rest on that: a text that would end in one gets the next nonce."""
    real = qr_issuing.issue

    def spacey(token: MemberToken, key: Ed25519PrivateKey) -> str:
        return real(token, key) + (" " if token.nonce == 7 else "")

    monkeypatch.setattr(qr_issuing, "issue", spacey)
    assert sign_token(TOKEN, KEY, nonces=[7, 8]).token.nonce == 8
    with pytest.raises(IssueRefused, match="ends in a space"):
        sign_token(TOKEN, KEY, nonces=[7])


def test_random_nonces_are_16_bit() -> None:
    drawn = {sign_token(TOKEN, KEY).token.nonce for _ in range(50)}
    assert len(drawn) > 40 and all(0 <= n <= 0xFFFF for n in drawn)


def test_a_field_a_token_cannot_hold_is_refused_in_words() -> None:
    with pytest.raises(IssueRefused, match="not printable ASCII"):
        sign_token(replace(TOKEN, tier="gull d"), KEY, nonces=[1])


def test_a_text_needing_version_8_is_refused_and_nothing_written(tmp_path: Path) -> None:
    largest = PREFIX + "A" * (MAX_TEXT - len(PREFIX))
    assert write_token_qr(largest, tmp_path / "ok.svg") == 7
    target = tmp_path / "big.png"
    with pytest.raises(AdminError, match="version 8"):
        write_token_qr(largest + "A", target)
    assert not target.exists()


def test_the_root_key_file_is_private_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    old = os.umask(0)
    try:
        write_root_file(path, KEY)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert public_hex(load_root_key(path)) == public_hex(KEY)
    with pytest.raises(AdminError, match="never overwritten"):
        write_root_file(path, Ed25519PrivateKey.generate())
    assert public_hex(load_root_key(path)) == public_hex(KEY)
    path.chmod(0o640)
    with pytest.raises(AdminError, match="chmod 600"):
        load_root_key(path)

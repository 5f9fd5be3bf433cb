"""The ledger's issuer against the member token vectors (tests/vectors/member_tokens.json):
given each issued vector's fields and its key's seed, the ledger's signing code gives
exactly the vector's QR text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.qr_issuing import sign_token
from ledger.qr_keys import TOKEN_HOURS
from loyalty import base45
from loyalty.member_token import PREFIX, MemberToken, TokenUse

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "member_tokens.json"


def _load() -> dict[str, Any]:
    return dict(json.loads(VECTORS.read_text(encoding="utf-8")))


def _issued() -> list[Any]:
    return [pytest.param(v, id=v["name"]) for v in _load()["vectors"] if v["issued"]]


def _token(fields: dict[str, Any]) -> MemberToken:
    return MemberToken(**{**fields, "use": TokenUse[fields["use"].upper()]})


@pytest.mark.parametrize("vector", _issued())
def test_the_ledgers_signing_gives_every_issued_vectors_text(vector: dict[str, Any]) -> None:
    keys = {k["key_id"]: k for k in _load()["signing_keys"]}
    fields = vector["token"]
    key = Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex(keys[fields["key_id"]]["private_seed_hex"])
    )
    issued = sign_token(_token(fields), key, nonces=[fields["nonce"]])
    assert issued.text == vector["qr_text"]
    assert issued.replay_id == vector["replay_id"]
    assert base45.decode(issued.text.removeprefix(PREFIX)).hex() == vector["raw_hex"]


def test_the_vectors_cover_both_uses_and_the_app_tokens_validity() -> None:
    issued = [v["token"] for v in _load()["vectors"] if v["issued"]]
    assert {t["use"] for t in issued} == {"app", "card"}
    app = [t for t in issued if t["use"] == "app" and t["issuer"] == 4711]
    assert {t["valid_hours"] for t in app} == {TOKEN_HOURS[TokenUse.APP]}

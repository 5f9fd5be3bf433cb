"""The member QR token test vectors (tests/vectors/member_tokens.json) against the code.

The till's verifier (:func:`loyalty.token_check.check_token`) gives every vector's
steps and result; the issuer (:func:`loyalty.member_token.issue`) gives every issued
vector's text and bytes again from its fields and key; and the generator writes the
committed file byte for byte, so the file cannot drift from the code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loyalty import base45
from loyalty.member_token import PREFIX, MemberToken, TokenFormatError, TokenUse, issue, read
from loyalty.token_check import STEPS, Refusal, TokenRefused, check_token
from loyalty.token_keys import Keyset, public_hex, verified_keyset

VECTORS_DIR = Path(__file__).resolve().parents[1] / "vectors"
VECTORS_FILE = VECTORS_DIR / "member_tokens.json"
GENERATOR = VECTORS_DIR / "make_member_tokens.py"
DATA: dict[str, Any] = json.loads(VECTORS_FILE.read_text(encoding="ascii"))
VECTORS: list[dict[str, Any]] = DATA["vectors"]
BY_NAME = {v["name"]: v for v in VECTORS}
ISSUED = [v for v in VECTORS if v["issued"]]
REQUIRED = {
    "valid": "valid",
    "expired": "expired",
    "not_yet_valid": "not_yet_valid",
    "bad_signature": "bad_signature",
    "flipped_bit": "bad_signature",
    "unknown_key_id": "unknown_key",
    "revoked_key_id": "revoked",
    "old_card_generation": "old_card",
    "tampered_balance": "bad_signature",
    "truncated": "damaged",
    "non_canonical_base45_overflow": "damaged",
    "non_canonical_base45_lowercase": "damaged",
    "replayed": "replayed",
    "other_programme": "other_programme",
    "multi_use_seen": "valid",
    "key_period": "expired",
}


def keyset() -> Keyset:
    signed = DATA["keyset"]
    return verified_keyset(signed["document"], signed["signature"], DATA["root_public_key"])


def private_key(seed_hex: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))


def token_of(fields: dict[str, Any]) -> MemberToken:
    return MemberToken(**{**fields, "use": TokenUse[fields["use"].upper()]})


def outcome(vector: dict[str, Any], held: Keyset | None) -> tuple[dict[str, str], str]:
    try:
        accepted = check_token(
            vector["qr_text"],
            held,
            vector["clock"],
            min_generation=vector["min_generation"],
            seen=frozenset(vector["seen"]),
        )
    except TokenRefused as refused:
        return refused.steps, refused.refusal.value
    return accepted.steps, "valid"


def test_every_vector_the_issue_asks_for_is_there_with_its_result() -> None:
    assert {name: BY_NAME[name]["result"] for name in REQUIRED} == REQUIRED
    assert len(BY_NAME) == len(VECTORS)


def test_the_keys_are_the_ones_their_seeds_give_and_the_root_signed_the_keyset() -> None:
    assert public_hex(private_key(DATA["root_private_seed_hex"])) == DATA["root_public_key"]
    assert public_hex(private_key(DATA["rogue_private_seed_hex"])) == DATA["rogue_public_key"]
    held = keyset()
    for key in DATA["signing_keys"]:
        assert public_hex(private_key(key["private_seed_hex"])) == key["public_key"]
        listed = held.key(key["key_id"])
        if listed is not None:
            assert (listed.public_key, listed.use.name.lower()) == (key["public_key"], key["use"])
    assert held.key(9) is None and held.revoked == {3}


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["name"])
def test_the_verifier_gives_every_step_and_the_result(vector: dict[str, Any]) -> None:
    steps, result = outcome(vector, keyset())
    assert steps == vector["steps"]
    assert result == vector["result"]
    assert list(steps) == list(STEPS[: len(steps)])
    if result == "valid":
        assert set(steps.values()) == {"ok"} and len(steps) == len(STEPS)
    else:
        *passed, (_, last) = steps.items()
        assert all(said == "ok" for _, said in passed) and last == result
        assert result in set(Refusal)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["name"])
def test_the_bytes_and_fields_are_what_the_text_carries(vector: dict[str, Any]) -> None:
    text = vector["qr_text"]
    if vector["raw_hex"] is None:
        with pytest.raises(base45.Base45Error):
            base45.decode(text[len(PREFIX) :])
    else:
        assert base45.decode(text[len(PREFIX) :]).hex() == vector["raw_hex"]
    if vector["token"] is None:
        with pytest.raises(TokenFormatError):
            read(text)
        assert vector["result"] == "damaged" and not vector["issued"]
    else:
        token = read(text).token
        assert token == token_of(vector["token"])
        assert token.replay_id == vector["replay_id"]


@pytest.mark.parametrize("vector", ISSUED, ids=lambda v: v["name"])
def test_the_issuer_writes_every_issued_vector_again(vector: dict[str, Any]) -> None:
    (key,) = [k for k in DATA["signing_keys"] if k["key_id"] == vector["token"]["key_id"]]
    text = issue(token_of(vector["token"]), private_key(key["private_seed_hex"]))
    assert text == vector["qr_text"]
    assert base45.decode(text[len(PREFIX) :]).hex() == vector["raw_hex"]


def test_the_vectors_not_issued_are_not_what_the_issuer_writes() -> None:
    keys = {k["key_id"]: private_key(k["private_seed_hex"]) for k in DATA["signing_keys"]}
    for vector in VECTORS:
        if vector["issued"] or vector["token"] is None:
            continue
        fields = token_of(vector["token"])
        assert issue(fields, keys[fields.key_id]) != vector["qr_text"], vector["name"]


def test_the_valid_tokens_are_valid_at_the_file_clock_and_every_vector_uses_it() -> None:
    assert {v["clock"] for v in VECTORS} == {DATA["clock"]}
    assert sum(v["result"] == "valid" for v in VECTORS) >= 2


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["name"])
def test_without_a_keyset_a_token_that_reads_is_an_unknown_key(vector: dict[str, Any]) -> None:
    steps, result = outcome(vector, None)
    if vector["token"] is None:
        assert (steps, result) == ({"format": "damaged"}, "damaged")
    else:
        assert (steps, result) == ({"format": "ok", "programme": "unknown_key"}, "unknown_key")


def test_the_generator_writes_the_committed_file_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "member_tokens.json"
    done = subprocess.run(
        [sys.executable, str(GENERATOR), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == VECTORS_FILE.read_bytes()

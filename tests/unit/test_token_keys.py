"""The keyset (loyalty.token_keys): signed by the root key over a domain and the
canonical JSON of the document, refused when another key signed it, when anything
in it changed, or when it is malformed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loyalty.canonical import canonical_bytes
from loyalty.member_token import TokenUse
from loyalty.token_keys import (
    SIGNED_DOMAIN,
    Keyset,
    KeysetError,
    TokenKey,
    public_hex,
    public_key_of,
    sign_keyset,
    verified_keyset,
)

ROOT = Ed25519PrivateKey.from_private_bytes(bytes(range(0, 32)))  # test keys only
OTHER_ROOT = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
APP = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
CARD = Ed25519PrivateKey.from_private_bytes(bytes(range(64, 96)))
KEYSET = Keyset(
    issuer=4711,
    number=7,
    issued_at=1_772_366_400,
    keys=(
        TokenKey(2, TokenUse.CARD, public_hex(CARD), 1_709_380_800, 1_835_524_800),
        TokenKey(1, TokenUse.APP, public_hex(APP), 1_756_900_800, 1_788_004_800),
    ),
    revoked=frozenset({3}),
)


def signed(document: Any) -> str:
    """``document`` signed with the test root as a keyset is, whatever it holds."""
    return ROOT.sign(SIGNED_DOMAIN + canonical_bytes(document)).hex()


def document() -> dict[str, Any]:
    return KEYSET.document()


def test_a_keyset_signed_by_the_root_is_verified_with_its_public_key() -> None:
    signed_keyset = sign_keyset(KEYSET, ROOT)
    as_sent = signed_keyset.to_json()
    assert as_sent == {"document": document(), "signature": signed_keyset.signature}
    verified = verified_keyset(as_sent["document"], as_sent["signature"], public_hex(ROOT))
    # the same keyset; the document lists the keys by id, so the tuple comes back sorted
    assert verified.document() == KEYSET.document()
    assert verified == Keyset(4711, 7, 1_772_366_400, KEYSET.keys[::-1], frozenset({3}))
    assert signed_keyset.signature == signed(document())  # over the domain and canonical JSON
    assert len(signed_keyset.signature) == 128


def test_the_document_lists_keys_by_id_in_lower_case_hex() -> None:
    assert document() == {
        "issuer": 4711,
        "number": 7,
        "issued_at": 1_772_366_400,
        "keys": [
            {
                "id": 1,
                "use": "app",
                "public_key": public_hex(APP),
                "not_before": 1_756_900_800,
                "not_after": 1_788_004_800,
            },
            {
                "id": 2,
                "use": "card",
                "public_key": public_hex(CARD),
                "not_before": 1_709_380_800,
                "not_after": 1_835_524_800,
            },
        ],
        "revoked": [3],
    }
    assert public_hex(APP) == public_hex(APP).lower() and len(public_hex(APP)) == 64
    assert KEYSET.key(1) is not None and KEYSET.key(1) == KEYSET.keys[1]
    assert KEYSET.key(3) is None


def test_the_signature_does_not_depend_on_the_order_of_the_json_members() -> None:
    shuffled = {name: document()[name] for name in reversed(list(document()))}
    assert verified_keyset(shuffled, signed(document()), public_hex(ROOT)).document() == document()


def test_a_keyset_signed_by_another_root_is_refused() -> None:
    signature = sign_keyset(KEYSET, OTHER_ROOT).signature
    with pytest.raises(KeysetError, match="not signed by this till's pinned root key"):
        verified_keyset(document(), signature, public_hex(ROOT))


@pytest.mark.parametrize(
    "alter",
    [
        lambda d: d.update(number=8),
        lambda d: d.update(issuer=4712),
        lambda d: d.update(revoked=[]),
        lambda d: d["keys"][0].update(not_after=2**32 - 1),
        lambda d: d["keys"][0].update(public_key=public_hex(OTHER_ROOT)),
        lambda d: d["keys"][1].update(use="app"),
        lambda d: d["keys"].pop(),
        lambda d: d.update(comment="extra"),
    ],
    ids=["number", "issuer", "revoked", "period", "public key", "use", "key removed", "extra"],
)
def test_a_document_altered_after_signing_is_refused(alter: Any) -> None:
    signature = sign_keyset(KEYSET, ROOT).signature
    altered = document()
    alter(altered)
    with pytest.raises(KeysetError, match="not signed"):
        verified_keyset(altered, signature, public_hex(ROOT))


def test_a_signature_without_the_keyset_domain_is_refused() -> None:
    bare = ROOT.sign(canonical_bytes(document())).hex()
    as_token = ROOT.sign(b"LTY1 member token\x00" + canonical_bytes(document())).hex()
    for signature in (bare, as_token):
        with pytest.raises(KeysetError, match="not signed"):
            verified_keyset(document(), signature, public_hex(ROOT))


@pytest.mark.parametrize(
    "signature",
    ["", "zz", "00" * 63, "00" * 65, "00" * 64],
    ids=["empty", "not hex", "63 bytes", "65 bytes", "zeros"],
)
def test_a_malformed_signature_is_refused(signature: str) -> None:
    with pytest.raises(KeysetError, match="not signed"):
        verified_keyset(document(), signature, public_hex(ROOT))


@pytest.mark.parametrize("root", ["", "zz", "00" * 31, "00" * 33, public_hex(ROOT)[:-1]], ids=str)
def test_a_malformed_pinned_root_key_is_refused(root: str) -> None:
    with pytest.raises(KeysetError):
        verified_keyset(document(), sign_keyset(KEYSET, ROOT).signature, root)


@pytest.mark.parametrize("hex_key", ["", "xyz", "00" * 31, "00" * 33, "0" * 63])
def test_a_malformed_public_key_is_refused(hex_key: str) -> None:
    with pytest.raises(KeysetError, match="is not an Ed25519 public key in hex"):
        public_key_of(hex_key)


def malformed(change: str) -> dict[str, Any]:
    d = document()
    key = d["keys"][0]
    changes: dict[str, Any] = {
        "no keys": lambda: d.pop("keys"),
        "no issuer": lambda: d.pop("issuer"),
        "no revoked": lambda: d.pop("revoked"),
        "keys not a list": lambda: d.update(keys=5),
        "key not an object": lambda: d.update(keys=[7]),
        "key without id": lambda: key.pop("id"),
        "key without public key": lambda: key.pop("public_key"),
        "issuer negative": lambda: d.update(issuer=-1),
        "issuer too large": lambda: d.update(issuer=0x10000),
        "issuer a string": lambda: d.update(issuer="4711"),
        "number a boolean": lambda: d.update(number=True),
        "number a float": lambda: d.update(number=7.0),
        "issued_at too large": lambda: d.update(issued_at=2**32),
        "key id too large": lambda: key.update(id=0x10000),
        "key id a string": lambda: key.update(id="1"),
        "not_after negative": lambda: key.update(not_after=-1),
        "revoked id a string": lambda: d.update(revoked=["3"]),
        "revoked not a list": lambda: d.update(revoked=3),
        "public key not hex": lambda: key.update(public_key="g" * 64),
        "public key too short": lambda: key.update(public_key="00" * 31),
        "public key a number": lambda: key.update(public_key=5),
        "unknown use": lambda: key.update(use="gift"),
        "use missing": lambda: key.pop("use"),
    }
    changes[change]()
    return d


MALFORMED = [
    "no keys",
    "no issuer",
    "no revoked",
    "keys not a list",
    "key not an object",
    "key without id",
    "key without public key",
    "issuer negative",
    "issuer too large",
    "issuer a string",
    "number a boolean",
    "number a float",
    "issued_at too large",
    "key id too large",
    "key id a string",
    "not_after negative",
    "revoked id a string",
    "revoked not a list",
    "public key not hex",
    "public key too short",
    "public key a number",
    "unknown use",
    "use missing",
]


@pytest.mark.parametrize("change", MALFORMED)
def test_a_malformed_document_is_refused_even_when_the_root_signed_it(change: str) -> None:
    bad = malformed(change)
    with pytest.raises(KeysetError):
        Keyset.of(bad)
    with pytest.raises(KeysetError):
        verified_keyset(bad, signed(bad), public_hex(ROOT))


def test_an_unknown_use_is_refused_with_its_name() -> None:
    bad = malformed("unknown use")
    with pytest.raises(KeysetError, match=re.escape("Unknown key use 'gift'.")):
        verified_keyset(bad, signed(bad), public_hex(ROOT))
    with pytest.raises(KeysetError, match="Unknown key use"):
        TokenKey.of({**document()["keys"][0], "use": ""})


def test_the_use_is_read_in_any_case_and_written_in_lower_case() -> None:
    key = TokenKey.of({**document()["keys"][0], "use": "APP"})
    assert key.use is TokenUse.APP and key.to_json()["use"] == "app"

"""The ledger's member QR keys: the issuer, the signing keys and the keysets published.

``pos-ledger qr-keys`` (:mod:`ledger.cli_qr`) runs these in one write transaction
each, so a key is never added or revoked without the keyset that says so.

* **Settings** (``qr_settings``): the programme's token issuer id, the root key's
  public half recorded at ``init`` and the newest keyset number.
* **Signing keys** (``qr_keys``): one use each (``card`` or ``app``), a period,
  maybe revoked. Ids count up from 1 and are never reused, so "the newest key" is
  the one with the highest id. Two keys of a use may sign at once (a rollover);
  :func:`signing_key` picks the newest whose period holds now.
* **Keysets** (``qr_keysets``): :func:`publish` builds a :class:`Keyset` with the
  next number, signs it with the root key from the operator's file
  (:mod:`ledger.qr_root`) and takes a change number, so the changes feed carries it
  (:func:`keyset_change`). It refuses a root key other than the one ``init``
  recorded: a keyset the tills' pinned key does not verify would be dropped by every
  till.

A keyset lists every key that is not revoked and may still have tokens in use: a
key leaves it once the last token it could have signed has expired
(:meth:`StoredKey.listed_at`), not when it stops signing, since printed cards are
valid for two years and their key for one. Revoked ids are listed in ``revoked``
for ever.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.db import Tx
from ledger.errors import AdminError
from loyalty.canonical import canonical_json
from loyalty.events import utc_now_iso
from loyalty.member_token import TokenUse
from loyalty.token_check import CLOCK_TOLERANCE
from loyalty.token_keys import Keyset, SignedKeyset, TokenKey, public_hex, sign_keyset

USES: Final = {"card": TokenUse.CARD, "app": TokenUse.APP}
"""A key's use as the commands and the table write it."""
DEFAULT_DAYS: Final = {TokenUse.CARD: 365, TokenUse.APP: 30}
"""How long a new key signs, unless ``--days`` says otherwise."""
MAX_DAYS: Final = 3650
TOKEN_HOURS: Final = {TokenUse.CARD: 17_520, TokenUse.APP: 48}
"""How long a token of each use is valid: a printed card two years (730 days), an
app token two days."""
MAX_ISSUER: Final = 0xFFFF
MAX_KEY_ID: Final = 0xFFFF
LATEST_TIME: Final = 2**32 - 1
"""Key periods and issue times are uint32 Unix seconds in a token."""

_KEY_COLUMNS = "key_id, use, private_seed, public_key, not_before, not_after, revoked_at"


class NotSetUp(AdminError):
    """Member QR tokens are not set up, or no key of a use signs now."""


@dataclass(frozen=True, slots=True)
class QrSettings:
    issuer: int
    root_public_key: str
    keyset_number: int
    """The newest keyset published (0: none yet)."""


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A row of ``qr_keys``."""

    key_id: int
    use: TokenUse
    private_seed: str
    public_key: str
    not_before: int
    not_after: int
    revoked_at: str | None

    def signs_at(self, now: int) -> bool:
        """Whether it may sign a token issued at ``now``."""
        return self.revoked_at is None and self.not_before <= now <= self.not_after

    def listed_at(self, now: int) -> bool:
        """Whether a keyset published at ``now`` lists it: not revoked, and a token it
        signed at the end of its period could still pass a till's time step."""
        last_expiry = self.not_after + TOKEN_HOURS[self.use] * 3600 + CLOCK_TOLERANCE
        return self.revoked_at is None and now <= last_expiry

    def private_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(self.private_seed))

    def token_key(self) -> TokenKey:
        return TokenKey(self.key_id, self.use, self.public_key, self.not_before, self.not_after)


def settings(tx: Tx) -> QrSettings | None:
    row = tx.one("SELECT issuer, root_public_key, keyset_number FROM qr_settings WHERE id = 1")
    return None if row is None else QrSettings(int(row[0]), str(row[1]), int(row[2]))


def required_settings(tx: Tx) -> QrSettings:
    """The settings; :class:`NotSetUp` saying how to set them up."""
    found = settings(tx)
    if found is None:
        raise NotSetUp(
            "Member QR tokens are not set up at this ledger: run "
            "pos-ledger qr-keys init --root-key FILE"
        )
    return found


def initialise(tx: Tx, root_public_key: str, issuer: int | None) -> int:
    """Record the programme's issuer (random unless given) and the root key's public
    half; the issuer. Refuses a ledger set up already."""
    if settings(tx) is not None:
        raise AdminError(
            "Member QR tokens are set up at this ledger already (pos-ledger qr-keys list)."
        )
    if issuer is None:
        issuer = secrets.randbelow(MAX_ISSUER + 1)
    elif not 0 <= issuer <= MAX_ISSUER:
        raise AdminError(f"--issuer must be a whole number from 0 to {MAX_ISSUER}, not {issuer}.")
    tx.execute(
        "INSERT INTO qr_settings (id, issuer, root_public_key, keyset_number, created_at) "
        "VALUES (1, ?, ?, 0, ?)",
        (issuer, root_public_key, utc_now_iso()),
    )
    return issuer


def check_root(tx: Tx, root: Ed25519PrivateKey, path: str) -> QrSettings:
    """The settings, once ``root`` (read from ``path``) is the root key ``init`` made."""
    found = required_settings(tx)
    given = public_hex(root)
    if given != found.root_public_key:
        raise AdminError(
            f"The root key in {path} (public key {given[:16]}...) is not this programme's "
            f"(public key {found.root_public_key[:16]}..., the one the tills pin). Give the "
            "file `pos-ledger qr-keys init` made."
        )
    return found


def stored_keys(tx: Tx) -> list[StoredKey]:
    """Every key, oldest first."""
    return [
        StoredKey(int(r[0]), USES[str(r[1])], str(r[2]), str(r[3]), int(r[4]), int(r[5]), r[6])
        for r in tx.query(f"SELECT {_KEY_COLUMNS} FROM qr_keys ORDER BY key_id")
    ]


def add_key(tx: Tx, use: TokenUse, not_before: int, days: int) -> StoredKey:
    """A new signing key of ``use`` signing from ``not_before`` for ``days`` days (the
    caller publishes the keyset that carries it, in the same transaction)."""
    if not 1 <= days <= MAX_DAYS:
        raise AdminError(f"--days must be from 1 to {MAX_DAYS}, not {days}.")
    not_after = not_before + days * 86_400
    if not_before < 0 or not_after > LATEST_TIME:
        raise AdminError("The key's period must lie between 1970 and 2106.")
    row = tx.one("SELECT MAX(key_id) FROM qr_keys")
    key_id = 1 if row is None or row[0] is None else int(row[0]) + 1
    if key_id > MAX_KEY_ID:
        raise AdminError(f"Every key id up to {MAX_KEY_ID} is taken; ids are never reused.")
    private = Ed25519PrivateKey.generate()
    key = StoredKey(
        key_id,
        use,
        private.private_bytes_raw().hex(),
        public_hex(private),
        not_before,
        not_after,
        None,
    )
    tx.execute(
        f"INSERT INTO qr_keys ({_KEY_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            key_id,
            use.name.lower(),
            key.private_seed,
            key.public_key,
            not_before,
            not_after,
            None,
            utc_now_iso(),
        ),
    )
    return key


def revoke_key(tx: Tx, key_id: int) -> StoredKey:
    """Mark the key revoked (the caller publishes the keyset that says so)."""
    key = next((k for k in stored_keys(tx) if k.key_id == key_id), None)
    if key is None:
        raise AdminError(f"There is no member QR key {key_id} (pos-ledger qr-keys list).")
    if key.revoked_at is not None:
        raise AdminError(f"Key {key_id} was revoked already, on {key.revoked_at}.")
    tx.execute("UPDATE qr_keys SET revoked_at = ? WHERE key_id = ?", (utc_now_iso(), key_id))
    return next(k for k in stored_keys(tx) if k.key_id == key_id)


def publish(tx: Tx, root: Ed25519PrivateKey, now: int) -> SignedKeyset:
    """Sign and store the next keyset as the keys stand now; it takes a change number,
    so the changes feed carries it. ``root`` must have passed :func:`check_root`."""
    current = required_settings(tx)
    keys = stored_keys(tx)
    keyset = Keyset(
        issuer=current.issuer,
        number=current.keyset_number + 1,
        issued_at=now,
        keys=tuple(k.token_key() for k in keys if k.listed_at(now)),
        revoked=frozenset(k.key_id for k in keys if k.revoked_at is not None),
    )
    signed = sign_keyset(keyset, root)
    change = tx.allocate("changes", 1)
    tx.execute(
        "INSERT INTO qr_keysets (number, document, signature, change_no, published_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (keyset.number, canonical_json(keyset.document()), signed.signature, change, utc_now_iso()),
    )
    tx.execute("UPDATE qr_settings SET keyset_number = ? WHERE id = 1", (keyset.number,))
    return signed


def signing_key(tx: Tx, use: TokenUse, now: int) -> StoredKey:
    """The newest key of ``use`` that is not revoked and whose period holds ``now``;
    :class:`NotSetUp` saying which command adds one."""
    signing = [k for k in stored_keys(tx) if k.use is use and k.signs_at(now)]
    if not signing:
        name = use.name.lower()
        raise NotSetUp(
            f"No {name} key signs now: run pos-ledger qr-keys add --use {name} --root-key FILE"
        )
    return signing[-1]


def newest_keyset(tx: Tx) -> SignedKeyset | None:
    """The keyset published last, as the tills receive it."""
    row = tx.one("SELECT document, signature FROM qr_keysets ORDER BY number DESC LIMIT 1")
    if row is None:
        return None
    return SignedKeyset(Keyset.of(json.loads(str(row[0]))), str(row[1]))


def keyset_change(tx: Tx, after: int) -> tuple[int, dict[str, Any]] | None:
    """The changes feed's ``keyset`` change after change number ``after``: only the
    newest keyset (it supersedes every older one), with its change number."""
    row = tx.one(
        "SELECT document, signature, change_no FROM qr_keysets WHERE change_no > ? "
        "ORDER BY change_no DESC LIMIT 1",
        (after,),
    )
    if row is None:
        return None
    change = int(row[2])
    document = json.loads(str(row[0]))
    return change, {"type": "keyset", "document": document, "signature": row[1], "change": change}

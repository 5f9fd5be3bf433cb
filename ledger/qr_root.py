"""The programme's root key: a file the operator keeps, never a row of the database.

The root key signs keysets (:func:`loyalty.token_keys.sign_keyset`), and every till
trusts whatever it signs. Keeping its private half out of the ledger's database means
a copy of the database (a backup, a replica, a stolen dump) cannot publish a keyset:
whoever adds or revokes a signing key must also hold this file.

The file holds the 32-byte Ed25519 seed as 64 hex digits and a newline, with mode
0600. :func:`write_root_file` never overwrites a file; :func:`load_root_key`
refuses a file that others may read (as ssh does with a private key), one that is
not a seed, and one that is missing, each with what to do.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.errors import AdminError

FILE_MODE: Final = 0o600
SEED_HEX: Final = 64


def write_root_file(path: Path, key: Ed25519PrivateKey) -> None:
    """Write ``key``'s seed to the new file ``path`` (mode 0600), synced to disk.

    Refuses (:class:`AdminError`) when ``path`` exists: a root key overwritten is a
    programme whose tills can never again be sent a keyset."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        raise AdminError(
            f"{path} already exists; a root key file is never overwritten. Name a new file."
        ) from None
    except OSError as exc:
        raise AdminError(f"Cannot create the root key file {path}: {exc.strerror}.") from None
    try:
        os.fchmod(fd, FILE_MODE)  # whatever the umask left
        os.write(fd, (key.private_bytes_raw().hex() + "\n").encode("ascii"))
        os.fsync(fd)
    except OSError as exc:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise AdminError(f"Cannot write the root key file {path}: {exc.strerror}.") from None
    os.close(fd)


def load_root_key(path: Path) -> Ed25519PrivateKey:
    """The root key in ``path``; :class:`AdminError` saying what is wrong with the file."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise AdminError(
            f"There is no root key file {path}. Give the file `pos-ledger qr-keys init` made."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AdminError(f"Cannot read the root key file {path}: {exc}.") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AdminError(
            f"The root key file {path} may be read by others (mode {stat.S_IMODE(mode):o}); "
            f"make it private first: chmod 600 {path}"
        )
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        seed = b""
    if len(text) != SEED_HEX or len(seed) != SEED_HEX // 2:
        raise AdminError(
            f"{path} does not hold a root key (64 hex digits, as `pos-ledger qr-keys init` "
            "writes it)."
        )
    return Ed25519PrivateKey.from_private_bytes(seed)

"""The demo's own central ledger: a ``pos-ledger serve`` process on 127.0.0.1.

The till never imports the ledger; the demo starts it as a separate process, exactly
as a store's till would find a real one across the network. On first use the demo
ledger's database is created in the demo data directory, the demo members are
imported, and a terminal token is issued and kept beside it. The process is stopped
by its pid when the demo ends.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loyalty.member_token import PREFIX as MEMBER_QR_PREFIX
from loyalty.token_keys import public_hex
from pos_client.demo_staff import DemoPerson
from pos_client.demo_web import DemoWebAccount
from pos_client.store import CachedMember

START_TIMEOUT_S = 20.0


class DemoLedgerError(Exception):
    """The demo ledger could not be prepared or started; the message says why."""


class DemoLedger:
    """Owns the demo ledger's files and process."""

    def __init__(self, directory: Path, terminal_id: str) -> None:
        self.directory = directory
        self.terminal_id = terminal_id
        self.db = directory / "ledger.sqlite"
        self.token_file = directory / "terminal.token"
        self.log = directory / "ledger.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def prepare(
        self, members: list[CachedMember], products: Path, history: Path | None = None
    ) -> str:
        """Create the ledger once (members, blocked cards, catalogue, a made-up past
        under the programme ``history`` for stars to expire (:mod:`ledger.demo_history`),
        terminal); return the terminal's token."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.token_file.exists():
            return self.token_file.read_text(encoding="utf-8").strip()
        self._import_members(members)
        for member in members:
            if member.blocked:
                self._admin("member", "block", member.card)
        self._admin("products", "import", str(products), "--currency", "NOK")
        if history is not None and history.is_file():
            self._run(
                "ledger.demo_history",
                "--members",
                str(self.directory / "members.csv"),
                "--programme",
                str(history),
            )
        token = self._admin("terminal", "add", self.terminal_id).split()[-1]
        self.token_file.write_text(token + "\n", encoding="utf-8")
        return token

    def use_programme(self, document: Path, content_hash: str, members: list[CachedMember]) -> None:
        """Publish ``document`` at once unless it is the version in force, and give the
        members the tiers of its levels (importing known members changes only names and
        tiers, never balances; a member with receipts keeps a higher tier they earned,
        and a new tier rule applies to them from their next receipt)."""
        shown = json.loads(self._admin("rules", "show"))
        if shown.get("content_hash") != content_hash:
            self._admin("rules", "publish", str(document), "--effective-from", "now")
        self._import_members(members)

    def _import_members(self, members: list[CachedMember]) -> None:
        path = self.directory / "members.csv"
        rows = ["card,name,tier,balance,member_id"]
        rows += [
            f"{m.card},{m.name},{m.tier},{m.accounts.get('points', 0)},{m.member_id}"
            for m in members
        ]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        self._admin("members", "import", str(path))

    def start(self) -> str:
        """Start serving on a free loopback port; return the base URL."""
        port = _free_port()
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ledger.cli", "serve", "--db", str(self.db),
                 "--host", "127.0.0.1", "--port", str(port)],
                stdout=output,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DemoLedgerError(f"The demo ledger exited at start; see {self.log}.")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self.url
            time.sleep(0.1)
        self.stop()
        raise DemoLedgerError(f"The demo ledger did not answer in time; see {self.log}.")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def settle(self) -> str:
        """``pos-ledger settle`` for today: what it paid and expired, in its words."""
        return self._admin("settle", "--as-of", date.today().isoformat()).strip()

    def ensure_staff(self, people: Sequence[DemoPerson]) -> None:
        """Give the ledger the demo's staff once (a demo created by an older release
        gets them on its next start); their PINs go on stdin, never the command line."""
        commands = []
        for person in people:
            args = ["staff", "add", person.staff_id, "--name", person.name]
            args += ["--role", person.role, "--pin-stdin"]
            if person.badge:
                args += ["--badge", person.badge]
            commands.append((args, person.pin))
        self._add_once("staff.added", "the demo's staff are in the ledger", commands)

    def ensure_web_accounts(self, accounts: Sequence[DemoWebAccount]) -> None:
        """Give the demo ledger its web accounts once (passwords on stdin)."""
        commands = []
        for account in accounts:
            args = ["web-account", "add", account.login, "--name", account.name]
            args += ["--role", account.role, "--password-stdin"]
            if account.store:
                args += ["--store", account.store]
            commands.append((args, account.password))
        self._add_once("web-accounts.added", "the demo's web accounts are in the ledger", commands)

    def _add_once(self, marker_name: str, note: str, commands: list[tuple[list[str], str]]) -> None:
        """Run ``pos-ledger`` ``commands`` (each with its secret as stdin's first line)
        unless the marker file says they ran; then leave the marker."""
        marker = self.directory / marker_name
        if marker.exists():
            return
        for args, secret in commands:
            self._run("ledger.cli", *args, stdin=secret + "\n")
        marker.write_text(note + "\n", encoding="utf-8")

    def ensure_member_qr(self) -> str:
        """Give the demo ledger member QR keys once: the programme's root key (a file
        beside the ledger's, as an operator would keep it), an app key and a card key.
        Return the root key's public half, which the demo till pins."""
        root = self.directory / "qr-root.key"
        marker = self.directory / "qr-keys.added"
        if not marker.exists():
            if not root.exists():
                self._admin("qr-keys", "init", "--root-key", str(root))
            for use in ("app", "card"):
                self._admin("qr-keys", "add", "--use", use, "--root-key", str(root))
            marker.write_text("the demo's member QR keys are in the ledger\n", encoding="utf-8")
        seed = bytes.fromhex(root.read_text(encoding="utf-8").strip())
        return public_hex(Ed25519PrivateKey.from_private_bytes(seed))

    def member_qr(self, card: str) -> str:
        """A fresh member-app QR token for the member with ``card``."""
        printed = self._admin("qr", card, "--app")
        for line in printed.splitlines():
            if line.startswith(MEMBER_QR_PREFIX):
                return line
        raise DemoLedgerError(f"pos-ledger qr printed no token for {card}.")

    def _admin(self, *args: str) -> str:
        return self._run("ledger.cli", *args)

    def _run(self, module: str, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", module, *args, "--db", str(self.db)],
            capture_output=True,
            text=True,
            timeout=60,
            input=stdin,
        )
        if done.returncode != 0:
            raise DemoLedgerError(f"{module} {args[0]} failed: {done.stderr.strip()}")
        return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

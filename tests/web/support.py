"""A ledger serving its web pages on 127.0.0.1, the accounts that sign in to it, and
httpx clients signed in as each of them (the fast HTTP-level page tests).

Accounts every web ledger has (password :data:`PASSWORD`):

* ``hanne``: head office;
* ``sam``: store manager of store ``S1``;
* ``siri``: store manager of store ``S2``.

:meth:`WebLedger.sales` records a terminal's sales at a store as a till records
them (:class:`tests.integration.ledger.support.EventChain`) and pushes them over
HTTP, so members, terminals, anomalies and the day have data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ledger.cli import open_ledger
from ledger.db import Database
from ledger.web import accounts
from loyalty.events import Event
from tests.integration.ledger.support import (
    EventChain,
    LedgerHandle,
    database_url,
    fresh_terminal_name,
    import_new_members,
    start_ledger,
)

PASSWORD = "correct horse battery"
HEAD_OFFICE = "hanne"
S1_MANAGER = "sam"
S2_MANAGER = "siri"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def form_token(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = _CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass(frozen=True)
class Till:
    """A terminal's event chain (:class:`EventChain`) and its authenticated client."""

    chain: EventChain
    client: httpx.Client

    def push(self, events: Sequence[Event]) -> None:
        """Push ``events`` over HTTP; every one must be accepted."""
        answer = self.client.post(
            "/v1/events", json=LedgerHandle.batch(self.chain.terminal_id, list(events))
        )
        assert answer.status_code == 200, answer.text
        assert all(r["status"] == "accepted" for r in answer.json()["results"]), answer.text


@dataclass
class WebLedger:
    """A running ledger (``url``) and its database, opened for setting up and reading."""

    handle: LedgerHandle
    db: Database
    work_dir: Path
    _clients: list[httpx.Client] = field(default_factory=list)

    def client(self) -> httpx.Client:
        """A client with no session (closed with the ledger)."""
        made = httpx.Client(base_url=self.handle.url, timeout=30.0)
        self._clients.append(made)
        return made

    def signed_in(self, login: str, password: str = PASSWORD, code: str = "") -> httpx.Client:
        """A client signed in as ``login``; its last page's CSRF token via
        :func:`form_token`."""
        made = self.client()
        answer = sign_in(made, login, password, code)
        assert answer.status_code == 303, answer.text
        return made

    def add_account(self, login: str, role: str, stores: Sequence[str] = ()) -> None:
        with self.db.write() as tx:
            accounts.add_account(
                tx, login, name=login.title(), role=role, password=PASSWORD, stores=stores
            )

    def add_members(self, *balances: int) -> list[str]:
        """One new member per opening balance; their cards."""
        return import_new_members(self.db, self.work_dir, balances)

    def till(self, store: str) -> Till:
        """A new terminal at ``store``: its event chain and an authenticated client."""
        terminal = fresh_terminal_name(store)
        client = self.handle.client(self.handle.add_terminal(terminal))
        chain = EventChain(terminal)
        chain.store = store
        return Till(chain, client)

    def sales(self, store: str, card: str, *amounts_minor: int, operator: str = "") -> str:
        """A new terminal at ``store`` sells ``amounts_minor`` to ``card`` and pushes
        them over HTTP as a till does; the terminal's id."""
        till = self.till(store)
        extra = {"operator": operator} if operator else {}
        till.push([till.chain.earn(card, amount, **extra) for amount in amounts_minor])
        return till.chain.terminal_id

    @property
    def url(self) -> str:
        return self.handle.url

    @property
    def db_url(self) -> str:
        return self.handle.db_url

    def close(self) -> None:
        for made in self._clients:
            made.close()
        self.db.close()


def sign_in(client: httpx.Client, login: str, password: str, code: str = "") -> httpx.Response:
    """Open the sign-in page and send its form; the answer (303 when signed in)."""
    page = client.get("/admin/sign-in")
    return client.post(
        "/admin/sign-in",
        data={"csrf": form_token(page.text), "login": login, "password": password, "code": code},
    )


@contextmanager
def web_ledger(backend: str, directory: Path) -> Iterator[WebLedger]:
    """A ledger of ``backend`` serving its pages, with the three standard accounts."""
    with database_url(backend, directory) as url, start_ledger(url, directory) as handle:
        ledger = WebLedger(handle, open_ledger(url)[0], directory)
        try:
            ledger.add_account(HEAD_OFFICE, accounts.HEAD_OFFICE)
            ledger.add_account(S1_MANAGER, accounts.STORE_MANAGER, ["S1"])
            ledger.add_account(S2_MANAGER, accounts.STORE_MANAGER, ["S2"])
            yield ledger
        finally:
            ledger.close()

"""Fetching the change feed's next page while the till stages the current one.

A first pull of a large ledger is a long run of pages, each of which the ledger reads
and encodes and the till then validates and stages. Done in turn, the ledger and the
till wait for each other; :class:`PageAhead` asks for page N+1 as soon as page N has
arrived (its ``next_cursor`` names it), so the ledger works on it while the till
stages page N.

What is guaranteed:

* a page is asked for ahead only when the page before says there is more
  (``has_more``), and only one page ahead at a time;
* a page fetched ahead is used only for exactly the request it answers (the same
  cursor and limit) and only within the same pull (:meth:`PageAhead.forget`, called
  when a pull begins, drops whatever an earlier, interrupted pull left);
* a failure of a fetch ahead is raised to the caller exactly as a direct fetch would
  raise it, when (and only if) that page is asked for;
* a fetch ahead that is not used is waited for and dropped, so no request of one
  pull outlives it into the next; it is a read (``GET``), so dropping it changes
  nothing at the ledger.

The feed itself is unchanged: the pages are the ones a pull in turn would fetch, in
the same order, and what they hold is validated as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sync.protocol import ChangesResponse

Fetch = Callable[[str | None, int], ChangesResponse]
"""``LedgerClient.changes``: one page after a cursor."""


class PageAhead:
    """Pages of the change feed, the next one fetched while the caller works."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pull-ahead")
        self._ahead: tuple[tuple[str | None, int], Future[ChangesResponse]] | None = None

    def page(self, cursor: str | None, limit: int) -> ChangesResponse:
        """The page after ``cursor`` (the one fetched ahead when it is that one), and
        the next one asked for ahead when there is more."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == (cursor, limit):
            page = ahead[1].result()
        else:
            _drop(ahead)
            page = self._fetch(cursor, limit)
        if page.has_more:
            request = (page.next_cursor, limit)
            self._ahead = (request, self._pool.submit(self._fetch, *request))
        return page

    def forget(self) -> None:
        """Drop a page fetched ahead (a pull begins: nothing of an earlier one is used)."""
        ahead, self._ahead = self._ahead, None
        _drop(ahead)

    def close(self) -> None:
        """Drop what was fetched ahead and stop the fetching thread."""
        self.forget()
        self._pool.shutdown(wait=True)


def _drop(ahead: tuple[object, Future[ChangesResponse]] | None) -> None:
    if ahead is not None:
        drop_unused(ahead[1])


def drop_unused(future: Future[Any]) -> None:
    """A request made ahead whose answer will not be used: cancelled if it has not
    started, else waited for, so that it ends before its caller goes on; its answer
    or failure is dropped."""
    if not future.cancel():
        with contextlib.suppress(Exception):
            future.result()

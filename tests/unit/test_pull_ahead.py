"""The change feed's next page is fetched ahead, and used only for the request it
answers (sync.prefetch)."""

from __future__ import annotations

import threading

import pytest

from sync.errors import LedgerUnavailable
from sync.prefetch import PageAhead
from sync.protocol import ChangesResponse

PAGES = 4


class Feed:
    """A feed of ``PAGES`` empty pages (cursors "1".."4"), recording what was asked
    and on which thread; ``fail_at``: the cursor whose fetch fails."""

    def __init__(self, fail_at: str | None = None) -> None:
        self.asked: list[tuple[str | None, int]] = []
        self.threads: set[str] = set()
        self.direct: list[tuple[str | None, int]] = []
        """What was asked on the caller's thread (not ahead)."""
        self.fail_at = fail_at
        self.lock = threading.Lock()

    def __call__(self, cursor: str | None, limit: int) -> ChangesResponse:
        with self.lock:
            self.asked.append((cursor, limit))
            self.threads.add(threading.current_thread().name)
            if threading.current_thread() is threading.main_thread():
                self.direct.append((cursor, limit))
        if cursor is not None and cursor == self.fail_at:
            raise LedgerUnavailable("the ledger is unavailable (503); will retry.")
        number = 0 if cursor is None else int(cursor)
        return ChangesResponse(
            changes=[],
            next_cursor=str(number + 1),
            high_water=0,
            last_hash="0" * 64,
            has_more=number + 1 < PAGES,
        )


def test_pages_come_in_order_each_fetched_once_the_next_ahead() -> None:
    feed = Feed()
    pages = PageAhead(feed)
    try:
        cursor: str | None = None
        seen = []
        for _ in range(PAGES + 1):
            page = pages.page(cursor, 10)
            seen.append(page.next_cursor)
            cursor = page.next_cursor
            if not page.has_more:
                break
    finally:
        pages.close()
    assert seen == ["1", "2", "3", "4"]
    assert feed.asked == [(None, 10), ("1", 10), ("2", 10), ("3", 10)]  # none after the last
    assert any(name.startswith("pull-ahead") for name in feed.threads)


def test_a_page_fetched_ahead_is_not_used_for_another_request() -> None:
    feed = Feed()
    pages = PageAhead(feed)
    try:
        pages.page(None, 10)  # fetches "1" ahead with limit 10
        pages.page("1", 20)  # another limit: asked again, directly
        pages.forget()  # a new pull: what was fetched ahead ("2", 20) is dropped
        pages.page("2", 20)
    finally:
        pages.close()
    assert feed.direct == [(None, 10), ("1", 20), ("2", 20)]
    assert feed.asked.count(("1", 10)) == 1


def test_a_failed_fetch_ahead_is_raised_when_its_page_is_asked_for() -> None:
    feed = Feed(fail_at="1")
    pages = PageAhead(feed)
    try:
        first = pages.page(None, 10)  # the failure ahead is not raised here
        assert first.has_more
        with pytest.raises(LedgerUnavailable):
            pages.page("1", 10)
        assert pages.page("2", 10).next_cursor == "3"  # and nothing of it is left over
    finally:
        pages.close()

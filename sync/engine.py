"""The till's sync engine: push the journal, pull changes, settle atomically.

One :meth:`SyncEngine.run_once` is a whole sync:

1. **Push.** Journal events after what the ledger holds go to it in batches, in
   sequence order. The ledger's answer carries this terminal's high-water mark and
   the balances of the members the batch touched, read in the transaction that
   applied it; the engine stores both in one local transaction
   (``LocalSide.settle``). A lost answer is harmless: the retry is answered
   ``duplicate`` with the same figures (guarantee 2).
2. **Park.** Only on the ledger's own verdicts: it stops the stream at an event
   (conflict, malformed, gap, fork), or refuses a batch in its own error format
   (422; then smaller batches are sent until the event refused goes alone). That
   event is parked with the ledger's reason for a manager; the till keeps recording,
   and pushing waits until a manager retries it or voids it (a void travels with its
   event, ``PushRequest.voids``). Any other 4xx (a proxy's 404) and every 5xx are
   retried with backoff and never park anything.
3. **Pull.** Changes after the cursor are staged page by page and applied in one
   transaction at the end, together with the final page's high-water mark, so the
   balances shown never include an event twice, even on the turn of a sync.
   While the till stores an answer, the next batch is already on its way (only
   when that answer confirmed the whole batch under the epoch known), so the ledger
   applies one batch while the till stores the answer to the one before.
4. **Epochs.** Every answer names the ledger's epoch (:mod:`ledger.epochs`). When it
   is not the one this till last saw, or the ledger holds fewer of this till's events
   than it confirmed, the ledger lost data (a restore, a failover to a lagging
   replica): the till starts over from what the ledger has (``LocalSide.begin_epoch``:
   a full pull, and every event after the ledger's high water sent again), so the
   ledger heals itself.

5. **Report.** With a ``report`` source the till tells the ledger about itself
   (:class:`~sync.protocol.TillReport`: store, release, programme version, keyset,
   the events still waiting beyond the batch) with each push of events, once a push
   answer or a changes page said the ledger keeps reports. It rides only on pushes
   the till makes anyway (no request of its own), and a report that cannot be made
   leaves the push as it was: a report never fails a sync.

A sync is *fresh* (what the offline limits count from) only when its push reached
the journal's tip; a pull alone, or a push held back by a parked event, is not.

Errors never escape as crashes: transport errors, 5xx/409/429 and 4xx that are not
the ledger's verdict make the status offline and are retried by the caller with
backoff; everything is recorded in :class:`SyncStatus`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from loyalty.events import Event
from sync.client import LedgerClient
from sync.errors import (
    InvalidAnswer,
    LedgerRefused,
    LedgerUnavailable,
    LedgerVerdict,
    NotAuthorised,
    SyncError,
)
from sync.local import LocalSide, ParkedEvent
from sync.prefetch import PageAhead, drop_unused
from sync.protocol import PushResponse, TillReport

log = logging.getLogger(__name__)

ReportSource = Callable[[int], "TillReport | None"]
"""The till's report, counting as pending its events after the given sequence
number (those the request does not carry); None when it cannot be made."""

MAX_BATCHES_PER_RUN = 10_000
MAX_EPOCH_RESTARTS = 3
"""New epochs one run follows before leaving the rest to the next run."""
MAX_PAGES_PER_RUN = 100_000
CARD_NUMBERS_LOW = 200
"""Fewer card numbers left than this after a pull: the engine asks for more."""


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar and ``pos-client status`` show about sync."""

    state: str = "not contacted yet"
    """``online``, ``offline``, ``refused`` (token), ``stopped`` (a parked event);
    ``not contacted yet`` until this process's first sync attempt."""
    pending: int = 0
    """Events recorded here that the ledger has not confirmed."""
    oldest_pending_at: str | None = None
    """When the oldest unconfirmed event was recorded (the till's clock)."""
    last_success: str | None = None
    last_error: str | None = None
    parked: tuple[ParkedEvent, ...] = field(default_factory=tuple)

    @property
    def online(self) -> bool:
        return self.state in ("online", "stopped")

    def oldest_pending_age(self, now: datetime | None = None) -> float | None:
        """Seconds since the oldest unconfirmed event was recorded."""
        if self.oldest_pending_at is None:
            return None
        recorded = datetime.fromisoformat(self.oldest_pending_at.replace("Z", "+00:00"))
        return ((now or datetime.now(UTC)) - recorded).total_seconds()


@dataclass(frozen=True)
class SyncResult:
    """What one run did."""

    pushed: int = 0
    """Events the ledger confirmed in this run (accepted or duplicate)."""
    pulled: int = 0
    """Members updated from the changes feed."""


class SyncEngine:
    """Runs syncs for one till. ``run_once`` is not re-entrant (a lock guards it)."""

    def __init__(
        self,
        local: LocalSide,
        client: LedgerClient,
        batch_size: int = 500,
        page_size: int = 5000,
        report: ReportSource | None = None,
    ) -> None:
        self.local = local
        self.report_source = report
        self.client = client
        self.batch_size = batch_size
        self.page_size = page_size
        self._pages = PageAhead(lambda cursor, limit: self.client.changes(cursor, limit))
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="push-ahead")
        self._lock = threading.Lock()
        self._status = SyncStatus()
        self._restart = False
        """Set when this run met a new epoch: it pushes and pulls again."""

    @property
    def status(self) -> SyncStatus:
        """The latest status, with the pending figures read now."""
        count, oldest = self.local.pending()
        return replace(
            self._status,
            pending=count,
            oldest_pending_at=oldest,
            parked=tuple(self.local.parked()),
        )

    def note_error(self, message: str) -> None:
        """Record an error that did not come from the ledger (shown in the status)."""
        self._status = replace(self._status, state="offline", last_error=message)

    def run_once(self) -> SyncResult:
        """Push, then pull. Raises SyncError after recording it in the status."""
        with self._lock, self.local.exclusive() as alone:
            try:
                if not alone:
                    raise LedgerUnavailable("Another sync of this till is running; will retry.")
                pushed = pulled = 0
                for _ in range(MAX_EPOCH_RESTARTS + 1):
                    self._restart = False
                    more, at_tip = self._push_all()
                    pushed += more
                    pulled = self._pull_all(fresh=at_tip)
                    if not self._restart:
                        break
            except SyncError as error:
                state = "refused" if isinstance(error, NotAuthorised) else "offline"
                if isinstance(error, LedgerRefused) and not isinstance(error, NotAuthorised):
                    state = "stopped"
                self._status = replace(self._status, state=state, last_error=error.message)
                raise
            state = "stopped" if self.local.parked() else "online"
            self._status = replace(self._status, state=state, last_success=_now(), last_error=None)
            return SyncResult(pushed=pushed, pulled=pulled)

    # --- epochs --------------------------------------------------------------------

    def _tell_position(self) -> None:
        self.client.tell_position(self.local.ledger_epoch(), self.local.push_position())

    def _new_epoch(self, epoch: str, high_water: int, last_hash: str) -> bool:
        """True when the ledger lost data this till had seen (module doc, 4): then the
        till has started over from what the ledger holds, and the caller goes on from
        there. Raises when the ledger's record of this till is not this till's own."""
        known = self.local.ledger_epoch()
        if epoch and known is None:
            self.local.remember_epoch(epoch)
            known = epoch
        if (not epoch or epoch == known) and high_water >= self.local.push_position():
            return False
        if not self.local.chain_agrees(high_water, last_hash):
            raise LedgerRefused(
                f"The ledger's record of this till (up to event {high_water}) is not this "
                "till's journal: another till may be using the same terminal id. Ask a "
                "manager; nothing was changed.",
                409,
            )
        self.local.begin_epoch(epoch or known or "", high_water)
        self._restart = True
        return True

    # --- push ----------------------------------------------------------------------

    def _push_all(self) -> tuple[int, bool]:
        """Push what the ledger lacks: (events it confirmed, whether the push reached
        the journal's tip, which makes the sync fresh). The next batch goes out while
        the till stores the answer to the one before (:class:`_SentAhead`)."""
        confirmed_total = 0
        limit = self.batch_size
        ahead: _SentAhead | None = None
        try:
            for _ in range(MAX_BATCHES_PER_RUN):
                sending: Future[PushResponse] | None = None
                if ahead is not None:
                    batch, sending, ahead = ahead.batch, ahead.answer, None
                else:
                    position = self.local.push_position()
                    if any(p.seq == position + 1 for p in self.local.parked()):
                        return confirmed_total, False  # waits for a manager
                    batch = self.local.events_after(position, limit)
                    if not batch:
                        return confirmed_total, True
                    self._tell_position()
                try:
                    if sending is not None:
                        answer = sending.result()
                    else:
                        answer = self.client.push(
                            batch,
                            self.local.voids(batch[0].seq, batch[-1].seq),
                            self._report_after(batch[-1].seq),
                        )
                except LedgerRefused as error:
                    if isinstance(error, NotAuthorised):
                        raise
                    if error.status_code == 413 and self.batch_size > 1:
                        self.batch_size = max(1, self.batch_size // 2)  # too large: split
                        limit = min(limit, self.batch_size)
                        continue
                    if not (isinstance(error, LedgerVerdict) and error.status_code == 422):
                        raise LedgerUnavailable(f"{error.message} Will retry.") from error
                    if len(batch) > 1:
                        # A refusal names the batch, not an event: halve the batches until
                        # the one refused goes alone, so it is the one parked (a manager
                        # may void it) and the events before it are confirmed.
                        limit = len(batch) // 2
                        continue
                    head = batch[0]
                    self.local.park(ParkedEvent(head.seq, head.event_id, "refused", error.message))
                    raise
                if answer.stopped_at is None and answer.high_water == batch[-1].seq:
                    ahead = self._send_ahead(batch[-1].seq, answer.epoch, limit)
                    confirmed_total += self._settle(batch[-1].seq, answer)
                    self._new_epoch(answer.epoch, answer.high_water, answer.last_hash)
                    continue
                if self._new_epoch(answer.epoch, answer.high_water, answer.last_hash):
                    continue  # every event after the ledger's high water goes again
                confirmed_total += self._settle(batch[-1].seq, answer)
                # Beyond the batch, the ledger holds events whose answers were lost;
                # this answer cannot settle them and pushing again would not either:
                # the pull settles them, and the next run pushes what follows.
                return confirmed_total, False
            return confirmed_total, False
        finally:
            if ahead is not None:
                drop_unused(ahead.answer)

    def _send_ahead(self, after: int, epoch: str, limit: int) -> _SentAhead | None:
        """Send the batch after event ``after`` now, before the answer to the batch
        that ends there is stored; None when there is nothing to send, or when that
        answer may change what comes next (an epoch not the one known: it may start
        the till over; an event parked next)."""
        known = self.local.ledger_epoch()
        if known is None or (epoch and epoch != known):
            return None
        if any(p.seq == after + 1 for p in self.local.parked()):
            return None
        batch = self.local.events_after(after, limit)
        if not batch:
            return None
        voids = self.local.voids(batch[0].seq, batch[-1].seq)
        self._tell_position()
        report = self._report_after(batch[-1].seq)
        return _SentAhead(batch, self._sender.submit(self.client.push, batch, voids, report))

    def _settle(self, last_sent: int, answer: PushResponse) -> int:
        """Store the answer's balances with the high-water mark they include.

        Only this till's own events may be marked confirmed. When the stream
        stopped, the events before the stop were accepted or duplicates (ours);
        a ledger whose high water is at or past the stop holds another till's
        events under this terminal's id (a fork), so the mark goes to the stop.
        """
        before = self.local.push_position()
        stop = answer.stopped_at
        if stop is not None:
            self.local.park(ParkedEvent(stop.seq, stop.event_id, stop.code, stop.reason))
        if answer.high_water > last_sent:
            # The ledger holds events beyond this batch (answers lost earlier): the
            # balances here would not cover them, so the pull settles instead.
            return max(0, last_sent - before)
        if stop is None and not self.local.chain_agrees(answer.high_water, answer.last_hash):
            raise InvalidAnswer("The ledger's last event of this till is not this till's.")
        mark = answer.high_water if stop is None else min(answer.high_water, stop.seq - 1)
        self.local.settle(mark, answer.balances)
        return max(0, mark - before)

    # --- report --------------------------------------------------------------------

    def _report_after(self, seq: int) -> TillReport | None:
        """The report to send with a request carrying events up to ``seq``; None
        without a source, or before the ledger said it keeps reports."""
        if self.report_source is None or not self.client.reports_kept:
            return None
        try:
            return self.report_source(seq)
        except Exception:  # a report is information; the push goes without it
            log.warning("Could not make this till's report", exc_info=True)
            return None

    # --- pull ----------------------------------------------------------------------

    def _pull_all(self, fresh: bool) -> int:
        """Pull every change after the cursor; ``fresh``: the push reached the tip."""
        cursor = self.local.pull_cursor()
        self._pages.forget()
        self.local.begin_pull()
        for _ in range(MAX_PAGES_PER_RUN):
            self._tell_position()
            page = self._pages.page(cursor, self.page_size)
            if self._new_epoch(page.epoch, page.high_water, page.last_hash):
                return 0  # the run starts over: push again, then pull everything
            self.local.stage_changes(page.changes)
            if page.card_ranges:
                self.local.store_card_ranges(page.card_ranges)
            cursor = page.next_cursor
            if not page.has_more:
                if not self.local.chain_agrees(page.high_water, page.last_hash):
                    raise LedgerRefused(
                        f"The ledger holds events of this till's id that are not in its "
                        f"journal (up to event {page.high_water}): another till may be "
                        "using the same terminal id. Ask a manager; nothing was changed.",
                        409,
                    )
                updated = self.local.finish_pull(cursor, page.high_water, fresh)
                self._top_up_card_numbers()
                return updated
        raise SyncError("The ledger's change feed did not end; will continue next sync.")

    def _top_up_card_numbers(self) -> None:
        """Ask for more card numbers when few are left. A failure here never fails
        the sync: enrolments go on with the numbers left, and the next sync asks again."""
        if self.local.card_numbers_left() >= CARD_NUMBERS_LOW:
            return
        try:
            answer = self.client.card_ranges()
        except SyncError as error:
            self._status = replace(self._status, last_error=error.message)
            return
        self.local.store_card_ranges(answer.ranges)

    # --- lookup --------------------------------------------------------------------

    def lookup_member(self, card: str, timeout: float) -> bool:
        """Fetch one member the cache lacks; True if it is now cached.

        Any failure (offline, slow, unknown card) answers False quickly: the cashier
        then sees "unknown card" and the till keeps working.
        """
        try:
            found = self.client.member(card, timeout=timeout)
        except SyncError as error:
            self._status = replace(self._status, last_error=error.message)
            return False
        return found is not None and self.local.cache_member(found.member, found.high_water)


@dataclass(frozen=True)
class _SentAhead:
    """A batch sent while the answer to the batch before it was being stored.

    What is guaranteed: it is sent only after that answer was read and accepted the
    whole batch before it, under the epoch this till knows, with no event parked
    next; its answer (or failure) is handled exactly as a batch sent in turn would
    be; it is the batch a push in turn would send next, since the events confirmed
    by the answer stored meanwhile end where it begins. A batch sent ahead whose
    answer is not used (the run stopped: an error storing the answer before it) is
    cancelled if it has not left yet, else waited for and dropped
    (:func:`sync.prefetch.drop_unused`), so no request outlives the run; whatever
    the ledger applied of it is answered ``duplicate`` next time.
    """

    batch: list[Event]
    answer: Future[PushResponse]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

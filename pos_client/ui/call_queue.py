"""Run till calls one at a time, in the order they were asked for, off the UI thread.

The Till is thread-safe, but order matters at a till: an earn asked for while a new
scan is on its way must be recorded for the member the cashier saw, and a queued scan
must not overtake a redemption the cashier just confirmed. So calls wait in a FIFO
and each runs in its own thread worker only after the previous one has finished.

A call that raises a :class:`~loyalty.errors.LoyaltyError` answers with
:class:`~pos_client.ui.messages.TillFailed` carrying the error's message; any other
exception is logged and reported in plain words, never as a traceback.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

from textual.app import App
from textual.worker import Worker, WorkerState

from loyalty.errors import LoyaltyError
from pos_client.till import Till
from pos_client.ui import till_calls
from pos_client.ui.messages import StatusChanged, TillFailed
from pos_client.ui.till_calls import TillCall

log = logging.getLogger(__name__)

WORKER_GROUP = "till"


@dataclass(frozen=True)
class _Pending:
    operation: str
    call: TillCall
    with_status: bool
    held: bool


class CallQueue:
    """A FIFO of till calls for one App; the App forwards worker state changes here."""

    def __init__(self, app: App[Any], till: Till) -> None:
        self._app = app
        self._till = till
        self._pending: deque[_Pending] = deque()
        self._running: Worker[None] | None = None

    @property
    def idle(self) -> bool:
        """True when no call is running or waiting."""
        return self._running is None and not self._pending

    def submit(
        self, operation: str, call: TillCall, with_status: bool = True, held: bool = False
    ) -> None:
        """Queue ``call``; ``with_status`` also refreshes the status bar after it;
        ``held``: the cashier's keys wait for its answer (a failure says so)."""
        self._pending.append(_Pending(operation, call, with_status, held))
        self._start_next()

    def worker_state_changed(self, worker: Worker[object]) -> None:
        """Start the next call once the running one has finished, however it ended."""
        if worker is not self._running:
            return
        if worker.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self._running = None
            self._start_next()

    def _start_next(self) -> None:
        if self._running is not None or not self._pending:
            return
        pending = self._pending.popleft()
        self._running = self._app.run_worker(
            lambda: self._run(pending),
            name=pending.operation,
            group=WORKER_GROUP,
            thread=True,
            exit_on_error=False,
        )

    def _run(self, pending: _Pending) -> None:
        """Runs in a worker thread: only ``post_message`` reaches the App from here."""
        try:
            answer = pending.call(self._till)
        except LoyaltyError as error:
            answer = till_calls.failure(error, pending.operation, self._till)
        except Exception:
            log.exception("till call %r failed", pending.operation)
            answer = TillFailed(
                "Something went wrong in the till. Check the last receipt before trying "
                "again, and call a manager if it keeps happening.",
                pending.operation,
            )
        if isinstance(answer, TillFailed) and pending.held:
            answer = replace(answer, held=True)
        self._app.post_message(answer)
        if pending.with_status:
            self._post_status()

    def _post_status(self) -> None:
        try:
            self._app.post_message(StatusChanged(self._till.status()))
        except Exception:
            log.exception("reading the till's status failed")

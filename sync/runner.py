"""Background sync: a thread that runs the engine now and then, and on request.

Like the scanner reader, it knows nothing of the UI: it takes a callback that receives
each new :class:`~sync.engine.SyncStatus` and stops on a :class:`threading.Event`.
After a success it waits ``interval``; after a failure it waits a backoff delay
(exponential, with jitter) so an outage is not hammered. ``trigger()`` wakes it at
once (after a sale, or when the connection comes back).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sync.backoff import Backoff
from sync.engine import SyncEngine, SyncStatus
from sync.errors import SyncError

StatusCallback = Callable[[SyncStatus], None]


class SyncRunner:
    """Runs ``engine.run_once`` in a daemon thread until ``stop``."""

    def __init__(
        self,
        engine: SyncEngine,
        interval: float,
        on_status: StatusCallback | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.engine = engine
        self.interval = interval
        self.on_status = on_status or (lambda status: None)
        self.backoff = backoff or Backoff(base=1.0, cap=max(interval, 1.0) * 4)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="sync", daemon=True)
            self._thread.start()

    def trigger(self) -> None:
        """Sync as soon as possible."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.engine.run_once()
                self.backoff.reset()
                delay = self.interval
            except SyncError:
                delay = self.backoff.next_delay()
            except Exception as error:  # a bug must not kill background sync silently
                self.engine.note_error(f"Sync failed unexpectedly: {error!r}")
                delay = self.backoff.next_delay()
            self.on_status(self.engine.status)
            self._wake.wait(delay)
            self._wake.clear()

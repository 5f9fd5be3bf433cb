"""The till's link to the central ledger: sync engine, background runner, lookups.

Built only when the configuration has a ``[ledger] url``; without one the till runs
offline for good and says so in the status bar. The link owns the HTTP client, so
closing the till closes every connection.

Given the till's store id and a way to read the programme version in force, every
push also carries the till's report on itself (:class:`sync.protocol.TillReport`),
which head office sees on the ledger's terminals page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from importlib import metadata

from pos_client.config import LedgerConfig
from pos_client.store import LocalStore
from pos_client.store.sync_side import StoreSyncSide
from pos_client.store.token_memory import held_keyset
from sync.client import LedgerClient
from sync.engine import SyncEngine, SyncResult, SyncStatus
from sync.protocol import MAX_REPORT_TEXT, TillReport
from sync.runner import SyncRunner
from sync.switch import SwitchableTransport

PACKAGE = "loyalty-till"


@cache
def software_version() -> str:
    """This till's release (the installed package's version), or ``unknown``."""
    try:
        return metadata.version(PACKAGE)[:MAX_REPORT_TEXT] or "unknown"
    except metadata.PackageNotFoundError:
        return "unknown"


class LedgerLink:
    """Sync for one till: ``start`` the background runner, or ``sync_now`` once."""

    def __init__(
        self,
        store: LocalStore,
        terminal_id: str,
        config: LedgerConfig,
        member_qr_root: str | None = None,
        *,
        store_id: str = "",
        programme_version: Callable[[], int] | None = None,
    ) -> None:
        if not config.url or not config.token:
            raise ValueError("a ledger link needs [ledger] url and token")
        self.config = config
        self.transport = SwitchableTransport()
        self.client = LedgerClient(
            config.url, config.token, terminal_id, config.timeout, transport=self.transport
        )
        self.side = StoreSyncSide(store, member_qr_root)
        self.store_id = store_id[:MAX_REPORT_TEXT]
        self.programme_version = programme_version
        reporting = bool(self.store_id) and programme_version is not None
        self.engine = SyncEngine(
            self.side,
            self.client,
            batch_size=config.batch_size,
            report=self.report if reporting else None,
        )
        self.runner: SyncRunner | None = None

    def report(self, after: int) -> TillReport | None:
        """What this till says about itself with a push carrying its events up to
        ``after`` (pending: those after it). None when it cannot be made."""
        if not self.store_id or self.programme_version is None:
            return None
        pending, oldest = self.side.pending_after(after)
        keyset = held_keyset(self.side.store.settings, self.side.member_qr_root)
        return TillReport(
            store=self.store_id,
            software=software_version(),
            programme_version=max(0, self.programme_version()),
            keyset_number=None if keyset is None else keyset.number,
            pending=pending,
            oldest_pending_at=oldest,
        )

    def start(self, on_status: Callable[[SyncStatus], None] | None = None) -> None:
        """Sync in the background every ``sync_interval`` seconds, and on ``trigger``."""
        self.runner = SyncRunner(self.engine, self.config.sync_interval, on_status)
        self.runner.start()

    def stop_background(self) -> None:
        """Stop the background runner (the link stays usable for ``sync_now``)."""
        if self.runner is not None:
            self.runner.stop()
            self.runner = None

    def trigger(self) -> None:
        if self.runner is not None:
            self.runner.trigger()

    def sync_now(self) -> SyncResult:
        """One sync, in the caller's thread; raises SyncError on failure."""
        return self.engine.run_once()

    def lookup(self, card: str) -> bool:
        """Fetch a member the cache lacks, waiting at most ``lookup_timeout``."""
        return self.engine.lookup_member(card, self.config.lookup_timeout)

    def offline_hours(self, last_sync_at: str | None) -> float | None:
        """0.0 while online; else hours since ``last_sync_at`` (None: never synced).

        Online means the connection is up and a sync completed within two sync
        intervals plus a timeout: a till whose network died a minute ago is offline
        even if its last sync succeeded.
        """
        if last_sync_at is None:
            return None
        synced = datetime.fromisoformat(last_sync_at.replace("Z", "+00:00"))
        age = (datetime.now(UTC) - synced).total_seconds()
        fresh = 2 * self.config.sync_interval + self.config.timeout
        if self.connected and self.engine.status.state == "online" and age <= fresh:
            return 0.0
        return age / 3600

    @property
    def status(self) -> SyncStatus:
        return self.engine.status

    @property
    def connected(self) -> bool:
        return self.transport.connected

    def set_connected(self, connected: bool) -> None:
        """Cut or restore the connection (the demo's key); restoring syncs at once."""
        self.transport.connected = connected
        if connected:
            self.trigger()

    def close(self) -> None:
        self.stop_background()
        self.client.close()

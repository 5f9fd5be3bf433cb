"""The till's link to the central ledger: sync engine, background runner, lookups.

Built only when the configuration has a ``[ledger] url``; without one the till runs
offline for good and says so in the status bar. The link owns the HTTP client, so
closing the till closes every connection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pos_client.config import LedgerConfig
from pos_client.store import LocalStore
from pos_client.store.sync_side import StoreSyncSide
from sync.client import LedgerClient
from sync.engine import SyncEngine, SyncResult, SyncStatus
from sync.runner import SyncRunner
from sync.switch import SwitchableTransport


class LedgerLink:
    """Sync for one till: ``start`` the background runner, or ``sync_now`` once."""

    def __init__(
        self,
        store: LocalStore,
        terminal_id: str,
        config: LedgerConfig,
        member_qr_root: str | None = None,
    ) -> None:
        if not config.url or not config.token:
            raise ValueError("a ledger link needs [ledger] url and token")
        self.config = config
        self.transport = SwitchableTransport()
        self.client = LedgerClient(
            config.url, config.token, terminal_id, config.timeout, transport=self.transport
        )
        self.engine = SyncEngine(
            StoreSyncSide(store, member_qr_root), self.client, batch_size=config.batch_size
        )
        self.runner: SyncRunner | None = None

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

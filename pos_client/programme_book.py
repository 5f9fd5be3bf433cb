"""The programme versions a till holds, and the one in force at a moment.

Versions come from the ledger's changes feed (stored by the pull) and are parsed
once per content hash. A till with no ledger, or one that has not yet received any
version, runs the programme of its configuration as version 0.

A version this software cannot run (it needs a newer programme engine) is never
half-applied: the till keeps using the newest version it can run and says so in
:attr:`ProgrammeBook.warning`; the ledger then records those sales as a stale
version.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime

from loyalty.programme import Programme, ProgrammeError, ProgrammeVersion, parse_programme
from loyalty.programme.versions import local_start, start_at, version_in_force
from pos_client.store import LocalStore
from pos_client.store.transaction import read_transaction
from pos_client.views import ProgrammeInfo

EPOCH_START = "1970-01-01T00:00"


@dataclass(frozen=True)
class InForce:
    """The version to use now, and why another was not used (if so)."""

    version: ProgrammeVersion
    warning: str | None = None


class ProgrammeBook:
    """The till's versions: the ledger's ones from the store, else the configured one."""

    def __init__(self, store: LocalStore, configured: Programme) -> None:
        self.store = store
        self.configured = ProgrammeVersion(
            0, local_start(EPOCH_START, configured.timezone), configured
        )
        self._lock = threading.Lock()
        self._parsed: dict[str, Programme] = {}
        self._refused: dict[int, str] = {}
        self._loaded_change = -1
        self._seen: tuple[int, int] | None = None
        self._versions: list[ProgrammeVersion] = []
        self._info: dict[str, ProgrammeInfo] = {}

    def versions(self) -> list[ProgrammeVersion]:
        """Every stored version this software can run, reloaded when a pull stored more
        (a pull in this process bumps the store's generation; one in another process
        moves SQLite's ``data_version``)."""
        with self._lock:
            elsewhere = self.store.changes_elsewhere()
            seen = None if elsewhere is None else (elsewhere, self.store.generation)
            if seen is not None and seen == self._seen:
                return self._versions
            self._seen = seen
            if self.store.catalogue.versions_change() == self._loaded_change:
                return self._versions
            with read_transaction(self.store.conn):
                change = self.store.catalogue.versions_change()
                stored = self.store.catalogue.versions()
            versions = []
            for item in stored:
                programme = self._parsed.get(item.content_hash)
                try:
                    if programme is None:
                        source = f"programme version {item.version} from the ledger"
                        programme = parse_programme(json.loads(item.document), source)
                        self._parsed[item.content_hash] = programme
                    start = start_at(item.effective_utc, programme.timezone)
                except ProgrammeError as error:
                    self._refused[item.version] = error.message
                    continue
                versions.append(ProgrammeVersion(item.version, start, programme))
            self._versions, self._loaded_change = versions, change
            return versions

    def in_force(self, at: datetime) -> InForce:
        """The version to evaluate a sale at business time ``at`` under."""
        versions = self.versions()
        chosen = version_in_force(versions, at)
        if chosen is None:
            return InForce(self.configured)
        newer = [v for v, why in self._refused.items() if v > chosen.version]
        warning = None
        if newer:
            warning = (
                f"Programme version {max(newer)} cannot run on this till "
                f"({self._refused[max(newer)]}); version {chosen.version} is used."
            )
        return InForce(chosen, warning)

    def refused(self) -> dict[int, str]:
        """The stored versions this software cannot run, with the reason for each."""
        self.versions()
        with self._lock:
            return dict(self._refused)

    def info(self, version: ProgrammeVersion) -> ProgrammeInfo:
        """What the screen needs of a version (made once per content)."""
        found = self._info.get(version.content_hash)
        if found is None:
            found = self._info[version.content_hash] = ProgrammeInfo.of(version.programme)
        return found

    def by_number(self, version: int, content_hash: str) -> ProgrammeVersion | None:
        """The version a recorded event names (for refunds under the sale's version)."""
        if version == 0 and content_hash == self.configured.content_hash:
            return self.configured
        for candidate in self.versions():
            if candidate.version == version and candidate.content_hash == content_hash:
                return candidate
        return None

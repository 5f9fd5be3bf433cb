"""Programme versions at the ledger: published once, never rewritten (guarantee 6).

``pos-ledger rules publish FILE --effective-from LOCAL`` stores a validated document
as the next version with its local start; the changes feed carries it to every till
at once, ahead of its start, so a till that is offline when the start comes already
holds it. Documents are parsed once per content hash for the life of the process,
and :func:`published` reads the versions a push recomputes with from three small
columns, so a push never transfers the documents again.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.db import Tx
from ledger.errors import AdminError
from loyalty.canonical import canonical_json
from loyalty.events import utc_now_iso
from loyalty.programme import Programme, ProgrammeError, ProgrammeVersion, parse_programme
from loyalty.programme.settlements import period_conflict
from loyalty.programme.versions import local_start, start_at
from loyalty.timezones import programme_zone

_parsed: dict[str, Programme] = {}
_parsed_lock = threading.Lock()

VersionsKey = tuple[tuple[int, str, str], ...]
"""Every stored version's (version, effective_utc, content_hash), in version order."""

VERSION_COLUMNS = "version, effective_from, effective_utc, content_hash, document, change_no"


@dataclass(frozen=True)
class Published:
    """What publishing stored, and anything the operator should know."""

    version: int
    effective_from: datetime
    warning: str | None = None


def publish_version(
    tx: Tx,
    programme: Programme,
    effective_from: str,
    *,
    check_lead: bool = True,
    now: datetime | None = None,
) -> Published:
    """Store ``programme`` as the next version, in force from the local time
    ``effective_from`` (``now`` for at once). Refuses a start in the past; warns when
    the start is closer than the programme's ``max_offline_hours`` (a till offline
    since before publishing would start it late, as a stale version)."""
    moment = now or datetime.now(UTC)
    start, local, warning = version_start(programme, effective_from, moment, check_lead)
    conflict = period_conflict(
        [v.programme.settlements for v in published(tx).versions], programme.settlements
    )
    if conflict is not None:
        raise AdminError(f"Not published: {conflict}.")
    row = tx.one("SELECT COALESCE(MAX(version), 0) FROM programme_versions")
    version = int(row[0]) + 1 if row else 1
    change = tx.allocate("changes", 1)
    tx.execute(
        "INSERT INTO programme_versions (version, programme_id, effective_from, effective_utc, "
        "content_hash, document, published_at, change_no) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            version,
            programme.id,
            local,
            start.astimezone(UTC).isoformat(),
            programme.content_hash,
            canonical_json(programme.document),
            utc_now_iso(),
            change,
        ),
    )
    return Published(version, start, warning)


def version_start(
    programme: Programme, effective_from: str, moment: datetime, check_lead: bool = True
) -> tuple[datetime, str, str | None]:
    """When a version of ``programme`` published at ``moment`` to start at the local
    time ``effective_from`` (or ``now``) starts: (the aware start, its local text as
    stored, a warning for the operator or None). :class:`AdminError` for a time that
    cannot be read or (with ``check_lead``) lies in the past."""
    if effective_from == "now":
        start = moment.astimezone(programme_zone(programme.timezone)).replace(microsecond=0)
        local = start.replace(tzinfo=None).isoformat(timespec="seconds")
    else:
        try:
            start = local_start(effective_from, programme.timezone)
        except ProgrammeError as error:
            raise AdminError(f"--effective-from: {error.message}") from None
        local = start.replace(tzinfo=None).isoformat(timespec="minutes")
    warning = None
    if check_lead:
        if start < moment - timedelta(minutes=1):
            raise AdminError(
                f"--effective-from {effective_from} is in the past; a version never "
                "applies to sales already made. Give a later time, or 'now'."
            )
        lead = programme.offline.max_offline_hours
        if start < moment + timedelta(hours=lead):
            warning = (
                f"This version starts in less than {lead} hours (max_offline_hours): a "
                "till offline since before now starts it late, and the ledger records "
                "those sales as a stale version."
            )
    return start, local, warning


def parsed(document: str, content_hash: str) -> Programme:
    """The programme of a stored document (parsed once per hash)."""
    with _parsed_lock:
        found = _parsed.get(content_hash)
    if found is None:
        found = parse_programme(json.loads(document), f"programme {content_hash[:12]}")
        with _parsed_lock:
            _parsed[content_hash] = found
    return found


def versions(tx: Tx) -> list[ProgrammeVersion]:
    """Every published version, oldest first."""
    result = []
    for version, _, effective_utc, content_hash, document, _ in tx.query(
        f"SELECT {VERSION_COLUMNS} FROM programme_versions ORDER BY version"
    ):
        programme = parsed(str(document), str(content_hash))
        start = start_at(str(effective_utc), programme.timezone)
        result.append(ProgrammeVersion(int(version), start, programme))
    return result


@dataclass(frozen=True)
class PublishedVersions:
    """Every published version as one transaction saw them, and the key that
    identifies that set.

    Versions are never rewritten or removed, and a version is nothing but its number,
    start and content (parsed once per hash), so two reads with the same ``key`` give
    the same versions: a push recomputes its events outside the write transaction
    under one read, then checks the key inside it (:mod:`ledger.intake`).
    """

    key: VersionsKey
    versions: list[ProgrammeVersion]
    """Oldest first, as :func:`versions` returns them; never mutated (shared)."""
    by_hash: dict[str, Programme]
    """The programme of every stored content hash (what :func:`by_hash` finds)."""


_last_published: PublishedVersions | None = None


def published(tx: Tx) -> PublishedVersions:
    """The published versions, equal to :func:`versions` and :func:`by_hash` in ``tx``,
    built again only when a version was published since the last call."""
    global _last_published
    rows = tx.query(
        "SELECT version, effective_utc, content_hash FROM programme_versions ORDER BY version"
    )
    key = tuple((int(v), str(u), str(h)) for v, u, h in rows)
    last = _last_published
    if last is not None and last.key == key:
        return last
    with _parsed_lock:
        known = {h: _parsed[h] for _, _, h in key if h in _parsed}
    missing = sorted({h for _, _, h in key if h not in known})
    if missing:
        condition, params = tx.in_list("content_hash", missing)
        for content_hash, document in tx.query(
            f"SELECT content_hash, document FROM programme_versions WHERE {condition} "
            "ORDER BY version",
            params,
        ):
            if str(content_hash) not in known:
                known[str(content_hash)] = parsed(str(document), str(content_hash))
    found = []
    for version, effective_utc, content_hash in key:
        programme = known[content_hash]
        start = start_at(effective_utc, programme.timezone)
        found.append(ProgrammeVersion(version, start, programme))
    # The stored hash is the programme's own; keyed by both all the same, as before.
    by_stored_hash = {h: known[h] for _, _, h in key}
    view = PublishedVersions(
        key, found, {**by_stored_hash, **{v.content_hash: v.programme for v in found}}
    )
    _last_published = view
    return view


def by_hash(tx: Tx, content_hash: str) -> Programme | None:
    """The programme with this content hash, whichever version published it."""
    row = tx.one(
        "SELECT document FROM programme_versions WHERE content_hash = ? LIMIT 1", (content_hash,)
    )
    return None if row is None else parsed(str(row[0]), content_hash)


def in_force_row(tx: Tx, at: datetime | None = None) -> dict[str, Any]:
    """The version in force at ``at`` (now) as the wire's ``ProgrammeVersionState``."""
    moment = (at or datetime.now(UTC)).astimezone(UTC).isoformat()
    row = tx.one(
        f"SELECT {VERSION_COLUMNS} FROM programme_versions WHERE effective_utc <= ? "
        "ORDER BY effective_utc DESC, version DESC LIMIT 1",
        (moment,),
    )
    if row is None:
        raise AdminError("No programme version is in force yet.")
    return version_state(row)


def programme_in_force(tx: Tx, at: datetime | None = None) -> Programme:
    """The programme of the version in force at ``at`` (now)."""
    state = in_force_row(tx, at)
    found = by_hash(tx, str(state["content_hash"]))
    if found is None:
        raise AdminError("No programme version is in force yet.")
    return found


def version_state(row: Any) -> dict[str, Any]:
    """A ``VERSION_COLUMNS`` row as the fields of ``ProgrammeVersionState``."""
    version, effective_from, effective_utc, content_hash, document, _ = row
    return {
        "version": int(version),
        "effective_from": str(effective_from),
        "effective_utc": str(effective_utc),
        "content_hash": str(content_hash),
        "document": json.loads(document),
    }

"""Reading a pushed batch before the write transaction: most of a push's CPU.

Every push of every till queues for the one write transaction
(:meth:`ledger.db.Database.write`), so whatever it holds delays all the others. Most
of a push's CPU depends only on the events and the published programme versions: the
canonical document, the hash check, reading the basket and member snapshot (the form
check of :mod:`ledger.checks`) and evaluating the sale again
(:mod:`ledger.recompute`). :func:`read_batch` does that work first, in a short read
transaction, and the write transaction (:mod:`ledger.service`) keeps the decisions,
the reads they need and the writes.

It changes no answer, because nothing computed here is used unless it is exactly what
the transaction would have computed:

* the document, hash check and form check are functions of the event alone; the
  basket and snapshot they read are immutable and evaluated as they are;
* the findings of a sale, redemption or action are a function of the event and of
  the published versions; they are kept with the versions' key
  (:class:`ledger.programmes.PublishedVersions`), and the transaction uses them only
  when it reads the same key (no version was published in between), otherwise it
  computes them again as it always did;
* a refund's findings depend on its sale and what was returned from it before: they
  are computed in the transaction, as before;
* work is done ahead only for the events that continue the terminal's chain as the
  read saw it (in sequence, each on the hash of the one before), up to the first
  malformed one: the others are duplicates, or stop the stream, or the transaction
  reads them itself when it gets to them. So a batch pushed again after a lost
  answer costs no evaluation at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from ledger import checks, members, programmes
from ledger.checks import EventInputs
from ledger.db import Database
from ledger.programmes import PublishedVersions
from ledger.recompute import Finding, Recomputer
from ledger.terminals import terminal_position
from loyalty.canonical import canonical_json
from loyalty.programme.basket import parse_business_time

Wire = Mapping[str, Any]
"""One event as pushed: its content and ``hash``."""


@dataclass
class Intake:
    """One pushed event, read once: what the checks and the write need of it.

    The lazily computed parts (:meth:`problem`, :meth:`postings`, ...) are filled
    ahead by :func:`read_batch` or on first use in the transaction, never twice.
    """

    content: dict[str, Any]
    """Every field but ``hash``."""
    hash: str
    document: str
    """The canonical JSON of ``content``: what is stored, and what the hash covers."""
    findings: list[Finding] | None = None
    """A sale's, redemption's or action's recomputation, made under
    :attr:`Batch.published` (None: not made ahead)."""
    _checked: bool = False
    _problem: str | None = None
    _inputs: EventInputs | None = None
    _postings: dict[str, int] | None = field(default=None, repr=False)
    _row: tuple[str, str] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, event: Wire) -> Intake:
        content = {k: v for k, v in event.items() if k != "hash"}
        return cls(content, str(event["hash"]), canonical_json(content))

    def problem(self) -> str | None:
        """Why the event is malformed (its hash, then :func:`ledger.checks.read_event`),
        or None."""
        if not self._checked:
            digest = hashlib.sha256(self.document.encode("ascii")).hexdigest()
            if digest != self.hash:
                self._problem = (
                    f"Event {self.content['seq']}: its hash does not match its content "
                    "(altered in transit?)."
                )
            else:
                self._problem, self._inputs = checks.read_event(self.content)
            self._checked = True
        return self._problem

    @property
    def inputs(self) -> EventInputs | None:
        """What the form check read (after :meth:`problem`; None for schema 1)."""
        return self._inputs

    def postings(self) -> dict[str, int]:
        """The signed change per account the event records."""
        if self._postings is None:
            content = self.content
            if "schema" not in content:
                points = int(content["points"])
                self._postings = {members.POINTS: points} if points else {}
            else:
                self._postings = {str(k): int(v) for k, v in content["postings"].items()}
        return self._postings

    def stored(self) -> tuple[str, str]:
        """The ``business_at`` and ``postings`` columns of its row in ``events``."""
        if self._row is None:
            self._row = (self._business_at(), canonical_json(self.postings()))
        return self._row

    def event_row(
        self, member_id: str, flags: list[str], ledger_seq: int, received_at: str
    ) -> tuple[object, ...]:
        """Its row in ``events`` (:data:`ledger.event_store.EVENT_COLUMNS`), applied to
        ``member_id`` with these anomaly ``flags``."""
        content = self.content
        business_at, postings = self.stored()
        return (
            content["event_id"],
            content["terminal_id"],
            content["seq"],
            content["kind"],
            content["card"],
            member_id,
            content["recorded_at"],
            business_at,
            content.get("refers_to"),
            content["prev_hash"],
            self.hash,
            postings,
            self.document,
            ledger_seq,
            ",".join(flags),
            received_at,
        )

    def _business_at(self) -> str:
        """When it happened, in UTC, for ordering and filtering by time."""
        if "business_time" not in self.content:
            return str(self.content["recorded_at"])
        at = self._inputs.at if self._inputs is not None else None
        if at is None:
            at = parse_business_time(self.content["business_time"])
        return at.astimezone(UTC).isoformat()


@dataclass
class Batch:
    """A pushed batch as read before the write transaction."""

    events: list[Intake]
    published: PublishedVersions | None
    """The versions the findings made ahead were computed under (None: none made)."""


def read_batch(db: Database, terminal_id: str, events: list[Wire]) -> Batch:
    """Read every event and do ahead what the write transaction will need; see the
    module doc for why this changes no answer."""
    intakes = [Intake.of(e) for e in events]
    if not intakes:
        return Batch(intakes, None)
    with db.snapshot() as tx:
        high_water, last_hash = terminal_position(tx, terminal_id)
        published = programmes.published(tx)
    recomputer = Recomputer(published.versions, published.by_hash)
    expected = high_water + 1
    for intake in intakes:
        content = intake.content
        try:
            if (
                content["seq"] != expected
                or content["prev_hash"] != last_hash
                or intake.problem() is not None
            ):
                break
            intake.stored()
            if "schema" in content and content["kind"] != "refund":
                intake.findings = recomputer.findings(content, None, intake.inputs)
        except Exception:
            # Left to the transaction: if it gets to this event, it fails exactly as
            # it always did; if it stops the stream before, the failure never mattered.
            break
        expected, last_hash = expected + 1, intake.hash
    return Batch(intakes, published)

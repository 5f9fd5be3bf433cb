"""Applying a batch of one terminal's events: the heart of exactly-once.

Everything happens in one write transaction (:meth:`Database.push`, holding the
batch's terminal and members: :mod:`ledger.locking`):
the events, the accounts they change, the anomalies they raise, the terminal's new
high water, and the reading of the answer. Either all of it commits or none of it
does, so a crash or a lost answer can only lead to the same batch being pushed again,
which then finds its events already stored and answers ``duplicate``. The CPU work
that depends on nothing the transaction changes (hashes, the form checks, the
recomputation of sales) is done before it by :mod:`ledger.intake`, so the lock is
held for little more than the reads and writes.

Per event, in the order sent (each already passed the field checks of
:mod:`loyalty.event_fields` at the door):

1. Already stored under this ``event_id`` (or earlier in this batch) with the same
   content: ``duplicate``, a success, not applied again. With other content:
   ``conflict``, and the stream stops.
2. Malformed (its hash, :func:`ledger.checks.read_event`, or a refund beyond its
   sale, :mod:`ledger.sales`): the stream stops.
3. ``seq`` must be ``high_water + 1`` (else ``gap`` if beyond, ``fork`` if that
   position already holds another event) and ``prev_hash`` must be the hash of the
   event at ``high_water`` (else ``fork``): otherwise the stream stops.
4. Otherwise the event is applied: stored, and applied to its member's accounts
   (:meth:`ledger.accounts.Accounts.apply`: balances, lots, tiers, rewards, vouchers,
   offers, caps, the dividend accrued), and flagged (never refused) for an overdraft,
   an unknown, blocked or revoked card, a reward, voucher or offer not held or used
   twice, an award over its cap, a single-use member code used at two tills
   (:mod:`ledger.token_uses`), or a finding of the recomputation (:mod:`ledger.recompute`).

After the batch's events, in the same transaction, the ledger appends its own events
that they call for (:mod:`ledger.own_events`): a ``correction`` for each award over
its cap and each sale rerated under the version in force
(:mod:`ledger.corrections`), then a ``settlement`` converting a wallet that reached a
voucher threshold (:mod:`ledger.conversions`). The answer's balances include them.

Events after a stop are answered ``rejected`` and not applied; the till sends them
again once a manager has dealt with the stopping event: approved, or voided (an
event the push names in ``voids`` is kept in the chain and not applied:
:mod:`ledger.voids`).

Before an event is applied, its approval is checked (:mod:`ledger.approval_checks`:
one that needed a manager's approval and has none is malformed), and the member
events ``enrol``, ``replace`` and ``block`` find or create their member and change
cards (:mod:`ledger.member_events`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ledger import checks, locking, programmes, rules
from ledger.accounts import Accounts
from ledger.anomalies import Anomaly, record_anomalies
from ledger.approval_checks import DEFAULT_POLICY, approval_flags, approval_problem
from ledger.conversions import conversions_due
from ledger.corrections import cap_correction, cap_refund_correction, rerate_refund, rerate_sale
from ledger.db import Database, Tx
from ledger.event_store import insert_events
from ledger.instants import instant
from ledger.intake import Batch, Intake, Wire, read_batch
from ledger.member_book import MemberBook, WorkingMember
from ledger.member_events import MemberEvents, enrolment_problem
from ledger.own_events import OwnEvent
from ledger.own_work import apply_own_events, write_accounts
from ledger.push_reads import known_events, touched_states
from ledger.recompute import Finding, Recomputer
from ledger.sales import Sale, SaleBook
from ledger.staff import active_managers
from ledger.terminals import record_position, terminal_position
from ledger.tier_keeping import settled_as_of
from ledger.token_uses import token_use_flags
from ledger.voids import VOIDED, hash_matches, void_detail, voided_row, voids_of
from loyalty.events import utc_now_iso
from sync.protocol import PushResponse

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Applied:
    event: Intake
    member_id: str
    flags: list[str]
    voided: bool = False


@dataclass
class _Decided:
    """What a batch decided, to be written in one go."""

    terminal_id: str
    high_water: int
    last_hash: str
    results: list[dict[str, object]] = field(default_factory=list)
    applied: list[_Applied] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)
    stop: dict[str, object] | None = None
    follow_ups: list[OwnEvent] = field(default_factory=list)
    """The ledger's own events the batch calls for (rerated sales)."""


def push(
    db: Database,
    terminal_id: str,
    events: list[Wire],
    clock: Clock = utc_now,
    voids: Sequence[Mapping[str, Any]] = (),
) -> PushResponse:
    """Apply a batch already checked to belong to ``terminal_id``; see module doc."""
    return PushResponse.model_validate(push_answer(db, terminal_id, events, clock, voids))


def push_answer(
    db: Database,
    terminal_id: str,
    events: list[Wire],
    clock: Clock = utc_now,
    voids: Sequence[Mapping[str, Any]] = (),
) -> dict[str, object]:
    """:func:`push` returning the plain JSON-ready answer the HTTP route sends as is
    (the till validates it against :class:`PushResponse`). ``clock`` says when the
    ledger's own events happen (a voucher issued today); ``voids`` are the manager's
    voids of events of this batch (:mod:`ledger.voids`)."""
    voided = voids_of(events, voids)
    read = read_batch(db, terminal_id, events)
    live = [e for e in events if str(e["event_id"]) not in voided]

    def apply(tx: Tx, book: MemberBook) -> dict[str, object]:
        batch = _Decided(terminal_id, *terminal_position(tx, terminal_id))
        known = known_events(tx, [str(e["event_id"]) for e in events])
        context = _Context(tx, read, book, terminal_id, voided)
        for event in read.events:
            _decide(context, batch, known, book, event)
        _write(tx, batch, book, context, clock())
        return {
            "results": batch.results,
            "high_water": batch.high_water,
            "last_hash": batch.last_hash,
            "balances": touched_states(tx, book, batch.touched),
            "stopped_at": batch.stop,
        }

    return locking.in_push(db, terminal_id, live, apply)


class _Context:
    """What deciding a batch's events needs beyond their members: the sales their
    refunds refer to, the programmes to recompute them with (read once), and the
    members' accounts."""

    def __init__(
        self,
        tx: Tx,
        read: Batch,
        book: MemberBook,
        terminal_id: str,
        voided: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self.tx = tx
        self.voided = voided
        contents = [e.content for e in read.events if str(e.content["event_id"]) not in voided]
        self.sales = SaleBook(tx, [c for c in contents if c["kind"] == "refund"])
        self._read = read
        self.published = programmes.published(tx)
        self.accounts = Accounts(self.published.versions, self.published.by_hash, settled_as_of(tx))
        self.accounts.load(tx, book.by_id.values(), contents)
        self.member_events = MemberEvents(tx, terminal_id)
        self.managers = active_managers(tx)
        self._recomputer: Recomputer | None = None
        self._ahead_valid = False

    def findings(self, event: Intake, sale: Sale | None) -> list[Finding]:
        """The recomputation's findings for an event being applied: those made ahead
        (:mod:`ledger.intake`) if the versions are still the ones they were made
        under, else made now."""
        if self._recomputer is None:
            published = self.published
            self._recomputer = Recomputer(published.versions, published.by_hash)
            ahead = self._read.published
            self._ahead_valid = ahead is not None and ahead.key == published.key
        if event.findings is not None and self._ahead_valid:
            return event.findings
        return self._recomputer.findings(event.content, sale, event.inputs)


def _decide(
    context: _Context,
    batch: _Decided,
    known: dict[str, tuple[str, str, str]],
    book: MemberBook,
    event: Intake,
) -> None:
    content = event.content
    if batch.stop is not None:
        batch.results.append(
            _result(
                content,
                "rejected",
                f"Not applied: the stream stopped at event {batch.stop['seq']}.",
            )
        )
        return
    prior = known.get(str(content["event_id"]))
    if prior is not None:
        if (prior[0], prior[1]) == (event.hash, event.document):
            batch.touched.add(prior[2])
            batch.results.append(_result(content, "duplicate", "Already recorded."))
        else:
            _stop(batch, content, "conflict", "This event id was recorded with other content.")
        return
    void = context.voided.get(str(content["event_id"]))
    if void is not None:
        problem = None if hash_matches(event.document, event.hash) else "its hash does not match"
    else:
        problem = event.problem()
    if problem is not None:
        _stop(batch, content, "malformed", problem)
    elif content["seq"] > batch.high_water + 1:
        _stop(
            batch, content, "gap", f"Expected event {batch.high_water + 1}, got {content['seq']}."
        )
    elif content["seq"] <= batch.high_water:
        _stop(
            batch, content, "fork", f"Event {content['seq']} was already recorded with another id."
        )
    elif content.get("prev_hash") != batch.last_hash:
        _stop(
            batch,
            content,
            "fork",
            f"Event {content['seq']} does not follow event {batch.high_water} (hash chain broken).",
        )
    elif void is not None:
        _void(batch, known, event, void)
    else:
        at = instant(event.stored()[0])
        programme = context.accounts.programme_of(content, at) if "schema" in content else None
        policy = DEFAULT_POLICY if programme is None else programme.approvals
        problem = approval_problem(content, event.postings(), policy)
        problem = problem or enrolment_problem(content)
        if problem is not None:
            _stop(batch, content, "malformed", problem)
            return
        member, flags = context.member_events.member(book, content)
        refund_problem = (
            context.sales.problem(content, member.member_id)
            if content["kind"] == "refund" and "schema" in content
            else None
        )
        if refund_problem is not None:
            _stop(batch, content, "malformed", refund_problem)
            return
        if content["kind"] in ("replace", "block"):
            flags += context.member_events.apply(book, member, content)
        flags += approval_flags(content, event.postings(), policy, context.managers)
        flags += token_use_flags(context.tx, batch.terminal_id, member.member_id, content)
        _apply(context, batch, known, book, member, event, flags)


def _void(
    batch: _Decided, known: dict[str, tuple[str, str, str]], event: Intake, void: Mapping[str, Any]
) -> None:
    """Keep a voided event in the chain, applying nothing of it (:mod:`ledger.voids`)."""
    content = event.content
    seq = int(content["seq"])
    batch.anomalies.append(
        Anomaly(VOIDED, batch.terminal_id, str(content["event_id"]), seq, None, void_detail(void))
    )
    batch.applied.append(_Applied(event, "", [VOIDED], voided=True))
    known[str(content["event_id"])] = (event.hash, event.document, "")
    batch.high_water, batch.last_hash = seq, event.hash
    batch.results.append(_result(content, "accepted", "Voided by a manager: kept, not applied."))


def _apply(
    context: _Context,
    batch: _Decided,
    known: dict[str, tuple[str, str, str]],
    book: MemberBook,
    member: WorkingMember,
    event: Intake,
    flags: list[tuple[str, str]],
) -> None:
    content = event.content
    card, kind = str(content["card"]), content["kind"]
    if kind == "enrol":
        pass  # its card is new by design (ledger.member_events)
    elif member.is_new and not member.changed:
        flags.append(("unknown_card", f"card {card} was not known to the ledger"))
    elif card in book.unknown_cards:
        flags.append(
            (
                "unknown_card",
                f"card {card} is not known to the ledger; applied to member "
                f"{member.member_id}, whom the event names",
            )
        )
    elif card in book.revoked and kind not in ("replace", "block"):
        flags.append(("revoked_card", f"card {card} was revoked"))
    if member.status == "blocked":
        flags.append(("blocked_card", f"member {member.member_id} is blocked"))
    sale = None
    if kind == "refund" and content.get("refers_to") in context.sales.sales:
        sale = context.sales.record_refund(content)
    findings: list[Finding] = []
    if "schema" not in content:
        mismatch = checks.rule_findings(
            content, rules.rules_version(context.tx, content["rule_version"])
        )
        if mismatch is not None:
            flags.append(("rule_mismatch", mismatch))
    else:
        findings = context.findings(event, sale)
        flags += findings
    flags += context.accounts.apply(
        member,
        content,
        event.postings(),
        instant(event.stored()[0]),
        None if sale is None else sale.as_refunded(),
    )
    _follow_up(context, batch, member, event, sale, findings)
    if kind in ("sale", "earn"):
        context.sales.add_sale(content, member.member_id, event.inputs)
    for flag, detail in flags:
        member.reasons.add(flag)
        batch.anomalies.append(
            Anomaly(
                flag,
                batch.terminal_id,
                str(content["event_id"]),
                int(content["seq"]),
                member.member_id,
                detail,
            )
        )
    batch.applied.append(_Applied(event, member.member_id, [k for k, _ in flags]))
    batch.touched.add(member.member_id)
    known[str(content["event_id"])] = (event.hash, event.document, member.member_id)
    batch.high_water, batch.last_hash = int(content["seq"]), event.hash
    batch.results.append(_result(content, "accepted", ""))


def _follow_up(
    context: _Context,
    batch: _Decided,
    member: WorkingMember,
    event: Intake,
    sale: Sale | None,
    findings: list[Finding],
) -> None:
    """The corrections an applied event calls for (a stale sale, or a refund of one,
    under a rerating version)."""
    content = event.content
    own = None
    if content["kind"] == "sale" and any(kind == "stale_version" for kind, _ in findings):
        own = rerate_sale(context.published.versions, member, content, event.inputs)
    elif content["kind"] == "refund" and sale is not None and "schema" in sale.content:
        own = rerate_refund(
            context.tx,
            context.published.versions,
            context.published.by_hash,
            member,
            content,
            sale,
            batch.follow_ups,
        )
    if own is not None:
        batch.follow_ups.append(own)


def _stop(batch: _Decided, event: Wire, code: str, reason: str) -> None:
    batch.stop = {
        "seq": event["seq"],
        "event_id": event["event_id"],
        "code": code,
        "reason": reason,
    }
    batch.anomalies.append(
        Anomaly(code, batch.terminal_id, str(event["event_id"]), int(event["seq"]), None, reason)
    )
    status = "conflict" if code == "conflict" else "rejected"
    batch.results.append(_result(event, status, reason))


def _result(event: Mapping[str, Any], status: str, reason: str) -> dict[str, object]:
    return {"event_id": event["event_id"], "seq": event["seq"], "status": status, "reason": reason}


def _write(tx: Tx, batch: _Decided, book: MemberBook, context: _Context, now: datetime) -> None:
    """Write what the batch decided. The rows that take numbers of the ledger's order
    or of the changes feed (the events, the members, the revoked cards) are written
    last, right before the commit, because taking those numbers locks their counters
    until the commit and so queues every other push (:mod:`ledger.db`). Only when the
    batch calls for the ledger's own events are its events numbered first, since the
    own events must follow them in the ledger's order."""
    stamp = utc_now_iso()
    accounts = context.accounts
    numbered = False

    def number_events() -> None:
        nonlocal numbered
        if numbered or not batch.applied:
            return
        numbered = True
        first = tx.allocate("ledger_seq", len(batch.applied))
        insert_events(
            tx,
            [
                voided_row(a.event.content, a.event.hash, a.event.document, first + i, stamp)
                if a.voided
                else a.event.event_row(a.member_id, a.flags, first + i, stamp)
                for i, a in enumerate(batch.applied)
            ],
        )

    if batch.applied:
        record_position(tx, batch.terminal_id, batch.high_water, batch.last_hash, stamp)
        corrections = (
            batch.follow_ups
            + [cap_correction(o) for o in accounts.over_cap]
            + [cap_refund_correction(t) for t in accounts.cap_returns]
        )
        if corrections:
            number_events()
            apply_own_events(tx, accounts, corrections)
        changed = [m for m in book.by_id.values() if m.changed]
        conversions = conversions_due(accounts.versions, changed, now)
        if conversions:
            number_events()
            apply_own_events(tx, accounts, conversions)
    record_anomalies(tx, batch.anomalies + accounts.anomalies, stamp)
    write_accounts(tx, accounts, book)
    number_events()
    book.write(tx)
    context.member_events.write()

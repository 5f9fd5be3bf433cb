"""The till's report through a real ledger: what the terminals page will show.

A pull notes the contact and tells the till the ledger keeps reports (no request of
its own). A real till records sales offline and syncs one event at a time; the
connection is
cut just after the ledger received a push whose report counted the events still
waiting, so the ledger holds exactly that figure and the oldest waiting event's time.
A full sync then brings both to nothing. A pull alone moves the last contact only. A
malformed report is refused with the usual 422 and applies nothing; a push without a
report (an older till) still works and still counts as contact. SQLite and
PostgreSQL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

import httpx

from loyalty.events import GENESIS_HASH
from sync.switch import SwitchableTransport
from tests.integration.sync.rig import LedgerUnderTest, TillRig, assert_in_agreement

TillFactory = Callable[..., TillRig]


def _row(ledger: LedgerUnderTest, terminal_id: str) -> dict[str, Any] | None:
    with ledger.db.snapshot() as tx:
        row = tx.one(
            "SELECT store, software, programme_version, keyset_number, pending, "
            "oldest_pending_at, reported_at, last_contact_at FROM terminal_reports "
            "WHERE terminal_id = ?",
            (terminal_id,),
        )
    if row is None:
        return None
    keys = (
        "store",
        "software",
        "programme_version",
        "keyset_number",
        "pending",
        "oldest_pending_at",
        "reported_at",
        "last_contact_at",
    )
    return dict(zip(keys, row, strict=True))


class _CutAfterReport(httpx.BaseTransport):
    """Cuts the till's connection right after the first push that carried a report
    reached the ledger and was answered."""

    def __init__(self, switch: SwitchableTransport) -> None:
        self.switch, self.inner = switch, switch.inner
        self.reports: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path == "/v1/events":
            body = json.loads(request.content or b"{}")
            if "report" in body and not self.reports:
                self.reports.append(body["report"])
                self.switch.connected = False
        return response

    def close(self) -> None:
        self.inner.close()


def test_report_follows_offline_sales_and_sync(
    any_ledger: LedgerUnderTest, new_till: TillFactory
) -> None:
    rig = new_till(any_ledger, batch_size=1)
    (card,) = any_ledger.add_members(1000)
    rig.sync_until_settled()  # members pulled; the feed said the ledger keeps reports
    assert rig.link.client.reports_kept
    heard = _row(any_ledger, rig.terminal_id)  # a pull: contact only, no report yet
    assert heard is not None and heard["store"] == "" and heard["reported_at"] is None

    sales = [rig.earn(card, amount) for amount in ("10.00", "20.00", "30.00")]  # offline
    cutter = _CutAfterReport(rig.link.transport)
    rig.link.transport.inner = cutter
    assert not rig.sync()  # cut after the push of sale 1 or 2: the rest stays
    sent = cutter.reports[0]
    waiting = _row(any_ledger, rig.terminal_id)
    assert waiting is not None
    assert waiting["store"] == rig.config.store_id
    assert waiting["software"] == metadata.version("loyalty-till")
    assert int(waiting["programme_version"]) == rig.till.version().version == 1
    assert waiting["keyset_number"] is None
    assert int(waiting["pending"]) == sent["pending"] >= 1
    left = sales[-sent["pending"] :]
    assert waiting["oldest_pending_at"] == left[0].recorded_at

    rig.link.transport.inner = cutter.inner
    rig.link.set_connected(True)
    rig.sync_until_settled()
    assert_in_agreement(any_ledger, rig, [card])
    settled = _row(any_ledger, rig.terminal_id)
    assert settled is not None
    assert (int(settled["pending"]), settled["oldest_pending_at"]) == (0, None)

    time.sleep(0.01)
    assert rig.sync()  # nothing to push and nothing new to report: a pull only
    pulled = _row(any_ledger, rig.terminal_id)
    assert pulled is not None
    assert pulled["reported_at"] == settled["reported_at"]
    assert pulled["last_contact_at"] > settled["last_contact_at"]


def _push(ledger: LedgerUnderTest, terminal_id: str, token: str, body: object) -> httpx.Response:
    return httpx.post(
        f"{ledger.url}/v1/events",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_malformed_report_refused_and_reportless_push_counts(
    any_ledger: LedgerUnderTest,
) -> None:
    terminal_id, token = any_ledger.add_terminal()
    good = {
        "store": "S9",
        "software": "0.1.0",
        "programme_version": 1,
        "keyset_number": None,
        "pending": 0,
        "oldest_pending_at": None,
    }
    for field, value in (
        ("pending", -1),
        ("pending", "3"),
        ("store", "x" * 65),
        ("software", ""),
        ("oldest_pending_at", "yesterday"),
        ("keyset_number", -2),
        ("surprise", 1),
    ):
        refused = _push(
            any_ledger,
            terminal_id,
            token,
            {"terminal_id": terminal_id, "events": [], "report": {**good, field: value}},
        )
        assert refused.status_code == 422, (field, refused.text)
        answer = refused.json()
        assert answer["error"] == "invalid" and "report" in answer["reason"], answer
    contact = _row(any_ledger, terminal_id)
    assert contact is not None and contact["store"] == "" and contact["reported_at"] is None

    older = _push(any_ledger, terminal_id, token, {"terminal_id": terminal_id, "events": []})
    assert older.status_code == 200, older.text
    assert older.json()["reports"] is True
    assert older.json()["last_hash"] == GENESIS_HASH

    kept = _push(
        any_ledger, terminal_id, token, {"terminal_id": terminal_id, "events": [], "report": good}
    )
    assert kept.status_code == 200, kept.text
    row = _row(any_ledger, terminal_id)
    assert row is not None
    assert (row["store"], row["software"], int(row["programme_version"])) == ("S9", "0.1.0", 1)
    assert row["reported_at"] == row["last_contact_at"]


class _ForgetsReports(httpx.BaseTransport):
    """A ledger put back to a release before reports: a push carrying one is refused
    as an older ledger refuses a field it does not know."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/events" and b'"report"' in request.content:
            self.refused += 1
            reason = "report: Extra inputs are not permitted"
            return httpx.Response(422, json={"error": "invalid", "reason": reason})
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_a_ledger_that_refuses_the_report_still_gets_the_events(
    ledger: LedgerUnderTest, new_till: TillFactory
) -> None:
    rig = new_till(ledger)
    (card,) = ledger.add_members(500)
    rig.sync_until_settled()
    assert rig.link.client.reports_kept
    older = _ForgetsReports(rig.link.transport.inner)
    rig.link.transport.inner = older
    rig.earn(card, "10.00")
    rig.earn(card, "5.00")
    rig.sync_until_settled()
    assert older.refused >= 1
    assert not rig.link.status.parked
    assert_in_agreement(ledger, rig, [card])

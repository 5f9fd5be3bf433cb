"""Only the ledger's own verdicts park an event, and only a push at the tip is fresh.

* A 404 from something between the till and the ledger (a proxy's wrong path), a
  gateway's 502 page, or a 400 that is not the ledger's error format park nothing:
  the sync fails as offline, is retried, and once the path is right every event
  reaches the ledger once.
* While an event is parked, pulls still succeed, but they do not make the till
  "recently synced": the offline redemption limits keep counting from the last sync
  whose push reached the journal's tip, so a till stuck behind a parked event stops
  redeeming after ``max_offline_hours`` like any offline till.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from loyalty.errors import RedemptionRefused
from pos_client.store.sync_side import LAST_SYNC_AT
from pos_client.store.transaction import write_transaction
from sync.errors import UnexpectedAnswer
from tests.integration.sync.rig import LedgerUnderTest, TillRig, assert_in_agreement
from tests.integration.sync.transports import RefusingPushes, is_push


class NotTheLedger(httpx.BaseTransport):
    """Answers pushes as something in front of the ledger does: ``status`` with a body
    that is not the ledger's error format."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        self.inner = httpx.HTTPTransport()
        self.status, self.body, self.content_type = status, body, content_type
        self.answered = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if is_push(request):
            self.answered += 1
            headers = {"content-type": self.content_type}
            return httpx.Response(self.status, headers=headers, content=self.body)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


NOT_THE_LEDGER = [
    pytest.param(404, b"<html><h1>404 Not Found</h1></html>", "text/html", id="proxy-404"),
    pytest.param(502, b"<html>Bad Gateway</html>", "text/html", id="gateway-502"),
    pytest.param(400, b'{"message": "bad request"}', "application/json", id="json-400"),
    pytest.param(405, b"", "text/plain", id="empty-405"),
]


@pytest.mark.parametrize(("status", "body", "content_type"), NOT_THE_LEDGER)
def test_an_answer_not_from_the_ledger_parks_nothing_and_is_retried(
    ledger: LedgerUnderTest, tmp_path: Path, status: int, body: bytes, content_type: str
):
    (card,) = ledger.add_members(1000)
    rig = TillRig.new(ledger, tmp_path)
    try:
        assert rig.sync()
        proxy = NotTheLedger(status, body, content_type)
        rig.link.transport.inner = proxy
        rig.earn(card, "100")
        rig.earn(card, "40")
        for _ in range(3):
            assert not rig.sync()
        assert proxy.answered == 3
        status_now = rig.link.status
        assert status_now.parked == () and status_now.state == "offline"
        assert status_now.pending == 2 and "retry" in (status_now.last_error or "")
        assert ledger.events(rig.terminal_id) == []

        rig.link.transport.inner = httpx.HTTPTransport()  # the path is right again
        rig.sync_until_settled()
        assert_in_agreement(ledger, rig, [card])
    finally:
        rig.close()


def test_a_4xx_not_from_the_ledger_is_a_retryable_error(ledger: LedgerUnderTest, tmp_path: Path):
    rig = TillRig.new(ledger, tmp_path)
    try:
        rig.link.transport.inner = NotTheLedger(404, b"no", "text/plain")
        rig.till.scan(ledger.add_members(10)[0])
        rig.till.earn("10")
        with pytest.raises(UnexpectedAnswer) as raised:
            rig.link.engine.client.push(rig.journal(), ())
        assert raised.value.retryable and raised.value.status_code == 404
    finally:
        rig.close()


def _last_fresh(rig: TillRig) -> str | None:
    return rig.till.store.settings.get(LAST_SYNC_AT)


def _set_last_fresh(rig: TillRig, moment: datetime) -> None:
    stamp = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    with write_transaction(rig.till.store.conn):
        rig.till.store.settings.set(LAST_SYNC_AT, stamp)


def test_pulls_behind_a_parked_event_are_not_fresh(ledger: LedgerUnderTest, tmp_path: Path):
    (card,) = ledger.add_members(5000)
    rig = TillRig.new(ledger, tmp_path)
    try:
        assert rig.sync()
        three_days_ago = datetime.now(UTC) - timedelta(hours=80)
        _set_last_fresh(rig, three_days_ago)
        stale = _last_fresh(rig)

        rig.link.transport.inner = RefusingPushes()
        rig.earn(card, "100")
        assert not rig.sync()  # the ledger's verdict: parked
        rig.reopen()  # the ledger reads this till's events again; the event stays parked
        for _ in range(2):
            assert rig.sync()  # pulls succeed ...
        assert _last_fresh(rig) == stale  # ... but are not fresh
        assert rig.link.status.state == "stopped" and rig.link.status.pending == 1
        rig.till.scan(card)
        with pytest.raises(RedemptionRefused, match="offline for 80 hours"):
            rig.till.redeem(100)

        rig.till.retry_parked(1, "9001")
        rig.sync_until_settled()
        assert _last_fresh(rig) != stale  # the push reached the tip: fresh again
        rig.till.scan(card)
        rig.till.redeem(100)
        rig.sync_until_settled()
        assert_in_agreement(ledger, rig, [card])
    finally:
        rig.close()

"""The till's HTTP client for the ledger: every answer validated before it is trusted.

One method per endpoint of docs/PROTOCOL.md. Each either returns a validated
:mod:`sync.protocol` model or raises a :mod:`sync.errors` error that says whether a
retry can help. Nothing here retries or sleeps; the engine decides.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from loyalty.events import Event
from sync.errors import (
    InvalidAnswer,
    LedgerRefused,
    LedgerUnavailable,
    LedgerUnreachable,
    LedgerVerdict,
    NotAuthorised,
    UnexpectedAnswer,
)
from sync.history_wire import MemberHistoryResponse
from sync.protocol import (
    TILL_CONFIRMED_HEADER,
    TILL_EPOCH_HEADER,
    CardRangesResponse,
    ChangesResponse,
    MemberResponse,
    PushResponse,
    RulesResponse,
    TerminalEventsResponse,
    TillReport,
    Void,
)
from sync.unknowns import note_unknown_fields

Answer = TypeVar("Answer", bound=BaseModel)
RETRYABLE_STATUS = {409, 429}


class LedgerClient:
    """Talks to one ledger as one terminal. Thread-confined: one engine uses it."""

    def __init__(
        self,
        base_url: str,
        token: str,
        terminal_id: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.terminal_id = terminal_id
        self.timeout = timeout
        self.reports_kept = False
        """The last push answer or changes page said the ledger keeps a till's report
        (one goes with each push from then on)."""
        self._position: dict[str, str] = {}
        """The epoch headers every request carries (:meth:`tell_position`)."""
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def tell_position(self, epoch: str | None, confirmed: int) -> None:
        """Send, with every later request, the ledger epoch this till last saw and
        the highest of its events confirmed in it: a ledger whose data is older than
        that begins a new epoch (:mod:`ledger.epochs`). A new mapping each time, read
        whole by each request, so a page fetched ahead on another thread
        (:mod:`sync.prefetch`) sends one consistent pair."""
        position = {TILL_CONFIRMED_HEADER: str(confirmed)}
        if epoch:
            position[TILL_EPOCH_HEADER] = epoch
        self._position = position

    def push(
        self, events: list[Event], voids: Sequence[Void] = (), report: TillReport | None = None
    ) -> PushResponse:
        """``POST /v1/events`` with one batch of this terminal's events, in order.

        The body is a :class:`~sync.protocol.PushRequest`, encoded straight from the
        journal's events (their ``to_dict`` is exactly the wire form of ``EventIn``);
        the ledger validates it. ``voids`` (events of this batch a manager voided) are
        left out of the body when there are none, as older ledgers expect; so is the
        till's ``report`` until an answer said this ledger keeps reports
        (:attr:`reports_kept`), as an older ledger refuses a field it does not know.
        """
        body: dict[str, object] = {
            "terminal_id": self.terminal_id,
            "events": [e.to_dict() for e in events],
        }
        if voids:
            body["voids"] = [v.model_dump() for v in voids]
        if report is not None and self.reports_kept:
            body["report"] = report.model_dump()
        try:
            answer = self._request(
                "POST",
                "/v1/events",
                PushResponse,
                content=json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json"},
            )
        except LedgerVerdict as refused:
            if (
                "report" not in body
                or refused.status_code != 422
                or "report" not in refused.message
            ):
                raise
            # The report was refused (a ledger put back to an older release): the
            # events go again without it, and no report goes until an answer asks.
            self.reports_kept = False
            return self.push(events, voids)
        _check_push_answer(events, answer)
        self.reports_kept = answer.reports
        return answer

    def changes(self, cursor: str | None, limit: int) -> ChangesResponse:
        """``GET /v1/changes``: what changed after ``cursor`` (from the start if None)."""
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["since"] = cursor
        page = self._request("GET", "/v1/changes", ChangesResponse, params=params)
        self.reports_kept = page.reports
        return page

    def member(self, card: str, timeout: float | None = None) -> MemberResponse | None:
        """``GET /v1/members/{card}``; None when the ledger does not know the card."""
        try:
            return self._request(
                "GET", f"/v1/members/{quote(card, safe='')}", MemberResponse, timeout=timeout
            )
        except (LedgerRefused, UnexpectedAnswer) as error:
            if error.status_code == 404:
                return None
            raise

    def member_events(
        self, member_id: str, before: int | None, limit: int, timeout: float | None = None
    ) -> MemberHistoryResponse:
        """``GET /v1/members/{member_id}/events``: a page of the member's history,
        newest first, older than ``before`` (the newest page when None)."""
        params: dict[str, str | int] = {"limit": limit}
        if before is not None:
            params["before"] = before
        return self._request(
            "GET",
            f"/v1/members/{quote(member_id, safe='')}/events",
            MemberHistoryResponse,
            timeout=timeout,
            params=params,
        )

    def card_ranges(self) -> CardRangesResponse:
        """``POST /v1/card-ranges``: ask for more card numbers for enrolments; the
        answer lists every range this terminal holds, a new one included."""
        return self._request("POST", "/v1/card-ranges", CardRangesResponse)

    def terminal_events(self, after: int, limit: int) -> TerminalEventsResponse:
        """``GET /v1/terminal/events``: a page of this terminal's own events as the
        ledger stores them, those with ``seq > after`` (for ``pos-client recover``)."""
        params: dict[str, str | int] = {"after": after, "limit": limit}
        return self._request("GET", "/v1/terminal/events", TerminalEventsResponse, params=params)

    def rules(self) -> RulesResponse:
        return self._request("GET", "/v1/rules", RulesResponse)

    def _request(
        self,
        method: str,
        path: str,
        model: type[Answer],
        timeout: float | None = None,
        **kwargs: object,
    ) -> Answer:
        headers = {**self._position, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        try:
            response = self._http.request(
                method,
                path,
                timeout=timeout if timeout is not None else self.timeout,
                headers=headers,
                **kwargs,  # type: ignore[arg-type]
            )
        except httpx.TimeoutException as error:
            raise LedgerUnreachable(f"The ledger did not answer in time ({error!r}).") from error
        except httpx.TransportError as error:
            raise LedgerUnreachable(f"Cannot reach the ledger ({error!r}).") from error
        status = response.status_code
        if status >= 500 or status in RETRYABLE_STATUS:
            raise LedgerUnavailable(
                f"The ledger is unavailable ({status}: {_reason(response)}); will retry."
            )
        if status in (401, 403):
            raise NotAuthorised(
                f"The ledger refused this till's token ({status}: {_reason(response)}). "
                "Check [ledger] token in the configuration.",
                status,
            )
        verdict = _verdict(response) if status >= 400 else None
        if verdict is not None:
            raise LedgerVerdict(
                f"The ledger refused the request ({status}: {verdict[1]}).", status, verdict[0]
            )
        if status == 413:
            raise LedgerRefused(f"The ledger refused the request as too large ({status}).", status)
        if status >= 400:
            raise UnexpectedAnswer(
                f"{method} {path} was answered {status} by something other than the ledger "
                f"({_reason(response)}); will retry.",
                status,
            )
        try:
            answer = model.model_validate_json(response.content)
        except ValidationError as error:
            raise InvalidAnswer(
                f"The ledger's answer to {method} {path} is not valid "
                f"({error.error_count()} problem(s), first: {error.errors()[0]['msg']})."
            ) from error
        note_unknown_fields(answer)
        return answer


def _reason(response: httpx.Response) -> str:
    """The ledger's ``reason`` field when the body is our JSON error, else a snippet."""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200] or response.reason_phrase
    if isinstance(data, dict) and isinstance(data.get("reason"), str):
        return str(data["reason"])
    return response.text[:200]


def _verdict(response: httpx.Response) -> tuple[str, str] | None:
    """(code, reason) of the ledger's own error answer (:class:`ErrorResponse`: a
    JSON object with an ``error`` code and a ``reason``); None for anything else.

    Only asked of error statuses: a success is parsed once, by its answer's model
    (parsing a page of 5,000 members twice was a fifth of the till's pull CPU)."""
    if response.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    code, reason = data.get("error"), data.get("reason")
    if isinstance(code, str) and isinstance(reason, str) and set(data) <= {"error", "reason"}:
        return code, reason
    return None


def _check_push_answer(sent: list[Event], answer: PushResponse) -> None:
    """Refuse an answer that does not talk about the batch we sent."""
    ids = [e.event_id for e in sent]
    got = [r.event_id for r in answer.results]
    if got != ids[: len(got)] or (answer.stopped_at is None and len(got) != len(ids)):
        raise InvalidAnswer("The ledger's answer does not match the events sent.")
    if answer.high_water < 0:
        raise InvalidAnswer("The ledger's answer has a negative high-water mark.")

"""Helpers for the tests of the store manager's side at the ledger: enrolments, card
replacements and blocks as a till records them, staff added through the CLI."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from loyalty.events import Event, EventKind
from loyalty.programme.approvals import approval_record
from sync.protocol import ChangesResponse, PushResponse
from tests.integration.ledger.support import EventChain, LedgerHandle


def enrol(chain: EventChain, card: str, name: str = "Ada", **details: Any) -> Event:
    """A sign-up at the till (a new member id made there)."""
    enrolment = {
        "name": name,
        "privacy_accepted_at": "2026-11-25T12:00:00+00:00",
        "marketing": False,
        **details,
    }
    if "phone" not in enrolment and "email" not in enrolment:
        enrolment["phone"] = "+4790" + uuid.uuid4().int.__str__()[:6]
    member_id = "E" + uuid.uuid4().hex[:12]
    return chain._append(
        EventKind.ENROL, card, member_id=member_id, postings={}, enrolment=enrolment
    )


def replace(chain: EventChain, old: str, new: str, manager: str = "MGR-1", **extra: Any) -> Event:
    extra.setdefault("approval", approval_record(manager, "replace_card", 0))
    if extra["approval"] is None:  # a replacement no manager approved
        del extra["approval"]
    return chain._append(EventKind.REPLACE, old, postings={}, new_card=new, reason="lost", **extra)


def block(chain: EventChain, card: str, manager: str = "MGR-1") -> Event:
    return chain._append(
        EventKind.BLOCK,
        card,
        postings={},
        reason="stolen",
        approval=approval_record(manager, "replace_card", 0),
    )


def push(
    client: httpx.Client,
    terminal: str,
    events: list[Event],
    voids: list[dict[str, Any]] | None = None,
) -> PushResponse:
    body: dict[str, Any] = LedgerHandle.batch(terminal, events)
    if voids:
        body["voids"] = voids
    answer = client.post("/v1/events", json=body)
    assert answer.status_code == 200, answer.text
    return PushResponse.model_validate_json(answer.content)


def pull_all(client: httpx.Client) -> ChangesResponse:
    answer = client.get("/v1/changes", params={"limit": 10_000})
    assert answer.status_code == 200, answer.text
    return ChangesResponse.model_validate_json(answer.content)

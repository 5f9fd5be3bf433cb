"""Today's till against a newer ledger: extra fields, kinds and statuses it does not know.

The real ledger answers; a transport between it and the till rewrites every answer as
a newer ledger release would send it: a field the till does not know in every object,
change types it does not know at the head of every changes page, a member status it
does not know, and two programme versions it cannot run (one needs a newer engine, one
has a key this engine does not know). The till syncs as before, logs each unknown
thing once, reads the unknown status as blocked, refuses both versions with the reason
on its status line, and keeps evaluating under the version it has. Balances agree.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from loyalty.canonical import sha256_hex
from sync import unknowns
from tests.integration.sync.rig import LedgerUnderTest, TillRig, assert_in_agreement

FUTURE = "x_future_field_compat"
"""A field name used only here (the unknowns log is per process)."""
NEW_KINDS = ("gift_card_compat", "segment_compat")
NEW_STATUS = "suspended_compat"
AS_THEY_ARE = frozenset({"document", "accounts"})


def _with_extra(value: Any) -> Any:
    """``value`` with :data:`FUTURE` in every object, programme documents (they are
    content-hashed) and maps (a member's ``accounts``: names to amounts) left as they are."""
    if isinstance(value, dict):
        copied = {
            key: (item if key in AS_THEY_ARE else _with_extra(item)) for key, item in value.items()
        }
        copied[FUTURE] = {"nested": [1, 2], "note": "from release 9"}
        return copied
    if isinstance(value, list):
        return [_with_extra(item) for item in value]
    return value


def _version(template: dict[str, Any], number: int, head: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``template`` numbered ``number`` with ``head`` added to its
    ``[programme]`` table, hashed as the ledger would."""
    document = copy.deepcopy(template["document"])
    document["programme"].update(head)
    return {
        **template,
        "version": number,
        "document": document,
        "content_hash": sha256_hex(document),
    }


class FromANewerLedger(httpx.BaseTransport):
    """Rewrites the real ledger's answers as a newer release would send them."""

    def __init__(self, suspended_card: str) -> None:
        self.inner = httpx.HTTPTransport()
        self.suspended_card = suspended_card
        self.rewritten = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        try:
            body = response.read()
        finally:
            response.close()
        if response.status_code != 200:
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        data = json.loads(body)
        if request.url.path == "/v1/changes":
            data = self._newer_page(data)
        for state in _member_states(data):
            if state["card"] == self.suspended_card:
                state["status"] = NEW_STATUS
        self.rewritten += 1
        return httpx.Response(200, json=_with_extra(data))

    def _newer_page(self, page: dict[str, Any]) -> dict[str, Any]:
        extra_kinds = [{"type": kind, "id": "x1", "change": 1} for kind in NEW_KINDS]
        programmes = [c for c in page["changes"] if c["type"] == "programme"]
        if programmes:
            template = programmes[0]
            newer_engine = _version(template, 90, {"engine": 99})
            unknown_key = _version(template, 91, {"loyalty_app_theme": "dark"})
            programmes_added = [newer_engine, unknown_key]
        else:
            programmes_added = []
        page["changes"] = extra_kinds + page["changes"] + programmes_added
        return page

    def close(self) -> None:
        self.inner.close()


def _member_states(data: dict[str, Any]) -> list[dict[str, Any]]:
    states = list(data.get("balances", []))
    states += [c["member"] for c in data.get("changes", []) if c.get("type") == "member"]
    if "member" in data:
        states.append(data["member"])
    return states


def test_todays_till_syncs_with_a_newer_ledger(
    ledger: LedgerUnderTest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="sync.unknowns")
    first, second, suspended = ledger.add_members(500, 800, 300)
    rig = TillRig.new(ledger, tmp_path)
    newer = FromANewerLedger(suspended)
    rig.link.transport.inner = newer
    try:
        assert rig.sync(), rig.link.status.last_error
        rig.earn(first, "120")
        rig.earn(second, "80")
        assert rig.sync_until_settled() >= 1
        assert rig.sync()
        assert newer.rewritten >= 4

        noted = unknowns.noted()
        for kind in NEW_KINDS:
            assert ("change type", kind) in noted
        assert ("member status", NEW_STATUS) in noted
        assert any(what == "field" and name.endswith(FUTURE) for what, name in noted)
        messages = [r.getMessage() for r in caplog.records]
        for kind in NEW_KINDS:  # logged once, however many pages carried it
            assert sum(kind in m for m in messages) == 1

        cached = rig.till.store.members.get(suspended)
        assert cached is not None and cached.blocked

        in_force = rig.till.book.in_force(rig.till.clock())
        assert in_force.version.version == 1
        assert in_force.warning is not None and "91" in in_force.warning
        refused = rig.till.book.refused()
        assert "engine" in refused[90] and "loyalty_app_theme" in refused[91]

        assert_in_agreement(ledger, rig, [first, second])
        assert rig.shown(first) == ledger.balance(first) > 500
    finally:
        rig.close()

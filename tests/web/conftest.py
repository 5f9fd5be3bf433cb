"""Fixtures for the web page tests: a ledger serving ``/admin/`` on 127.0.0.1.

``web`` is SQLite, shared by the tests of one module (tests use their own members
and terminals). ``any_web`` runs the test on SQLite and, with ``POS_TEST_POSTGRES``,
on PostgreSQL too. Every server is stopped by its pid when its module ends.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_REPO_ROOT = Path(__file__).resolve().parents[2]
if str(_REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(_REPO_ROOT))

from tests.web.support import WebLedger, web_ledger  # noqa: E402


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebLedger]:
    with web_ledger("sqlite", tmp_path_factory.mktemp("web-sqlite")) as ledger:
        yield ledger


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def any_web(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebLedger]:
    backend = str(request.param)
    with web_ledger(backend, tmp_path_factory.mktemp(f"web-{backend}")) as ledger:
        yield ledger

"""Fixtures for the sync reliability tests: a real ledger server, real tills.

A ledger server starts once per test module (and backend); tests stay independent
by using their own terminals, cards and data directories. Every server is stopped by
its pid when the module ends, whatever happens (``start_ledger``'s ``finally``).

``ledger`` is SQLite. ``any_ledger`` runs the test on SQLite and, when the
``POS_TEST_POSTGRES`` environment variable holds a DSN, on PostgreSQL too, in a fresh
schema dropped afterwards. With the variable set and the server unusable, those tests
FAIL; without it they are skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_REPO_ROOT = Path(__file__).resolve().parents[3]
if str(_REPO_ROOT) not in sys.path:  # so that `tests.integration...` modules import
    sys.path.insert(0, str(_REPO_ROOT))

from tests.integration.ledger.support import database_url, start_ledger  # noqa: E402
from tests.integration.sync.rig import LedgerUnderTest, TillRig  # noqa: E402


def _ledger(backend: str, directory: Path) -> Iterator[LedgerUnderTest]:
    with database_url(backend, directory) as url, start_ledger(url, directory) as handle:
        under_test = LedgerUnderTest(handle, directory)
        try:
            yield under_test
        finally:
            under_test.close()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerUnderTest]:
    """A ledger on SQLite shared by the tests of one module."""
    yield from _ledger("sqlite", tmp_path_factory.mktemp("ledger-sqlite"))


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def any_ledger(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LedgerUnderTest]:
    """A ledger on each backend (PostgreSQL only with POS_TEST_POSTGRES)."""
    backend = str(request.param)
    yield from _ledger(backend, tmp_path_factory.mktemp(f"ledger-{backend}"))


TillFactory = Callable[..., TillRig]


@pytest.fixture
def new_till(tmp_path: Path) -> Iterator[TillFactory]:
    """Open tills for new terminals of a ledger; all are closed after the test."""
    opened: list[TillRig] = []

    def factory(ledger: LedgerUnderTest, **options: object) -> TillRig:
        rig = TillRig.new(ledger, tmp_path, **options)
        opened.append(rig)
        return rig

    try:
        yield factory
    finally:
        for rig in opened:
            rig.close()


@pytest.fixture(scope="module")
def postgres_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerUnderTest]:
    """A ledger on PostgreSQL (skipped without POS_TEST_POSTGRES, failing if unusable)."""
    yield from _ledger("postgres", tmp_path_factory.mktemp("ledger-postgres"))

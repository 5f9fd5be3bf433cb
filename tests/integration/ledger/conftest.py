"""Fixtures for the ledger's integration tests: a real server per module and backend.

Every test here runs on SQLite, and on PostgreSQL too when ``POS_TEST_POSTGRES``
holds a DSN (e.g. ``postgresql://postgres@127.0.0.1:5432/test``). With the variable
set and the server unreachable, the PostgreSQL tests fail; they never skip quietly.

A server starts once per test module and backend (starting one takes a second);
tests stay independent by using their own terminals and cards.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_REPO_ROOT = Path(__file__).resolve().parents[3]
if str(_REPO_ROOT) not in sys.path:  # so that `tests.integration.ledger.support` imports
    sys.path.insert(0, str(_REPO_ROOT))

from tests.integration.ledger.support import (  # noqa: E402
    LedgerHandle,
    database_url,
    start_ledger,
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def ledger(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerHandle]:
    """A running ledger shared by the tests of one module on one backend."""
    directory = tmp_path_factory.mktemp(f"ledger-{backend}")
    with database_url(backend, directory) as url, start_ledger(url, directory) as handle:
        yield handle


@pytest.fixture
def fresh_db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the module's backend, for one test (no server)."""
    with database_url(backend, tmp_path) as url:
        yield url

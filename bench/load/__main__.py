"""``python -m bench.load --tills 200 --seconds 60``: a chain's load on a real ledger.

``--db postgresql://...`` (the default: ``POS_LOAD_POSTGRES`` or the local test server)
runs in a fresh schema of that database, dropped afterwards; ``--db sqlite`` runs on a
SQLite file in a temporary directory. :func:`short` is the run ``make bench`` makes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.load.config import LoadConfig
from bench.load.report import lines
from bench.load.run import ledger_counts, mismatches, run_load, unanswered
from bench.load.seed import postgres_schema
from ledger.cli import open_ledger
from ledger.verify import verify

DEFAULT_DSN = os.environ.get("POS_LOAD_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def measure(config: LoadConfig, db: str) -> list[str]:
    """Run ``config`` on ``db`` (a PostgreSQL DSN or ``sqlite``) and return the report,
    with the ledger's own check that it holds what was answered and every chain."""
    if db == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'ledger.db'}"
            return _measure(config, url, None, "SQLite")
    with postgres_schema(db) as url:
        return _measure(config, url, db, "PostgreSQL")


def _measure(config: LoadConfig, url: str, dsn: str | None, backend: str) -> list[str]:
    result = run_load(url, config, dsn)
    out = lines(result, backend)
    counts = ledger_counts(url)
    wrong, late = mismatches(result, counts), unanswered(result, counts)
    database, _ = open_ledger(url)
    try:
        report = verify(database)
    finally:
        database.close()
    out.append(
        "ledger check: "
        + ("each till's events stored gaplessly, as sent" if not wrong else "; ".join(wrong[:5]))
        + (f" ({late} applied after their answer timed out)" if late else "")
        + f"; verify: {'all consistent' if report.ok else f'{len(report.differences)} differences'}"
    )
    return out


def short() -> None:
    """The short run of ``make bench``: 200 tills for 20 seconds on PostgreSQL
    (``POS_LOAD_POSTGRES``; ``sqlite`` runs it on SQLite). Without a reachable server it
    says so and measures nothing, so the other benchmarks still print."""
    config = LoadConfig(tills=200, seconds=20)
    if DEFAULT_DSN != "sqlite":
        import psycopg

        try:
            psycopg.connect(DEFAULT_DSN, connect_timeout=5).close()
        except psycopg.Error as exc:
            print(f"== a chain's load: skipped, no PostgreSQL at {DEFAULT_DSN} ({exc}) ==")
            return
    print("\n".join(measure(config, DEFAULT_DSN)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--tills", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between pushes")
    parser.add_argument("--pull-every", type=float, default=30.0)
    parser.add_argument("--backlog-tills", type=int, default=5)
    parser.add_argument("--backlog-events", type=int, default=600)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=2, help="generator processes")
    parser.add_argument(
        "--ledger-workers", type=int, default=1, help="the ledger's server processes"
    )
    parser.add_argument("--db", default=DEFAULT_DSN, help="a PostgreSQL DSN, or 'sqlite'")
    args = parser.parse_args(argv)
    try:
        config = LoadConfig(
            tills=args.tills,
            seconds=args.seconds,
            interval=args.interval,
            pull_every=args.pull_every,
            backlog_tills=args.backlog_tills,
            backlog_events=args.backlog_events,
            members=args.members,
            processes=args.processes,
            ledger_workers=args.ledger_workers,
        )
    except ValueError as exc:
        parser.error(str(exc))
    print("\n".join(measure(config, args.db)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How ``pos-ledger serve`` runs the app: one process, or several on one port.

The ledger keeps no state between requests outside its database (docs/SCALE.md:
stateless behind a load balancer), so several processes on one listening socket
serve it as one: uvicorn starts them (``--workers N``) and the kernel hands each
connection to one of them. Each process builds the same app from the settings the
parent wrote into :data:`SETTINGS_VARIABLE` (:mod:`ledger.served`) and serves with its
own interpreter, so its pushes do not share one interpreter lock with the others'.
Settlements on a schedule (``--settle-every``) run in the parent only.

This module imports neither FastAPI nor uvicorn until it serves, so the admin
commands start quickly.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict, dataclass
from typing import Any

from ledger.db import Database
from ledger.errors import AdminError
from ledger.pg_session import Timeouts, timeouts_of
from ledger.quiet_tills import DEFAULT_QUIET_HOURS

SETTINGS_VARIABLE = "POS_LEDGER_SERVE_SETTINGS"
"""The environment variable the server processes read their settings from."""

DEFAULT_PUSH_CONCURRENCY = 4
"""Pushes worked on at once per process (:mod:`ledger.app`); measured in
docs/PERFORMANCE.md (a chain's load)."""


@dataclass(frozen=True)
class ServeSettings:
    """What each server process needs to build the same app."""

    db_url: str
    timeouts: Timeouts
    push_concurrency: int
    quiet_hours: int = DEFAULT_QUIET_HOURS

    def to_environment(self) -> str:
        return json.dumps({**asdict(self), "timeouts": asdict(self.timeouts)})

    @classmethod
    def from_environment(cls) -> ServeSettings:
        raw = os.environ.get(SETTINGS_VARIABLE)
        if raw is None:
            raise RuntimeError(f"{SETTINGS_VARIABLE} is not set: start with pos-ledger serve")
        data = json.loads(raw)
        return cls(
            data["db_url"],
            Timeouts(**data["timeouts"]),
            int(data["push_concurrency"]),
            int(data.get("quiet_hours", DEFAULT_QUIET_HOURS)),
        )


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """``--workers``, ``--push-concurrency`` and ``--quiet-hours``."""
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes on the one port (default 1; see docs/SCALE.md)",
    )
    parser.add_argument(
        "--push-concurrency",
        type=int,
        default=DEFAULT_PUSH_CONCURRENCY,
        metavar="N",
        help=f"pushes worked on at once per process (default {DEFAULT_PUSH_CONCURRENCY})",
    )
    parser.add_argument(
        "--quiet-hours",
        type=int,
        default=DEFAULT_QUIET_HOURS,
        metavar="N",
        help="a till silent or lagging this long is an anomaly "
        f"(default {DEFAULT_QUIET_HOURS}; docs/ADMIN_WEB.md)",
    )


def serve(args: argparse.Namespace, db: Database, ledger_id: str) -> None:
    """Serve until stopped (SIGINT or SIGTERM; with workers, the parent stops them)."""
    import uvicorn

    from ledger.app import create_app

    if args.workers < 1 or args.push_concurrency < 1 or args.quiet_hours < 1:
        raise AdminError("--workers, --push-concurrency and --quiet-hours must be at least 1.")
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "access_log": False,
        "timeout_graceful_shutdown": 5,
    }
    if args.workers == 1:
        app = create_app(
            db, ledger_id, push_concurrency=args.push_concurrency, quiet_hours=args.quiet_hours
        )
        uvicorn.run(app, **options)
        return
    settings = ServeSettings(args.db, timeouts_of(args), args.push_concurrency, args.quiet_hours)
    os.environ[SETTINGS_VARIABLE] = settings.to_environment()
    uvicorn.run("ledger.served:app_from_environment", factory=True, workers=args.workers, **options)

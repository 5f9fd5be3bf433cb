"""The app of one ``pos-ledger serve --workers N`` process (:mod:`ledger.serving`)."""

from __future__ import annotations

from fastapi import FastAPI

from ledger.app import create_app
from ledger.db import connect
from ledger.schema import migrate
from ledger.serving import ServeSettings


def app_from_environment() -> FastAPI:
    """uvicorn's factory: the database the parent opened and migrated, opened again
    with the same timeouts, and the app over it."""
    settings = ServeSettings.from_environment()
    db = connect(settings.db_url, settings.timeouts)
    ledger_id = migrate(db)  # already current: this only reads the ledger's id
    return create_app(
        db,
        ledger_id,
        push_concurrency=settings.push_concurrency,
        quiet_hours=settings.quiet_hours,
    )

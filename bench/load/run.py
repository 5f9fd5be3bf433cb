"""Conducting a load run: seed, serve, start the generators together, collect, measure.

The generators (:mod:`bench.load.worker`) are separate processes (spawned, so no state
is shared) that make their tills' journals first and then wait at one barrier with the
conductor: the clock, the CPU readings and the database sampling start when every
journal is ready. Every process started here is stopped in a ``finally``; the run as a
whole is bounded by :attr:`LoadConfig.hard_limit`.
"""

from __future__ import annotations

import multiprocessing
import queue
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.load import dbstats
from bench.load.config import LoadConfig
from bench.load.seed import Till, member_cards, register_tills, schema_of, seed_members
from bench.load.server import (
    Server,
    error_lines,
    machine_cpu_seconds,
    process_cpu_seconds,
    serving,
)
from bench.load.tally import Tally, merge
from bench.load.worker import Assignment, run_worker
from ledger.cli import open_ledger

JOURNALS_TIMEOUT_S = 600.0
"""How long the generators may take to make their journals before the run is abandoned."""


@dataclass
class LoadResult:
    config: LoadConfig
    tally: Tally
    wall_seconds: float
    server_cpu_seconds: float
    machine_busy_seconds: float
    machine_cores: float
    database: dict[str, int] = field(default_factory=dict)
    locks: dbstats.LockSampler | None = None
    server_errors: int = 0
    """``ERROR`` lines in the ledger's log, those written while it was stopped included."""


def till_names(config: LoadConfig) -> tuple[list[str], list[str]]:
    """Steady tills in stores of five, and the store coming back with a backlog."""
    steady = [f"LOAD-S{n // 5 + 1:04d}-T{n % 5 + 1}" for n in range(config.tills)]
    return steady, [f"LOAD-BACK-T{n + 1}" for n in range(config.backlog_tills)]


def tip_cursor(server: Server, till: Till, members: int) -> str:
    """The changes feed's cursor after everything seeded: where running tills stand."""
    cursor = ""
    headers = {"Authorization": f"Bearer {till.token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
        for _ in range(members // 10_000 + 10):
            params = {"limit": "10000", **({"since": cursor} if cursor else {})}
            answer = client.get("/v1/changes", params=params)
            answer.raise_for_status()
            page = answer.json()
            cursor = str(page["next_cursor"])
            if not page["has_more"]:
                return cursor
    raise RuntimeError("the changes feed did not end")


def run_load(db_url: str, config: LoadConfig, dsn: str | None = None) -> LoadResult:
    """Run ``config`` against a ledger on ``db_url`` (an empty database). ``dsn``: the
    PostgreSQL server to read statistics from (None: no database figures)."""
    cards = member_cards(config.members)
    seed_members(db_url, cards)
    steady_names, backlog_names = till_names(config)
    tills = register_tills(db_url, steady_names + backlog_names)
    steady, backlog = tills[: config.tills], tills[config.tills :]
    schema = schema_of(db_url)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "ledger.log"
        with serving(db_url, log, config.ledger_workers) as server:
            cursor = tip_cursor(server, steady[0], config.members)
            jobs = [
                Assignment(
                    server.url,
                    steady[n :: config.processes],
                    backlog[n :: config.processes],
                    cards,
                    cursor,
                    config,
                    n,
                )
                for n in range(config.processes)
            ]
            result = _conduct(server, jobs, config, dsn, schema)
        result.server_errors = error_lines(log)
    return result


def _conduct(
    server: Server, jobs: list[Assignment], config: LoadConfig, dsn: str | None, schema: str | None
) -> LoadResult:
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(len(jobs) + 1)
    results: multiprocessing.Queue[tuple[int, Tally]] = context.Queue()
    processes = [
        context.Process(target=run_worker, args=(job, ready, results), name=f"load-{job.index}")
        for job in jobs
    ]
    sampler = dbstats.LockSampler(dsn) if dsn else None
    try:
        for process in processes:
            process.start()
        before = dbstats.snapshot(dsn, schema or "public") if dsn else {}
        ready.wait(JOURNALS_TIMEOUT_S)
        started = time.monotonic()
        server_cpu, (busy, total) = process_cpu_seconds(server.pid), machine_cpu_seconds()
        if sampler:
            sampler.start()
        tallies = []
        for _ in processes:
            remaining = max(1.0, config.hard_limit - (time.monotonic() - started))
            try:
                tallies.append(results.get(timeout=remaining)[1])
            except queue.Empty:
                raise RuntimeError("a load generator overran the run's hard limit") from None
        wall = time.monotonic() - started
        server_cpu = process_cpu_seconds(server.pid) - server_cpu
        busy_after, total_after = machine_cpu_seconds()
        if sampler:
            sampler.stop()
        after = dbstats.snapshot(dsn, schema or "public") if dsn else {}
    finally:
        if sampler:
            sampler.stop()
        for process in processes:
            process.join(5)
            if process.is_alive():
                process.terminate()
                process.join(5)
            if process.is_alive():
                process.kill()
                process.join(5)
    cores = (total_after - total) / wall if wall else 0.0
    return LoadResult(
        config,
        merge(tallies),
        wall,
        server_cpu,
        busy_after - busy,
        cores,
        dbstats.delta(before, after) if dsn else {},
        sampler,
    )


def ledger_counts(db_url: str) -> dict[str, tuple[int, int]]:
    """Each terminal's (events stored, high water) as the ledger's database holds them."""
    db, _ = open_ledger(db_url)
    try:
        with db.snapshot() as tx:
            stored = tx.query("SELECT terminal_id, COUNT(*) FROM events GROUP BY terminal_id")
            marks = tx.query("SELECT terminal_id, high_water FROM terminal_state")
    finally:
        db.close()
    counts = {str(t): (int(n), 0) for t, n in stored}
    for terminal, high_water in marks:
        counts[str(terminal)] = (counts.get(str(terminal), (0, 0))[0], int(high_water))
    return counts


def mismatches(result: LoadResult, counts: dict[str, tuple[int, int]]) -> list[str]:
    """Terminals where the ledger does not hold a gapless prefix of what the generator
    sent, at least as far as it answered (empty when every terminal agrees). The ledger
    may hold more than it answered: a push whose answer timed out was applied."""
    wrong = []
    for terminal, sent in sorted(result.tally.sent.items()):
        answered = result.tally.high_water.get(terminal, 0)
        stored, mark = counts.get(terminal, (0, 0))
        if stored != mark or not answered <= mark <= sent:
            wrong.append(
                f"{terminal}: sent {sent}, answered {answered}, stored {stored}, high water {mark}"
            )
    return wrong


def unanswered(result: LoadResult, counts: dict[str, tuple[int, int]]) -> int:
    """Events the ledger applied whose answer the generator never got (timeouts)."""
    return sum(
        max(0, counts.get(terminal, (0, 0))[1] - answered)
        for terminal, answered in result.tally.high_water.items()
    )

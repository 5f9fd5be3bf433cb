"""One generator process: its share of the tills as asyncio tasks over one httpx client.

Each till is what a real till sends: its own bearer token, a gapless hash-chained
journal of sales (:func:`bench.sales.sale_chain`, made before the clock starts) over a
sample of the seeded members, pushed in order; a failed push is sent again (the ledger
answers duplicates for what it already has) and the till goes on from the high water the
ledger answers. Tills pull ``GET /v1/changes`` from the cursor the run started at.
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.load.config import MAX_BATCH, LoadConfig
from bench.load.seed import Till
from bench.load.tally import BACKLOG, PULL, PUSH, Tally
from bench.sales import sale_chain

AMOUNT_MINOR = 14_990
STOP_GRACE_S = 30.0
"""How long in-flight requests may finish after the steady phase's end before they are
cancelled; a backlog still being pushed may go on for half of it."""
MAX_PAGES_PER_PULL = 20
REQUEST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Assignment:
    """What one generator process runs (plain data: it crosses the process boundary)."""

    url: str
    steady: list[Till]
    backlog: list[Till]
    cards: list[str]
    cursor: str
    config: LoadConfig
    index: int


def _journal(job: Assignment, till: Till, count: int, rng: random.Random) -> list[Any]:
    """``count`` chained sales of ``till`` over a sample of the members, as wire dicts
    (made once, before the clock starts)."""
    sample = rng.sample(job.cards, min(len(job.cards), job.config.cards_per_till))
    return [e.to_dict() for e in sale_chain(till.terminal_id, sample, count, AMOUNT_MINOR)]


class _Runner:
    def __init__(self, job: Assignment, client: httpx.AsyncClient) -> None:
        self.job = job
        self.client = client
        self.tally = Tally()
        self.rng = random.Random(job.config.seed * 1000 + job.index)

    async def push(self, till: Till, batch: list[Any], kind: str) -> int | None:
        """Push ``batch``; the high water answered, or None when the push failed."""
        body = {"terminal_id": till.terminal_id, "events": batch}
        headers = {"Authorization": f"Bearer {till.token}"}
        started = time.perf_counter()
        try:
            answer = await self.client.post("/v1/events", json=body, headers=headers)
        except httpx.TimeoutException:
            self.tally.errors[f"{kind}: timeout"] += 1
            return None
        except httpx.TransportError as exc:
            self.tally.errors[f"{kind}: {type(exc).__name__}"] += 1
            return None
        elapsed = time.perf_counter() - started
        if answer.status_code != 200:
            self.tally.errors[f"{kind}: http {answer.status_code}"] += 1
            return None
        data = answer.json()
        refused = [r for r in data["results"] if r["status"] not in ("accepted", "duplicate")]
        for result in refused:
            self.tally.errors[f"{kind}: {result['status']}"] += 1
        self.tally.add_latency(kind, elapsed)
        before = self.tally.high_water.get(till.terminal_id, 0)
        high_water = int(data["high_water"])
        self.tally.events[kind] += max(0, high_water - before)
        self.tally.high_water[till.terminal_id] = high_water
        return high_water

    async def pull(self, till: Till, cursor: str) -> str:
        """Pull pages of changes after ``cursor`` until none is left (bounded)."""
        headers = {"Authorization": f"Bearer {till.token}"}
        for _ in range(MAX_PAGES_PER_PULL):
            started = time.perf_counter()
            try:
                answer = await self.client.get(
                    "/v1/changes", params={"since": cursor}, headers=headers
                )
            except httpx.TimeoutException:
                self.tally.errors[f"{PULL}: timeout"] += 1
                return cursor
            except httpx.TransportError as exc:
                self.tally.errors[f"{PULL}: {type(exc).__name__}"] += 1
                return cursor
            if answer.status_code != 200:
                self.tally.errors[f"{PULL}: http {answer.status_code}"] += 1
                return cursor
            self.tally.add_latency(PULL, time.perf_counter() - started)
            page = answer.json()
            cursor = str(page["next_cursor"])
            if not page["has_more"]:
                break
        return cursor

    async def steady(self, till: Till, journal: list[Any], stop_at: float) -> None:
        """Batches of 1-5 sales every ``interval`` seconds (spread), pulls every
        ``pull_every`` seconds, until ``stop_at``."""
        cfg, loop, rng = self.job.config, asyncio.get_running_loop(), self.rng
        await asyncio.sleep(rng.uniform(0, cfg.interval))
        next_pull = loop.time() + rng.uniform(0, cfg.pull_every)
        cursor, sent = self.job.cursor, 0
        while loop.time() < stop_at and sent < len(journal):
            batch = journal[sent : sent + rng.randint(1, MAX_BATCH)]
            self.tally.sent[till.terminal_id] = max(
                self.tally.sent.get(till.terminal_id, 0), int(batch[-1]["seq"])
            )
            high_water = await self.push(till, batch, PUSH)
            if high_water is not None:
                sent = high_water
            if loop.time() >= next_pull:
                cursor = await self.pull(till, cursor)
                next_pull += cfg.pull_every
            await asyncio.sleep(rng.uniform(0.5, 1.5) * cfg.interval)

    async def backlog(
        self, till: Till, journal: list[Any], start_at: float, stop_at: float
    ) -> None:
        """The whole journal in ``backlog_batch``-event batches, back to back."""
        loop, size = asyncio.get_running_loop(), self.job.config.backlog_batch
        await asyncio.sleep(max(0.0, start_at - loop.time()))
        sent = 0
        while sent < len(journal) and loop.time() < stop_at:
            batch = journal[sent : sent + size]
            self.tally.sent[till.terminal_id] = max(
                self.tally.sent.get(till.terminal_id, 0), int(batch[-1]["seq"])
            )
            high_water = await self.push(till, batch, BACKLOG)
            if high_water is None:
                await asyncio.sleep(0.5)
            else:
                sent = high_water
        if sent < len(journal):
            self.tally.unfinished += 1


async def _run(job: Assignment, ready: Any) -> Tally:
    cfg = job.config
    rng = random.Random(cfg.seed * 7919 + job.index)
    steady = [(t, _journal(job, t, cfg.steady_events(), rng)) for t in job.steady]
    backlog = [(t, _journal(job, t, cfg.backlog_events, rng)) for t in job.backlog]
    ready.wait(timeout=cfg.hard_limit)
    limits = httpx.Limits(max_connections=max(1, len(steady) + len(backlog)))
    async with httpx.AsyncClient(
        base_url=job.url, timeout=REQUEST_TIMEOUT_S, limits=limits
    ) as client:
        runner = _Runner(job, client)
        loop = asyncio.get_running_loop()
        begun, cpu = loop.time(), _cpu_seconds()
        stop_at = begun + cfg.seconds
        tasks = [asyncio.create_task(runner.steady(t, j, stop_at)) for t, j in steady]
        tasks += [
            asyncio.create_task(
                runner.backlog(t, j, begun + cfg.seconds / 3, stop_at + STOP_GRACE_S / 2)
            )
            for t, j in backlog
        ]
        _, pending = await asyncio.wait(tasks, timeout=cfg.seconds + STOP_GRACE_S)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            runner.tally.errors["till cut off at the phase's end"] += len(pending)
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                runner.tally.errors[f"generator: {task.exception()!r}"] += 1
        runner.tally.cpu_seconds = _cpu_seconds() - cpu
        return runner.tally


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_worker(job: Assignment, ready: Any, results: Any) -> None:
    """Process entry point: make the journals, wait at ``ready`` (a barrier shared with
    the other generators and the conductor), run, put the tally on ``results``."""
    results.put((job.index, asyncio.run(_run(job, ready))))

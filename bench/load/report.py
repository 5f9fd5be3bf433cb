"""A load run's figures as text: what docs/PERFORMANCE.md ("A chain's load") quotes."""

from __future__ import annotations

from bench.load.run import LoadResult
from bench.load.tally import BACKLOG, PULL, PUSH, percentile

TARGET_P99_S = 0.200
"""DESIGN.md's target: p99 under 200 ms per 100-event batch with 200 tills."""

_LABELS = {PUSH: "steady batches (1-5 events)", BACKLOG: "backlog batches", PULL: "pulls (pages)"}


def lines(result: LoadResult, backend: str) -> list[str]:
    cfg, tally = result.config, result.tally
    applied = sum(tally.events.values())
    out = [
        f"== a chain's load: {cfg.tills:,} tills + a store of {cfg.backlog_tills} back with "
        f"{cfg.backlog_events} events each, {cfg.seconds:g} s, {backend} ==",
        f"steady: a batch of 1-5 sales every {cfg.interval:g} s (+-50%) per till, a pull every "
        f"{cfg.pull_every:g} s; backlog in {cfg.backlog_batch}-event batches from "
        f"{cfg.seconds / 3:.0f} s; {cfg.members:,} members; {cfg.processes} generator processes; "
        f"the ledger in {cfg.ledger_workers} process{'es' if cfg.ledger_workers > 1 else ''}",
        f"events applied  {applied:9,}  in {result.wall_seconds:6.1f} s = "
        f"{applied / result.wall_seconds:8,.0f} events/s "
        f"(steady {tally.events[PUSH]:,}, backlog {tally.events[BACKLOG]:,})",
        f"{'':32}{'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}",
    ]
    for kind in (PUSH, BACKLOG, PULL):
        values = tally.latencies.get(kind, [])
        out.append(
            f"{_LABELS[kind]:32}{len(values):9,} {percentile(values, 0.5) * 1000:8.1f} "
            f"{percentile(values, 0.99) * 1000:8.1f} {max(values, default=0) * 1000:8.1f}"
        )
    backlog_p99 = percentile(tally.latencies.get(BACKLOG, []), 0.99)
    if tally.latencies.get(BACKLOG):
        verdict = "met" if backlog_p99 < TARGET_P99_S else "NOT met"
        out.append(
            f"target p99 < {TARGET_P99_S * 1000:.0f} ms per {cfg.backlog_batch}-event batch: "
            f"{verdict} ({backlog_p99 * 1000:.1f} ms)"
        )
    errors = ", ".join(f"{kind} x{n}" for kind, n in sorted(tally.errors.items())) or "none"
    out.append(f"errors: {errors}")
    if result.server_errors:
        out.append(
            f"the ledger logged {result.server_errors} ERROR lines (requests failed, or still "
            "queued when it was stopped)"
        )
    if tally.unfinished:
        out.append(f"backlog tills not finished by the end: {tally.unfinished}")
    wall = result.wall_seconds
    out.append(
        f"CPU (cores busy on average): generators {tally.cpu_seconds / wall:.2f}, ledger "
        f"{result.server_cpu_seconds / wall:.2f}, whole machine "
        f"{result.machine_busy_seconds / wall:.2f} of {result.machine_cores:.0f}"
    )
    if result.database:
        out.append(
            "database: " + ", ".join(f"{name} {value:,}" for name, value in result.database.items())
        )
    if result.locks is not None:
        locks = result.locks
        kinds = ", ".join(f"{k} x{n}" for k, n in locks.waits_by_lock.most_common()) or "none"
        out.append(
            f"lock waits (pg_stat_activity, {locks.samples} samples): "
            f"{locks.samples_with_waits} samples with a ledger session waiting, at most "
            f"{locks.max_waiting} at once; by lock: {kinds}"
        )
    return out

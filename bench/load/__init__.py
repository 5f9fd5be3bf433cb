"""A chain's load on a real ledger: many simulated tills pushing and pulling at once.

``python -m bench.load --tills 200 --seconds 60`` seeds a member base and registers every
till as a real terminal in a fresh PostgreSQL schema (or a SQLite file), starts one
``pos-ledger serve`` process on 127.0.0.1, and drives it from several generator
processes (:mod:`bench.load.worker`), each running its tills as asyncio tasks over httpx:

- steady sales: every till pushes a batch of 1-5 valid hash-chained sales every few
  seconds and pulls ``GET /v1/changes`` as tills do;
- a store coming back after a day offline: its tills push a backlog in 100-event batches
  while the steady load runs.

It reports events/s, p50/p99 latency per batch (100-event batches separately), errors by
kind, the CPU the generator and the server used, and PostgreSQL's own figures
(:mod:`bench.load.dbstats`). Every phase has a duration and the run a hard limit; every
process it starts is stopped in a ``finally``. Figures: docs/PERFORMANCE.md, "A chain's
load".
"""

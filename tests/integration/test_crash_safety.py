"""A recorded transaction survives: SIGKILL at random moments loses nothing reported.

A subprocess records earns on a real SQLite file and reports each one after the
Till returns. The parent kills it with SIGKILL at a random moment (often in the
middle of the next write), reopens the store, and checks that every reported event is
present, unchanged, with an intact hash chain. Ten seeds, five kills each, all on the
same store: 50 kills, each restart continuing the chain of the last.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pos_client.config import TillConfig
from pos_client.till import Till

from ..conftest import member

WORKER = Path(__file__).with_name("crash_worker.py")
KILLS_PER_SEED = 5
ROOT = Path(__file__).resolve().parents[2]


def run_until_killed(data_dir: Path, card: str, rng: random.Random) -> dict[int, tuple[str, int]]:
    """Start a worker, let it report a random number of earns, SIGKILL it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, str(WORKER), str(data_dir), card],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    reported: dict[int, tuple[str, int]] = {}
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.strip() == "ready", process.stderr.read() if process.stderr else first
        wanted = rng.randint(1, 12)
        for line in process.stdout:
            seq, event_id, points = line.split()
            reported[int(seq)] = (event_id, int(points))
            if len(reported) >= wanted:
                break
        time.sleep(rng.random() * 0.004)  # land the kill anywhere in the next write
        process.send_signal(signal.SIGKILL)
        # Lines already written to the pipe were reported before the kill.
        remaining, _ = process.communicate(timeout=10)
        for line in remaining.splitlines():
            parts = line.split()
            if len(parts) == 3:
                reported[int(parts[0])] = (parts[1], int(parts[2]))
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    return reported


@pytest.mark.parametrize("seed", range(10))
def test_every_reported_earn_survives_sigkill_with_an_intact_chain(tmp_path: Path, seed: int):
    rng = random.Random(seed)
    config = TillConfig(terminal_id="CRASH-T1", data_dir=tmp_path / "till")
    kari = member(1, 100)
    till = Till.open(config)
    till.store.members.upsert_many([kari])
    till.close()

    all_reported: dict[int, tuple[str, int]] = {}
    for _ in range(KILLS_PER_SEED):
        all_reported |= run_until_killed(config.data_dir, kari.card, rng)

        reopened = Till.open(config)
        try:
            length = reopened.store.verify()
            assert length >= len(all_reported)
            for seq, (event_id, points) in all_reported.items():
                event = reopened.store.journal.get(seq)
                assert event is not None, f"reported event {seq} was lost"
                assert (event.event_id, event.postings.get("points", 0)) == (event_id, points)
            journal_points = sum(
                e.postings.get("points", 0) for e in reopened.store.journal.iterate()
            )
            assert reopened.lookup(kari.card).balance == 100 + journal_points
        finally:
            reopened.close()
    assert len(all_reported) >= KILLS_PER_SEED

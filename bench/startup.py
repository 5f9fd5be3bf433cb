"""Till start to ready, and memory, with 1,000,000 cached members.

Each start is a fresh process, ``python -m bench.startup --child CONFIG``, doing
what ``pos-client --config CONFIG run`` does with the headless driver instead of a
terminal: read the configuration, import the app, ``Till.open`` (migrations, the
terminal pin, the journal tip check) and run the cashier screen headless. The clock
starts when the parent spawns the process and stops when the process reports, on
its standard output, that the cashier screen is *ready*: mounted, its
``CashierReady`` handled (background services started) and the first till status
read off the UI thread and shown in the status bar. The till's file holds
1,000,000 members (written beforehand, so the file is in the OS cache: a warm start).

Memory: after being ready, the same process scans a few random members through the
app (``TillApp.submit_scan``, until each is shown) and reports its peak resident set
(``VmHWM`` in ``/proc/self/status``).

The physical limit beside the start: a bare interpreter, ``python -c "import
sqlite3"``, from spawn to exit. Targets (DESIGN.md): start under 1.5 s; memory
under 200 MB.
"""

from __future__ import annotations

import asyncio
import random
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loyalty.cards import make_card_number

MEMBERS = 1_000_000
STARTS = 5
SCANS = 5
TERMINAL = "BENCH-T1"
DEADLINE_S = 30.0
REPO = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(config_path: str, cards: list[str]) -> None:
    """One till start: report ``ready`` with a breakdown, then scans and peak memory."""
    started = time.perf_counter()
    from pos_client.config import load_config
    from pos_client.till import Till
    from pos_client.ui.app import TillApp
    from pos_client.ui.components.status_bar import StatusBar

    imported = time.perf_counter()
    config = load_config(config_path)
    till = Till.open(config)
    opened = time.perf_counter()

    async def run() -> None:
        app = TillApp(till)
        async with app.run_test(size=(80, 24)):
            status = app.cashier.query_one(StatusBar)
            while status.status is None:
                await asyncio.sleep(0.001)
            ready = time.perf_counter()
            print(
                f"ready imports={imported - started:.4f} open={opened - imported:.4f} "
                f"mount={ready - opened:.4f}",
                flush=True,
            )
            for card in cards:
                app.submit_scan(card, "keyboard")
                while app.cashier.member is None or app.cashier.member.card != card:
                    await asyncio.sleep(0.005)
            while not app.idle:
                await asyncio.sleep(0.005)

    try:
        asyncio.run(run())
    finally:
        till.close()
    print(f"peak_rss_mb={peak_rss_mb():.1f}", flush=True)


def read_line(process: subprocess.Popen[str], deadline: float) -> str:
    assert process.stdout is not None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError("the till did not report in time")
        readable, _, _ = select.select([process.stdout], [], [], left)
        if readable:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("the till exited before reporting")
            return line.strip()


def timed_start(config: Path, cards: list[str]) -> tuple[float, dict[str, float], float]:
    """(seconds from spawn to ready, the child's own breakdown, its peak RSS in MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.startup", "--child", str(config), *cards],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE_S
        ready = read_line(process, deadline)
        elapsed = time.perf_counter() - started
        parts = dict(item.split("=") for item in ready.split()[1:])
        peak = read_line(process, deadline)
        process.wait(DEADLINE_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    return elapsed, {k: float(v) for k, v in parts.items()}, float(peak.split("=")[1])


def bare_interpreter() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sqlite3"], check=True, timeout=DEADLINE_S)
    return time.perf_counter() - started


def write_config(root: Path) -> Path:
    path = root / "config.toml"
    path.write_text(
        f'[till]\nterminal_id = "{TERMINAL}"\ndata_dir = "{root / "till"}"\n', encoding="utf-8"
    )
    return path


def fill(root: Path) -> float:
    from bench.scan import fill_members
    from pos_client.config import TillConfig
    from pos_client.till import Till

    till = Till.open(TillConfig(terminal_id=TERMINAL, data_dir=root / "till"))
    try:
        return fill_members(till.store, MEMBERS)
    finally:
        till.close()


def main() -> None:
    rng = random.Random(15)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        filled_in = fill(root)
        config = write_config(root)
        bare = [bare_interpreter() for _ in range(STARTS)]
        starts, parts, peaks = [], [], []
        for _ in range(STARTS):
            cards = [make_card_number(rng.randint(1, MEMBERS)) for _ in range(SCANS)]
            elapsed, breakdown, peak = timed_start(config, cards)
            starts.append(elapsed)
            parts.append(breakdown)
            peaks.append(peak)
    print(f"== till start to ready ({STARTS} starts, {MEMBERS:,} cached members, warm) ==")
    print(f"(cache filled in {filled_in:.1f} s: one executemany, one transaction)")
    print(
        f"bare python -c 'import sqlite3'    median {statistics.median(bare):6.3f} s   "
        f"max {max(bare):6.3f} s"
    )
    print(
        f"till process to cashier ready      median {statistics.median(starts):6.3f} s   "
        f"max {max(starts):6.3f} s"
    )
    for key in ("imports", "open", "mount"):
        print(
            f"  of which {key:8s} (median)       {statistics.median(p[key] for p in parts):6.3f} s"
        )
    start_verdict = "met" if max(starts) < 1.5 else "NOT met"
    print(f"ratio (median): {statistics.median(starts) / statistics.median(bare):.1f}x   "
          f"target: under 1.5 s ({start_verdict})")  # fmt: skip
    memory_verdict = "met" if max(peaks) < 200 else "NOT met"
    print(
        f"peak RSS after {SCANS} scans           max {max(peaks):6.1f} MB   "
        f"target: under 200 MB ({memory_verdict})"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3:])
    else:
        main()

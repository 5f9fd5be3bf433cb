"""The ledger under load: one ``pos-ledger serve`` process on 127.0.0.1, and CPU readings
of it and of the whole machine (from ``/proc``), so a run can say which side was the limit."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.ledger_process import free_port, stop

START_TIMEOUT_S = 30.0
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    log: Path
    """The server's standard output and error (a tail is shown when it fails to start)."""


@contextlib.contextmanager
def serving(db_url: str, log: Path, workers: int = 1) -> Iterator[Server]:
    """``pos-ledger serve --db DB_URL --workers WORKERS`` on a free loopback port, its
    output in ``log``; stopped (by its pid, which stops its worker processes) on exit."""
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "serve", "--db", db_url, "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--workers", str(workers)],
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the ledger did not start:\n{tail}")
        yield Server(url, process.pid, log)
    finally:
        stop(process)


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds process ``pid`` and its running children (the
    ledger's worker processes), their threads included, have used."""
    total = 0.0
    for one in [pid, *_children(pid)]:
        with contextlib.suppress(OSError), open(f"/proc/{one}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _TICKS
    return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of every core since boot (busy: not idle, not iowait)."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    total = sum(values[:8])
    return (total - values[3] - values[4]) / _TICKS, total / _TICKS


def error_lines(log: Path) -> int:
    """How many ``ERROR`` lines the server wrote (uvicorn's failed requests, and the
    requests still queued when it was stopped)."""
    if not log.exists():
        return 0
    with log.open(encoding="utf-8", errors="replace") as lines:
        return sum(line.startswith("ERROR") for line in lines)

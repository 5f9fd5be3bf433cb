"""The test's side of ``sync_crash_worker.py``: start it, send runs, read outcomes.

Every wait has a deadline; :meth:`CrashWorker.stop` kills the forked child (if one is
still alive) and the worker itself, each by its pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("sync_crash_worker.py")
REPO_ROOT = Path(__file__).resolve().parents[3]
RUN_TIMEOUT_S = 60.0


@dataclass
class Outcome:
    reached: list[str] = field(default_factory=list)
    signal: int | None = None
    code: int | None = None

    @property
    def killed(self) -> bool:
        return self.signal == signal.SIGKILL


class CrashWorker:
    """One fork server; its runs go one at a time."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"},
        )
        self._buffer = b""
        self._child: int | None = None

    def run(self, spec: dict[str, Any]) -> Outcome:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(spec) + "\n").encode())
        self.process.stdin.flush()
        outcome = Outcome()
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while True:
            line = self._readline(deadline)
            word, _, rest = line.partition(" ")
            if word == "child":
                self._child = int(rest)
            elif word == "reached":
                outcome.reached.append(rest)
            elif word == "exit":
                kind, _, number = rest.partition(" ")
                if kind == "signal":
                    outcome.signal = int(number)
                else:
                    outcome.code = int(number)
                self._child = None
                return outcome

    def log_tail(self, size: int = 3000) -> str:
        self._log.flush()
        return self.log_path.read_bytes()[-size:].decode(errors="replace")

    def _readline(self, deadline: float) -> str:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the crash worker did not answer:\n{self.log_tail()}")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise RuntimeError(f"the crash worker exited:\n{self.log_tail()}")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def stop(self) -> None:
        if self._child is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._child, signal.SIGKILL)
            self._child = None
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()

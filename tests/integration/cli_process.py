"""``pos-client`` run as an operator runs it: a separate process, for exit statuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI_TIMEOUT_S = 120


def run_pos_client(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``pos-client --config CONFIG ARGS`` in a child process; its outcome."""
    return subprocess.run(
        [sys.executable, "-m", "pos_client.cli", "--config", str(config), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )

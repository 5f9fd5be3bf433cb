"""Start and stop a real ledger server process for a benchmark (loopback only)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ledger_cli(*args: str) -> str:
    """Run ``pos-ledger ARGS`` and return its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "ledger.cli", *args], capture_output=True, text=True, check=True
    )
    return done.stdout


@contextlib.contextmanager
def running_ledger(db: Path | str) -> Iterator[str]:
    """A ``pos-ledger serve`` process on 127.0.0.1; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", "serve", "--db", str(db), "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError("the ledger did not start")
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a ledger started here by its pid: terminate, then kill if it lingers."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@contextlib.contextmanager
def postgres_schema(dsn: str, prefix: str = "bench") -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a fresh schema (by ``search_path``),
    dropped afterwards, so a benchmark (or a test) never touches another run's tables."""
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in dsn else "?"
    try:
        yield f"{dsn}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

"""The pos-client command line: sync, status, receipts, verify and clear config errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from loyalty.cards import make_card_number
from pos_client.cli import main
from pos_client.till import Till
from tests.integration.ledger.support import start_ledger

KARI = make_card_number(7)


def write_config(tmp_path: Path, ledger: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[till]\nterminal_id = "CLI01-T1"\ndata_dir = "data"\n{ledger}', encoding="utf-8"
    )
    return path


@pytest.fixture
def ledger(tmp_path: Path):
    with start_ledger(f"sqlite:///{tmp_path}/ledger.db", tmp_path) as handle:
        members = tmp_path / "members.csv"
        members.write_text(f"card,name,tier,balance\n{KARI},Kari Nordmann,,500\n")
        assert handle.admin("members", "import", str(members)).returncode == 0
        yield handle


def test_sync_pulls_members_pushes_events_and_reports(tmp_path, ledger, capsys):
    token = ledger.add_terminal("CLI01-T1")
    config = write_config(tmp_path, f'[ledger]\nurl = "{ledger.url}"\ntoken = "{token}"\n')
    assert main(["--config", str(config), "sync"]) == 0
    assert "1 members updated" in capsys.readouterr().out

    from pos_client.config import load_config

    till = Till.open(load_config(config))
    try:
        till.scan(KARI)
        till.earn("250")
    finally:
        till.close()

    assert main(["--config", str(config), "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["pending_events"] == 1
    assert status["oldest_pending_at"] is not None and status["oldest_pending_age_s"] >= 0

    assert main(["--config", str(config), "sync"]) == 0
    assert "1 events confirmed" in capsys.readouterr().out
    assert main(["--config", str(config), "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["pending_events"] == 0
    assert status["last_sync"] is not None  # remembered across processes
    assert status["ledger_state"] == "not contacted yet"  # this process did not sync
    shown = ledger.admin("member", "show", KARI).stdout
    assert "750" in shown


def test_sync_fails_with_exit_1_when_the_ledger_is_down(tmp_path, capsys):
    config = write_config(tmp_path, '[ledger]\nurl = "http://127.0.0.1:9"\ntoken = "t"\n')
    assert main(["--config", str(config), "sync"]) == 1
    assert "Cannot reach the ledger" in capsys.readouterr().err


def test_sync_without_a_ledger_says_so(tmp_path, capsys):
    assert main(["--config", str(write_config(tmp_path)), "sync"]) == 2
    assert "no [ledger] url" in capsys.readouterr().err


def test_a_bad_config_is_one_clear_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('[till]\nterminal_id = "T1"\nsync = 1\n', encoding="utf-8")
    assert main(["--config", str(path), "status"]) == 2
    err = capsys.readouterr().err
    assert "[till] sync is not a known setting" in err and str(path) in err
    assert not (tmp_path / "data").exists()


def test_receipts_and_verify(tmp_path, capsys):
    config = write_config(tmp_path)
    from pos_client.config import load_config
    from pos_client.store import CachedMember

    till = Till.open(load_config(config))
    till.store.members.upsert_many([CachedMember(KARI, "M7", "Kari", "", "active", False, "")])
    till.scan(KARI)
    till.earn("99.90")
    till.close()
    assert main(["--config", str(config), "receipts"]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert line["receipt_no"] == "CLI01-T1-000001" and line["points"] == 99
    assert main(["--config", str(config), "verify"]) == 0
    assert "1 events, chain verified" in capsys.readouterr().out


def test_the_console_script_runs_installer_tools_without_a_config(tmp_path):
    out = tmp_path / "card.svg"
    done = subprocess.run(
        [sys.executable, "-m", "pos_client.cli", "card", KARI, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"POS_CONFIG": str(tmp_path / "missing.toml"), "PATH": "/usr/bin:/bin"},
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text().lstrip().startswith("<?xml")


def test_two_syncs_of_one_till_never_run_at_once(tmp_path, capsys):
    from pos_client.config import load_config
    from pos_client.store.sync_side import StoreSyncSide

    config = write_config(tmp_path, '[ledger]\nurl = "http://127.0.0.1:9"\ntoken = "t"\n')
    till = Till.open(load_config(config))
    try:
        with StoreSyncSide(till.store).exclusive() as alone:  # the app's background sync
            assert alone
            assert main(["--config", str(config), "sync"]) == 1
            assert "Another sync of this till is running" in capsys.readouterr().err
        assert main(["--config", str(config), "sync"]) == 1
        assert "Cannot reach the ledger" in capsys.readouterr().err
    finally:
        till.close()

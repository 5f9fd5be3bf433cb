"""A config file holding the ledger token that other users can read: the till warns
(never refuses), in TillConfig.warnings and on stderr at start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pos_client.cli import main
from pos_client.config import load_config

LEDGER = '[ledger]\nurl = "http://127.0.0.1:9"\ntoken = "secret-token"\n'


def _config(tmp_path: Path, mode: int, ledger: str = LEDGER) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[till]\nterminal_id = "OSLO01-T1"\ndata_dir = "data"\n{ledger}')
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_token_others_can_read_is_warned_about(tmp_path: Path, mode: int):
    path = _config(tmp_path, mode)
    (warning,) = load_config(path).warnings
    assert str(path) in warning and f"mode {mode:o}" in warning
    assert f"chmod 600 {path}" in warning
    assert "secret-token" not in warning


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_file_only_its_owner_reads_is_not(tmp_path: Path, mode: int):
    assert load_config(_config(tmp_path, mode)).warnings == ()


def test_a_file_without_a_token_is_not(tmp_path: Path):
    assert load_config(_config(tmp_path, 0o644, ledger="")).warnings == ()


def test_the_till_says_so_on_stderr_at_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = _config(tmp_path, 0o644)
    assert main(["--config", str(path), "staff"]) == 0
    err = capsys.readouterr().err
    assert f"pos-client: {path} holds this till's ledger token" in err
    assert main(["--config", str(_config(tmp_path, 0o600)), "staff"]) == 0
    assert "ledger token" not in capsys.readouterr().err

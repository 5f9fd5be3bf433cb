"""Configuration: found via --config, then POS_CONFIG, then the platform directory;
every mistake names the file and the key."""

import re
from pathlib import Path

import pytest

from devices.config import ScannerConfig
from loyalty.programme import parse_programme
from loyalty.programme.default import simple_programme_document
from pos_client import config as config_module
from pos_client.config import LedgerConfig, TillConfig, load_config
from pos_client.errors import ConfigError

DEFAULT = parse_programme(simple_programme_document())

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_is_valid_and_documents_every_key(tmp_path, monkeypatch):
    config = load_config(EXAMPLE)
    assert config.terminal_id == "OSLO01-T1"
    assert config.programme.content_hash == DEFAULT.content_hash  # the ledger's versions
    assert config.notices == ()
    assert config.store_id == "OSLO01"
    assert [k.key for k in config.quick_keys] == ["c", "b"]
    assert config.ledger.batch_size == 500 and config.printer.timeout == 3.0
    assert ScannerConfig.from_mapping(config.scanner, section="scanner").baudrate == 115200
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    keys = [i for i, line in enumerate(lines) if " = " in line and not line.startswith("#")]
    assert len(keys) >= 8
    for index in keys:
        assert lines[index - 1].startswith("#"), f"{lines[index]!r} has no comment above it"


def test_cli_path_wins_over_environment_and_default(tmp_path, monkeypatch):
    cli = write(tmp_path / "cli.toml", '[till]\nterminal_id = "CLI-T1"\n')
    env = write(tmp_path / "env.toml", '[till]\nterminal_id = "ENV-T1"\n')
    monkeypatch.setenv("POS_CONFIG", str(env))
    assert load_config(cli).terminal_id == "CLI-T1"
    assert load_config(None).terminal_id == "ENV-T1"


def test_the_platform_config_directory_is_the_last_resort(tmp_path, monkeypatch):
    monkeypatch.delenv("POS_CONFIG", raising=False)
    default = write(tmp_path / "config.toml", '[till]\nterminal_id = "HOME-T1"\n')
    monkeypatch.setattr(config_module, "default_config_path", lambda: default)
    assert load_config(None).terminal_id == "HOME-T1"


def test_relative_data_dir_is_relative_to_the_config_file(tmp_path):
    path = write(tmp_path / "c.toml", '[till]\nterminal_id = "T1"\ndata_dir = "data"\n')
    assert load_config(path).data_dir == tmp_path / "data"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "[till] terminal_id is missing"),
        ("[till]\n", "[till] terminal_id is missing"),
        ('[till]\nterminal_id = 7\n', "[till] terminal_id must be text"),
        ('[till]\nterminal_id = "has space"\n', "[till] terminal_id must be 1-40"),
        ('[till]\nterminal_id = "T1"\ntermnal = "x"\n', "[till] termnal is not a known setting"),
        ('[till]\nterminal_id = "T1"\n[programme]\npoints_per_unit = 0\n',
         "[programme] points_per_unit must be at least 1"),
        ('[till]\nterminal_id = "T1"\n[programme]\ncurrency = "XXX"\n',
         "[programme] currency is not a currency this till knows"),
        ('[till]\nterminal_id = "T1"\n[ledger]\nurl = "ftp://x"\n',
         "[ledger] url must start with http"),
        ('[till]\nterminal_id = "T1"\n[ledger]\nurl = "http://127.0.0.1:1"\n',
         "[ledger] token is missing"),
        ('[till]\nterminal_id = "T1"\n[ledger]\nsync_interval = "30s"\n',
         "[ledger] sync_interval must be a positive number"),
        ('[till]\nterminal_id = "T1"\n[extra]\n', "[top level] extra is not a known setting"),
        ("[till\n", "is not valid TOML"),
    ],
)  # fmt: skip
def test_mistakes_name_the_file_and_the_key(tmp_path, text, message):
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(path) in raised.value.message
    assert message in raised.value.message


def test_a_missing_file_says_where_it_looked_and_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match=r"No configuration file at .*config\.example\.toml"):
        load_config(tmp_path / "nope.toml")


def _example_programme_block() -> str:
    """The example's commented-out [programme] table, uncommented."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    start = lines.index("# [programme]")
    block = []
    for line in lines[start:]:
        if not line.strip():
            break
        body = line.removeprefix("# ")
        if body == "[programme]" or re.match(r"\w+ = ", body):
            block.append(body)
    return "\n".join(block) + "\n"


def test_the_examples_programme_table_runs_a_till_with_no_ledger(tmp_path):
    block = _example_programme_block()
    assert "redeem_points = 100" in block and "timezone" in block
    path = write(tmp_path / "alone.toml", '[till]\nterminal_id = "T-1"\n' + block)
    config = load_config(path)
    assert config.programme.redeem is not None and config.programme.redeem.points == 100
    assert config.programme.timezone == "Europe/Oslo" and config.notices == ()


def test_a_programme_table_beside_a_ledger_is_ignored_and_said(tmp_path):
    """A file from release 0.1 has both: it starts, runs the ledger's versions (until
    the first arrives, the ledger's version 1, the default) and says so."""
    path = write(
        tmp_path / "both.toml",
        '[till]\nterminal_id = "T-1"\n[programme]\npoints_per_unit = 5\n'
        '[ledger]\nurl = "http://127.0.0.1:9"\ntoken = "t"\n',
    )
    config = load_config(path)
    assert config.programme.content_hash == DEFAULT.content_hash
    assert len(config.notices) == 1
    assert "[programme] is ignored" in config.notices[0] and "both.toml" in config.notices[0]


def test_a_programme_table_beside_a_ledger_is_still_checked(tmp_path):
    path = write(
        tmp_path / "both.toml",
        '[till]\nterminal_id = "T-1"\n[programme]\npoint_per_unit = 5\n'
        '[ledger]\nurl = "http://127.0.0.1:9"\ntoken = "t"\n',
    )
    with pytest.raises(ConfigError, match="point_per_unit"):
        load_config(path)


def test_a_till_with_a_ledger_cannot_be_given_its_own_programme(tmp_path):
    own = parse_programme(simple_programme_document(points_per_unit=5))
    ledger = LedgerConfig(url="http://127.0.0.1:9", token="t")
    with pytest.raises(ConfigError, match="only without a ledger"):
        TillConfig(terminal_id="T-1", data_dir=tmp_path, programme=own, ledger=ledger)
    assert TillConfig(terminal_id="T-1", data_dir=tmp_path, programme=own).programme is own

"""The till's configuration: a TOML file, found and validated strictly.

Where the file is found, first match wins:

1. ``--config PATH`` on the command line;
2. the ``POS_CONFIG`` environment variable;
3. ``config.toml`` in the platform's config directory (``platformdirs``, e.g.
   ``~/.config/pos-client/config.toml`` on Linux).

Every key is documented in ``config.example.toml``. A missing file, a missing key, an
unknown key or a wrong type is a :class:`~pos_client.errors.ConfigError` naming the
file and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from loyalty.errors import LoyaltyError
from loyalty.programme import ProgrammeRules
from pos_client.config_reader import TableReader
from pos_client.errors import ConfigError

APP_NAME = "pos-client"
ENV_VAR = "POS_CONFIG"
TERMINAL_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


@dataclass(frozen=True)
class LedgerConfig:
    """How the till reaches the central ledger (unset: the till runs offline only)."""

    url: str | None = None
    """Base URL of the ledger, e.g. ``http://ledger.example:8080``."""
    token: str | None = None
    """This terminal's bearer token, printed once by ``pos-ledger terminal add``."""
    sync_interval: float = 30.0
    """Seconds between background syncs while online."""
    timeout: float = 10.0
    """Seconds to wait for a push or pull answer."""
    lookup_timeout: float = 1.5
    """Seconds to wait for an online member lookup before falling back to offline."""
    batch_size: int = 500
    """Events per push request."""


@dataclass(frozen=True)
class PrinterConfig:
    """The receipt printer (unset: no receipts are printed)."""

    url: str | None = None
    """``tcp://HOST:9100`` for a network printer, or a serial port / pyserial URL."""
    timeout: float = 3.0
    """Seconds to wait for the printer before giving up on a receipt."""
    baudrate: int = 9600
    """Line speed of a serial printer."""


@dataclass(frozen=True)
class TillConfig:
    """Everything the till needs to start."""

    terminal_id: str
    """This till's id at the ledger; also prefixes its receipt numbers."""
    data_dir: Path
    """Where the till keeps its SQLite file."""
    store_name: str = ""
    """Shown in the header and on receipts."""
    rules: ProgrammeRules = field(default_factory=ProgrammeRules)
    """Programme rules to use until the ledger distributes its own."""
    ledger: LedgerConfig = field(default_factory=LedgerConfig)
    scanner: dict[str, Any] = field(default_factory=dict)
    """The ``[scanner]`` table, validated by the device layer when the scanner opens."""
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    source: str = "<defaults>"
    """The file this came from, for messages."""

    @property
    def database_path(self) -> Path:
        return self.data_dir / "till.sqlite"


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def find_config(cli_path: str | Path | None = None) -> Path:
    """The config file to use: ``--config``, then ``POS_CONFIG``, then the default."""
    if cli_path:
        return Path(cli_path).expanduser()
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return Path(from_env).expanduser()
    return default_config_path()


def load_config(cli_path: str | Path | None = None) -> TillConfig:
    """Find, read and validate the configuration, or raise ConfigError."""
    path = find_config(cli_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"No configuration file at {path}. Copy config.example.toml there, or pass "
            f"--config PATH, or set {ENV_VAR}."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read ({error}).") from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: is not valid TOML ({error}).") from error
    return parse_config(data, source=str(path), base_dir=path.parent)


def parse_config(data: dict[str, Any], source: str, base_dir: Path) -> TillConfig:
    """Validate a parsed TOML document (relative paths are relative to ``base_dir``)."""
    top = TableReader(data, "top level", source)
    till = TableReader(top.table("till"), "till", source)
    terminal_id = till.text("terminal_id")
    if not TERMINAL_ID_PATTERN.match(terminal_id):
        raise till.error(
            "terminal_id", "must be 1-40 letters, digits, '.', '_' or '-' (e.g. 'OSLO01-T1')."
        )
    data_dir = till.path("data_dir", None, relative_to=base_dir) or default_data_dir()
    store_name = till.text("store_name", "")
    till.check_no_unknown_keys()

    rules = _parse_rules(TableReader(top.table("programme"), "programme", source))
    ledger = _parse_ledger(TableReader(top.table("ledger"), "ledger", source))
    scanner = top.table("scanner")
    printer = _parse_printer(TableReader(top.table("printer"), "printer", source))
    top.check_no_unknown_keys()
    return TillConfig(
        terminal_id=terminal_id,
        data_dir=data_dir,
        store_name=store_name,
        rules=rules,
        ledger=ledger,
        scanner=scanner,
        printer=printer,
        source=source,
    )


def _parse_rules(reader: TableReader) -> ProgrammeRules:
    defaults = ProgrammeRules()
    values = {
        "currency": reader.text("currency", defaults.currency),
        "points_per_unit": reader.integer("points_per_unit", defaults.points_per_unit, 1),
        "redeem_points": reader.integer("redeem_points", defaults.redeem_points, 1),
        "redeem_value_minor": reader.integer("redeem_value_minor", defaults.redeem_value_minor, 1),
        "min_redeem_points": reader.integer("min_redeem_points", defaults.min_redeem_points, 1),
        "offline_redeem_cap": reader.integer("offline_redeem_cap", defaults.offline_redeem_cap, 0),
        "max_offline_hours": reader.integer("max_offline_hours", defaults.max_offline_hours, 0),
    }
    reader.check_no_unknown_keys()
    try:
        return ProgrammeRules(**values)
    except (LoyaltyError, ValueError) as error:
        raise reader.error("currency", f"is not usable: {error}") from error


def _parse_printer(reader: TableReader) -> PrinterConfig:
    defaults = PrinterConfig()
    config = PrinterConfig(
        url=reader.text("url", None),
        timeout=reader.seconds("timeout", defaults.timeout),
        baudrate=reader.integer("baudrate", defaults.baudrate, 1),
    )
    reader.check_no_unknown_keys()
    return config


def _parse_ledger(reader: TableReader) -> LedgerConfig:
    defaults = LedgerConfig()
    url = reader.text("url", None)
    if url is not None and not url.startswith(("http://", "https://")):
        raise reader.error("url", f"must start with http:// or https://, not {url!r}.")
    config = LedgerConfig(
        url=url,
        token=reader.text("token", None),
        sync_interval=reader.seconds("sync_interval", defaults.sync_interval),
        timeout=reader.seconds("timeout", defaults.timeout),
        lookup_timeout=reader.seconds("lookup_timeout", defaults.lookup_timeout),
        batch_size=reader.integer("batch_size", defaults.batch_size, 1),
    )
    reader.check_no_unknown_keys()
    if config.url and not config.token:
        raise reader.error("token", "is missing (needed with url).")
    return config

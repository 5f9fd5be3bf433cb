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

import dataclasses
import functools
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from loyalty.errors import LoyaltyError
from loyalty.money import MINOR_UNIT_DIGITS, parse_money
from loyalty.programme import Programme, load_programme_file, parse_programme
from loyalty.programme.default import simple_programme_document
from loyalty.programme.model import Offline
from loyalty.token_keys import KeysetError, public_key_of
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
class MemberQrConfig:
    """Member QR tokens (docs/MEMBER_QR.md): unset, the till refuses them."""

    root_key: str | None = None
    """The programme root key's public half (64 hex digits), printed by ``pos-ledger
    qr-keys init``: the one key this till trusts to sign the keyset of token keys."""


@dataclass(frozen=True)
class QuickKey:
    """A key that adds a line for a product group without a barcode (Coffee, Bakery)."""

    key: str
    """One letter, pressed in the quick-key panel (digits belong to scans)."""
    name: str
    """The line's name on the screen and the receipt."""
    sku: str | None = None
    """A product of the catalogue to add at its price; else a line of this group."""
    tags: tuple[str, ...] = ()
    """Tags of a group line (what the programme's rules select by)."""
    price_minor: int | None = None
    """A group line's fixed price; None: the amount typed in the Amount field."""


@functools.cache
def _default_programme() -> Programme:
    """The default programme, which a new ledger also publishes as its version 1."""
    return parse_programme(simple_programme_document(), "<default programme>")


@dataclass(frozen=True)
class TillConfig:
    """Everything the till needs to start."""

    terminal_id: str
    """This till's id at the ledger; also prefixes its receipt numbers."""
    data_dir: Path
    """Where the till keeps its SQLite file."""
    store_name: str = ""
    """Shown in the header and on receipts."""
    store: str = ""
    """The store's id (programme rules may name stores); see :attr:`store_id`."""
    programme: Programme = field(default_factory=_default_programme)
    """The programme of a till with no ledger. A till with a ledger runs the versions
    the ledger publishes, and until it has received one, the ledger's first version
    (the default programme), so this stays the default there."""
    operator: str | None = None
    """Who is signed in at the till; every event names them."""
    large_amount_minor: int = 500_000
    """A line or amount above this asks the cashier for a second look."""
    quick_keys: tuple[QuickKey, ...] = ()
    ledger: LedgerConfig = field(default_factory=LedgerConfig)
    scanner: dict[str, Any] = field(default_factory=dict)
    """The ``[scanner]`` table, validated by the device layer when the scanner opens."""
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    member_qr: MemberQrConfig = field(default_factory=MemberQrConfig)
    source: str = "<defaults>"
    """The file this came from, for messages."""
    notices: tuple[str, ...] = ()
    """What the file asks for that this till does not do (said at start, never fatal)."""
    warnings: tuple[str, ...] = ()
    """What is unsafe about the file itself (a ledger token others can read): said at
    start and shown on the screen, never fatal."""

    def __post_init__(self) -> None:
        if self.ledger.url and self.programme.content_hash != _default_programme().content_hash:
            raise ConfigError(
                "A till with a ledger runs the programme versions its ledger publishes; "
                "its own programme applies only without a ledger."
            )

    @property
    def store_id(self) -> str:
        """The store's id at the ledger: ``[till] store``, else the terminal id up to
        its last ``-`` (``OSLO01`` for ``OSLO01-T1``)."""
        if self.store:
            return self.store
        head, sep, _ = self.terminal_id.rpartition("-")
        return head if sep and head else self.terminal_id

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
    config = parse_config(data, source=str(path), base_dir=path.parent)
    warning = readable_token_warning(path, config)
    return config if warning is None else dataclasses.replace(config, warnings=(warning,))


def readable_token_warning(path: Path, config: TillConfig) -> str | None:
    """A warning when ``path`` holds a ledger token and its group or other users may
    read it: whoever reads the token can send events as this till."""
    if not config.ledger.token:
        return None
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if not mode & 0o077:
        return None
    return (
        f"{path} holds this till's ledger token and is open to other users of this "
        f"computer (mode {mode & 0o777:o}); anyone who reads the token can send events as "
        "this till. "
        f"Run: chmod 600 {path}"
    )


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
    store = till.text("store", "")
    operator = till.text("operator", None)
    large = till.text("large_amount", None)
    till.check_no_unknown_keys()

    programme_table = top.table("programme")
    ledger = _parse_ledger(TableReader(top.table("ledger"), "ledger", source))
    programme = _parse_programme(TableReader(programme_table, "programme", source), base_dir)
    notices: tuple[str, ...] = ()
    if ledger.url and programme_table:
        # A file from release 0.1 has both; it still starts, and says what it runs.
        programme = _default_programme()
        notices = (
            f"{source}: [programme] is ignored: a till with a [ledger] runs the programme "
            "versions its ledger publishes (pos-ledger rules publish). Remove [programme].",
        )
    large_amount_minor = 500_000
    if large is not None:
        try:
            large_amount_minor = parse_money(large, programme.currency).minor
        except LoyaltyError as error:
            raise till.error("large_amount", f"is not an amount: {error.message}") from None
    quick_keys = _parse_quick_keys(top, source, programme.currency)
    scanner = top.table("scanner")
    printer = _parse_printer(TableReader(top.table("printer"), "printer", source))
    member_qr = _parse_member_qr(TableReader(top.table("member_qr"), "member_qr", source))
    top.check_no_unknown_keys()
    return TillConfig(
        terminal_id=terminal_id,
        data_dir=data_dir,
        store_name=store_name,
        store=store,
        programme=programme,
        operator=operator,
        large_amount_minor=large_amount_minor,
        quick_keys=quick_keys,
        ledger=ledger,
        scanner=scanner,
        printer=printer,
        member_qr=member_qr,
        source=source,
        notices=notices,
    )


def _parse_programme(reader: TableReader, base_dir: Path) -> Programme:
    """``file = "..."`` names a programme document; else the simple points settings."""
    path = reader.path("file", None, relative_to=base_dir)
    if path is not None:
        reader.check_no_unknown_keys()
        try:
            return load_programme_file(path)
        except LoyaltyError as error:
            raise reader.error("file", f"is not a usable programme: {error.message}") from None
    defaults = Offline()
    currency = reader.text("currency", "NOK")
    if currency not in MINOR_UNIT_DIGITS:
        raise reader.error("currency", f"is not a currency this till knows ({currency!r}).")
    document = simple_programme_document(
        currency=currency,
        points_per_unit=reader.integer("points_per_unit", 1, 1),
        redeem_points=reader.integer("redeem_points", 100, 1),
        redeem_value_minor=reader.integer("redeem_value_minor", 1000, 1),
        min_redeem_points=reader.integer("min_redeem_points", 100, 1),
        offline_redeem_cap=reader.integer("offline_redeem_cap", defaults.redeem_cap, 0),
        max_offline_hours=reader.integer("max_offline_hours", defaults.max_offline_hours, 0),
        timezone=reader.text("timezone", "UTC"),
    )
    reader.check_no_unknown_keys()
    try:
        return parse_programme(document, f"{reader.source} [programme]")
    except LoyaltyError as error:
        raise reader.error("timezone", f"is not usable: {error.message}") from None


def _parse_quick_keys(top: TableReader, source: str, currency: str) -> tuple[QuickKey, ...]:
    keys: list[QuickKey] = []
    for index, item in enumerate(top.tables("quick_keys")):
        reader = TableReader(item, f"quick_keys {index + 1}", source)
        key = reader.text("key")
        if len(key) != 1 or not (key.isascii() and key.isalpha()):
            raise reader.error("key", f"must be one letter (digits are for scans), not {key!r}.")
        tags = reader.texts("tags")
        price = reader.text("price", None)
        quick = QuickKey(
            key=key.lower(),
            name=reader.text("name"),
            sku=reader.text("sku", None),
            tags=tuple(tags),
            price_minor=None if price is None else _price(reader, price, currency),
        )
        reader.check_no_unknown_keys()
        if any(k.key == quick.key for k in keys):
            raise reader.error("key", f"{key!r} is used by another quick key.")
        keys.append(quick)
    return tuple(keys)


def _price(reader: TableReader, text: str, currency: str) -> int:
    try:
        return parse_money(text, currency).minor
    except LoyaltyError as error:
        raise reader.error("price", f"is not an amount: {error.message}") from None


def _parse_printer(reader: TableReader) -> PrinterConfig:
    defaults = PrinterConfig()
    config = PrinterConfig(
        url=reader.text("url", None),
        timeout=reader.seconds("timeout", defaults.timeout),
        baudrate=reader.integer("baudrate", defaults.baudrate, 1),
    )
    reader.check_no_unknown_keys()
    return config


def _parse_member_qr(reader: TableReader) -> MemberQrConfig:
    root_key = reader.text("root_key", None)
    reader.check_no_unknown_keys()
    if root_key is not None:
        try:
            public_key_of(root_key)
        except KeysetError:
            raise reader.error(
                "root_key", "must be the 64 hex digits pos-ledger qr-keys init printed."
            ) from None
    return MemberQrConfig(root_key=root_key)


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

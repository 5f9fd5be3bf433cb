"""Demo mode: a till, its own ledger and a simulated serial scanner, in one command.

``pos-client demo`` uses its own data directory (the platform's data directory,
``.../pos-client/demo``), with the till's files in ``till/`` and a central ledger's
in ``ledger/``. The ledger runs as a separate ``pos-ledger serve`` process on
127.0.0.1 and is seeded once with about 200 members: realistic Nordic names, a
plausible spread of balances and valid member cards (prefix ``29``), all drawn from a
fixed seed so every demo shows the same members. Scans travel the real serial path:
a simulated scanner on a pseudo-terminal, read by the same reader a real scanner
uses. A demo's recorded events stay between runs, like a real store's.
"""

from __future__ import annotations

import contextlib
import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

from devices.config import ScannerConfig
from devices.simulator import ScannerSimulator
from loyalty.cards import make_card_number
from loyalty.money import parse_money
from loyalty.programme import Programme, load_programme_file, parse_programme
from loyalty.programme.default import simple_programme_document
from loyalty.tiers import DEFAULT_TIER
from pos_client.config import APP_NAME, LedgerConfig, MemberQrConfig, QuickKey, TillConfig
from pos_client.demo_faults import seed_unapproved_corrections
from pos_client.demo_ledger import DemoLedger, DemoLedgerError
from pos_client.demo_staff import (
    DEMO_CASHIER,
    DEMO_STAFF,
    seed_staff_locally,
    sign_in_demo_cashier,
)
from pos_client.demo_web import admin_lines, demo_web_accounts
from pos_client.errors import UnsupportedScan
from pos_client.store import CachedMember, Product
from pos_client.till import Till
from sync.errors import SyncError

DEMO_TERMINAL_ID = "DEMO01-T1"
DEMO_WEB_ACCOUNTS = demo_web_accounts("DEMO01")
"""The demo store's id is the demo terminal's id up to its last ``-``."""
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "programmes"
"""The example programmes (beside the package in a checkout)."""
DEFAULT_PROGRAMME = "points"
"""The example the demo runs without ``--programme``: the default document
(:func:`loyalty.programme.default.simple_programme_document`) as a file."""
PRODUCTS_CSV = Path(__file__).resolve().parent / "demo_data" / "products.csv"
DEMO_QUICK_KEYS = (
    QuickKey("c", "Coffee", tags=("coffee", "brewed"), price_minor=2990),
    QuickKey("b", "Bakery", tags=("bakery",)),
    QuickKey("f", "Fruit and vegetables", tags=("fresh",)),
)
"""Coffee at its price; bakery and fresh produce at the amount typed first."""
DEMO_MEMBER_COUNT = 200
DEMO_SEED = 2026

FIRST_NAMES = (
    "Nora",
    "Emma",
    "Ingrid",
    "Sofie",
    "Astrid",
    "Sigrid",
    "Ella",
    "Maja",
    "Olivia",
    "Frida",
    "Liv",
    "Solveig",
    "Hedda",
    "Tuva",
    "Kari",
    "Åse",
    "Märta",
    "Freja",
    "Saga",
    "Elsa",
    "Jakob",
    "Emil",
    "Lukas",
    "Oskar",
    "Henrik",
    "Magnus",
    "Sander",
    "Aksel",
    "Olav",
    "Håkon",
    "Lars",
    "Bjørn",
    "Erik",
    "Nils",
    "Anders",
    "Johan",
    "Søren",
    "Mikkel",
    "Jonas",
    "Tor",
)
SURNAMES = (
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
    "Jørgensen",
    "Halvorsen",
    "Lund",
    "Solberg",
    "Bakken",
    "Strand",
    "Lindqvist",
    "Svensson",
    "Bergström",
    "Nyström",
    "Sørensen",
    "Rasmussen",
    "Kristensen",
    "Madsen",
    "Østergaard",
    "Ødegård",
    "Ås",
    "Virtanen",
    "Korhonen",
    "Mäkinen",
)


def demo_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME)) / "demo"


def demo_members(
    count: int = DEMO_MEMBER_COUNT, seed: int = DEMO_SEED, tiers: Sequence[str] = ()
) -> list[CachedMember]:
    """The demo's members: same names, cards and balances for the same seed; with
    ``tiers`` (a programme's levels, lowest first), most in the lowest, some higher."""
    rng = random.Random(seed)
    members = []
    for serial in range(1, count + 1):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        balance = int(rng.choice((0, 40, 120, 250, 600, 1500, 4200)) * rng.uniform(0.5, 1.5))
        members.append(
            CachedMember(
                card=make_card_number(serial * 7919 % 10**9, prefix="29"),
                member_id=f"M{serial:06d}",
                name=name,
                tier=tiers[min(serial % 5, len(tiers) - 1)] if tiers else DEFAULT_TIER,
                accounts={"points": balance} if balance else {},
                status="blocked" if serial % 97 == 0 else "active",
                flagged=False,
                updated_at="",
            )
        )
    return members


@dataclass
class DemoSession:
    """Everything a running demo owns; ``close`` stops it all, in order."""

    till: Till
    simulator: ScannerSimulator
    """The simulated serial scanner; the demo's "simulate scan" key types into it."""
    scanner: ScannerConfig
    """The till's scanner settings, pointing at the simulator's pty."""
    ledger: DemoLedger | None
    """The demo's ledger process; None when it could not start (the till runs offline)."""
    notice: str = ""

    """Anything the person starting the demo should know."""

    def settle(self) -> str:
        """The demo ledger's settle run for today (the demo's F12)."""
        if self.ledger is None:
            return "The demo runs offline: there is no ledger to settle."
        try:
            return self.ledger.settle()
        except DemoLedgerError as error:
            return str(error)

    def member_qr(self, card: str) -> str:
        """The demo ledger's fresh member-app QR token for ``card`` (the demo's Ctrl+O);
        UnsupportedScan, in words, when there is no ledger or it cannot issue one."""
        if self.ledger is None:
            raise UnsupportedScan("The demo runs offline: there is no ledger to issue QR codes.")
        try:
            return self.ledger.member_qr(card)
        except DemoLedgerError as error:
            raise UnsupportedScan(str(error)) from None

    def admin_lines(self) -> list[str]:
        """The web pages' address and the demo's sign-ins; none without a ledger."""
        if self.ledger is None:
            return []
        return admin_lines(self.ledger.url, DEMO_WEB_ACCOUNTS)

    def close(self) -> None:
        self.till.close()
        self.simulator.close()
        if self.ledger is not None:
            self.ledger.stop()


def example_programme(name: str) -> Path:
    """The example programme document called ``name`` (``coffee``, ``kiwi``, ...)."""
    path = EXAMPLES / f"{name}.toml"
    if not path.is_file():
        names = ", ".join(example_names()) or "none found"
        raise DemoLedgerError(f"There is no example programme {name!r} (try: {names}).")
    return path


def example_names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.toml"))


def demo_products() -> list[Product]:
    """The demo's catalogue (pos_client/demo_data/products.csv), prices in minor units."""
    with PRODUCTS_CSV.open(newline="", encoding="utf-8") as handle:
        return [
            Product(
                sku=row["sku"],
                name=row["name"],
                price_minor=parse_money(row["price"], "NOK").minor,
                tags=frozenset(t for t in row["tags"].split(";") if t),
                active=True,
            )
            for row in csv.DictReader(handle)
        ]


def demo_config(
    directory: Path,
    programme: Programme,
    ledger: LedgerConfig,
    member_qr: MemberQrConfig | None = None,
) -> TillConfig:
    return TillConfig(
        terminal_id=DEMO_TERMINAL_ID,
        data_dir=directory,
        store_name="Demo store",
        operator="demo",
        programme=programme,
        quick_keys=DEMO_QUICK_KEYS,
        ledger=ledger,
        member_qr=member_qr or MemberQrConfig(),
    )


def open_demo_till(data_dir: Path | None = None, base: TillConfig | None = None) -> Till:
    """The demo till alone, offline, seeded locally on first use (tests and scripts)."""
    directory = data_dir or demo_data_dir()
    default = parse_programme(simple_programme_document())
    config = base or demo_config(directory, default, LedgerConfig())
    config = replace(config, data_dir=directory, store_name=config.store_name or "Demo store")
    till = Till.open(config)
    _seed_locally(till, demo_members(tiers=config.programme.tiers))
    return till


def _seed_locally(till: Till, members: list[CachedMember]) -> None:
    """Members and products for a till that has no ledger to pull them from."""
    if till.store.members.count() == 0:
        till.store.members.upsert_many(members)
    if till.store.catalogue.product_count() == 0:
        till.store.catalogue.upsert_products(demo_products())


def start_demo(
    data_dir: Path | None = None, programme: str | None = None, parked: bool = False
) -> DemoSession:
    """Start the demo: its ledger on 127.0.0.1, a simulated scanner, and the till.

    The first start creates the ledger with the demo members, the demo catalogue and a
    terminal token; later starts reuse them, so the demo's history grows like a real
    store's. ``programme`` names an example programme (examples/programmes) that the
    demo ledger publishes at once (if it is not the one in force), with the members'
    tiers taken from its levels; without one, the demo goes back to the default
    ``points`` programme, whatever an earlier start ran. ``parked``: a new demo till
    records two unapproved corrections, which the ledger parks, for the manager's
    sync queue (:mod:`pos_client.demo_faults`). If the ledger cannot start,
    the till runs offline on locally seeded members under that programme.
    """
    directory = data_dir or demo_data_dir()
    default = EXAMPLES / f"{DEFAULT_PROGRAMME}.toml"
    # Installed without the checkout's examples/: the built-in default document.
    path = example_programme(programme) if programme else default if default.is_file() else None
    chosen = load_programme_file(path) if path else parse_programme(simple_programme_document())
    members = demo_members(tiers=chosen.tiers)
    ledger: DemoLedger | None = None
    ledger_config, member_qr, notice = LedgerConfig(), MemberQrConfig(), ""
    candidate = DemoLedger(directory / "ledger", DEMO_TERMINAL_ID)
    try:
        token = candidate.prepare(members, PRODUCTS_CSV, EXAMPLES / "starbucks.toml")
        if path is not None:
            candidate.use_programme(path, chosen.content_hash, members)
        candidate.ensure_staff(DEMO_STAFF)
        candidate.ensure_web_accounts(DEMO_WEB_ACCOUNTS)
        member_qr = MemberQrConfig(root_key=candidate.ensure_member_qr())
        url = candidate.start()
    except DemoLedgerError as error:
        notice = f"{error} The demo runs offline."
    else:
        ledger = candidate
        ledger_config = LedgerConfig(url=url, token=token, sync_interval=5.0, timeout=5.0)
    # With a ledger, the till runs the versions it publishes (the chosen one included).
    own = chosen if ledger is None else parse_programme(simple_programme_document())
    till = Till.open(demo_config(directory / "till", own, ledger_config, member_qr))
    if ledger is not None and parked:
        seed_unapproved_corrections(till, members, DEMO_CASHIER.staff_id)
    if till.link is not None:
        with contextlib.suppress(SyncError):
            till.link.sync_now()  # members, products and programme from the ledger
    _seed_locally(till, members)
    seed_staff_locally(till)
    sign_in_demo_cashier(till)
    simulator = ScannerSimulator(framing="crlf")
    port = simulator.open()
    scanner = ScannerConfig.from_mapping({"port": port, "suffix": "crlf"}, section="scanner")
    return DemoSession(till, simulator, scanner, ledger, notice)

"""Demo mode: a till with its own data directory and about 200 seeded members.

The names are realistic Nordic names, the balances a plausible spread, and the card
numbers valid member cards (prefix ``29``), all drawn from a fixed seed so every demo
shows the same members. Seeding happens once per data directory; a demo's recorded
events stay between runs, like a real till's.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import platformdirs

from loyalty.cards import make_card_number
from pos_client.config import APP_NAME, TillConfig
from pos_client.store import CachedMember
from pos_client.till import Till

DEMO_TERMINAL_ID = "DEMO01-T1"
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


def demo_members(count: int = DEMO_MEMBER_COUNT, seed: int = DEMO_SEED) -> list[CachedMember]:
    """The demo's members: same names, cards and balances for the same seed."""
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
                tier="",
                confirmed_points=balance,
                status="blocked" if serial % 97 == 0 else "active",
                flagged=False,
                updated_at="",
            )
        )
    return members


def open_demo_till(data_dir: Path | None = None, base: TillConfig | None = None) -> Till:
    """Open the demo till in its own data directory, seeding members on first use."""
    directory = data_dir or demo_data_dir()
    config = base or TillConfig(terminal_id=DEMO_TERMINAL_ID, data_dir=directory)
    config = replace(config, data_dir=directory, store_name=config.store_name or "Demo store")
    till = Till.open(config)
    if till.store.members.count() == 0:
        till.store.members.upsert_many(demo_members())
    return till

"""Personal offers at the ledger: assigned from a CSV file, used at any till.

``pos-ledger offers import FILE.csv`` assigns offers made from the programme's
``[[offer_templates]]`` to members. Columns: ``card`` or ``member_id`` (one of them),
``template``, and optionally ``valid_from``, ``valid_until`` (``YYYY-MM-DD``, local
days; by default from the day of the import for the template's ``valid_days``) and
``offer_id`` (by default one derived from the member, template and first day, so
importing a file twice assigns nothing twice). The template must be in the
programme version in force from the first day (from now, for today). A file with
any bad line is refused whole, naming every bad line.

Assigned offers are stored in ``offers`` and listed, with their uses left, in the
member's ``offers`` column, which the changes feed carries to every till. A sale
names the offers it used in ``offers_used``; the ledger records each use
(:mod:`ledger.single_uses`: the earliest ``uses`` by business time are accepted) and
flags an unknown offer, another member's, one used outside its days and every use
beyond the allowed number (``offer_overuse``, with its exposure).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ledger import programmes
from ledger.anomalies import Anomaly
from ledger.csv_import import day_within, nothing_imported, read_csv, repeated
from ledger.db import Database, Tx, not_yet, rows_where_in
from ledger.errors import AdminError
from ledger.member_book import WorkingMember, load_members_by_id
from ledger.single_uses import SingleUses, Use
from ledger.tier_keeping import settled_as_of
from loyalty.events import utc_now_iso
from loyalty.programme import version_in_force

OFFER_COLUMNS = ("card", "member_id", "template", "valid_from", "valid_until", "offer_id")


@dataclass(frozen=True)
class Offer:
    """An offer as assigned."""

    offer_id: str
    member_id: str
    template: str
    valid_from: str
    valid_until: str
    uses: int

    def held(self, used: int) -> dict[str, object]:
        """As the member's ``offers`` list and the feed carry it."""
        return {
            "id": self.offer_id,
            "template": self.template,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "uses_left": max(0, self.uses - used),
        }


def offer_item(offer_id: str) -> str:
    return f"offer:{offer_id}"


def derived_offer_id(member_id: str, template: str, valid_from: str) -> str:
    digest = hashlib.sha256(f"{member_id}|{template}|{valid_from}".encode()).hexdigest()
    return f"OF-{digest[:12].upper()}"


def held_offers(offers: Iterable[Offer], uses: SingleUses) -> list[dict[str, object]]:
    """A member's offers with uses left, soonest ending first."""
    held = [o.held(uses.count(offer_item(o.offer_id), o.member_id)) for o in offers]
    return sorted(
        (h for h in held if int(str(h["uses_left"]))),
        key=lambda h: (str(h["valid_until"]), str(h["id"])),
    )


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class OfferImport:
    """What an import did."""

    assigned: int
    already: int
    members: int


@dataclass(frozen=True)
class _Row:
    line: int
    member_ref: tuple[str, str]
    """("card", number) or ("member_id", id)."""
    template: str
    valid_from: date | None
    valid_until: date | None
    offer_id: str


def import_offers(db: Database, path: Path, today: date | None = None) -> OfferImport:
    """Assign the offers of a CSV file (see the module doc), all or nothing. A
    template is looked up in the version in force from the offer's first day (or now,
    when that day has begun)."""
    rows = _read(path)
    now = datetime.now(UTC)
    day = today or now.date()
    with db.write() as tx:
        versions = programmes.published(tx).versions
        members = _members(tx, rows)
        errors: list[str] = []
        offers: list[Offer] = []
        for row in rows:
            member_id = members.get(row.member_ref)
            if member_id is None:
                errors.append(
                    f"{path}:{row.line}: no member has {row.member_ref[0]} {row.member_ref[1]}."
                )
                continue
            first = row.valid_from or day
            moment = max(datetime.combine(first, time(0), tzinfo=UTC), now)
            version = version_in_force(versions, moment)
            template = version.programme.offer_template(row.template) if version else None
            if template is None:
                errors.append(
                    f"{path}:{row.line}: the programme in force on {first} has no offer "
                    f"template {row.template!r}."
                )
                continue
            last = row.valid_until or min(first + timedelta(days=template.valid_days - 1), LAST_DAY)
            if last < first:
                errors.append(f"{path}:{row.line}: valid_until {last} is before {first}.")
                continue
            offer_id = row.offer_id or derived_offer_id(member_id, row.template, first.isoformat())
            offers.append(
                Offer(
                    offer_id,
                    member_id,
                    row.template,
                    first.isoformat(),
                    last.isoformat(),
                    template.uses,
                )
            )
        if not errors:  # every row made an offer
            errors = _repeated_ids(path, rows, offers)
        if errors:
            raise AdminError(nothing_imported(errors))
        existing = {
            str(r[0]): str(r[1])
            for r in rows_where_in(
                tx,
                "SELECT offer_id, member_id FROM offers WHERE {}",
                "offer_id",
                [o.offer_id for o in offers],
            )
        }
        clash = [o for o in offers if existing.get(o.offer_id, o.member_id) != o.member_id]
        if clash:
            raise AdminError(
                f"Nothing was imported: offer {clash[0].offer_id} is another member's."
            )
        new = [o for o in offers if o.offer_id not in existing]
        assigned_at = utc_now_iso()
        tx.executemany(
            "INSERT INTO offers (offer_id, member_id, template, valid_from, valid_until, uses, "
            "assigned_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (offer_id) DO NOTHING",
            [
                (
                    o.offer_id,
                    o.member_id,
                    o.template,
                    o.valid_from,
                    o.valid_until,
                    o.uses,
                    assigned_at,
                )
                for o in new
            ],
        )
        touched = sorted({o.member_id for o in new})
        if touched:  # an offer that ended before the last settle run is never held
            settled = settled_as_of(tx)
            refresh_held_offers(tx, touched, since=settled.isoformat() if settled else "")
        return OfferImport(len(new), len(offers) - len(new), len(touched))


def _repeated_ids(path: Path, rows: list[_Row], offers: list[Offer]) -> list[str]:
    """An offer id on two lines of one file (given, or derived from the same member,
    template and first day) is an error naming both."""
    first: dict[str, int] = {}
    found = (
        repeated(path, first, f"offer {offer.offer_id}", row.line)
        for row, offer in zip(rows, offers, strict=True)
    )
    return [error for error in found if error is not None]


def refresh_held_offers(tx: Tx, member_ids: list[str], since: str = "") -> None:
    """Recompute the ``offers`` column of these members from ``offers`` and their uses
    (leaving out offers that ended before ``since``), with a change number each."""
    book = load_members_by_id(tx, member_ids)
    keeper = OfferKeeper()
    keeper.load_members(tx, member_ids)
    uses = SingleUses()
    uses.load(tx, [offer_item(o.offer_id) for o in keeper.offers.values()])
    for member in book.by_id.values():
        held = keeper.held(member.member_id, uses, since)
        if held != member.offers:
            member.offers = held
            member.changed = True
    book.write(tx)


def _read(path: Path) -> list[_Row]:
    found: list[str] = []

    def check_header(header: list[str]) -> str | None:
        unknown = [h for h in header if h not in OFFER_COLUMNS]
        found.extend(h for h in ("card", "member_id") if h in header)
        if unknown or "template" not in header or len(found) != 1:
            return (
                "the header must have template and one of card or member_id, "
                "and may have valid_from, valid_until, offer_id "
                f"(unknown: {', '.join(unknown) or 'none'})."
            )
        return None

    return read_csv(path, check_header, lambda values, line: _row(values, line, found[0]))


def _row(values: Mapping[str, str], line: int, ref: str) -> _Row:
    if not values[ref]:
        raise AdminError(f"the {ref} is empty.")
    if not values["template"]:
        raise AdminError("the template is empty.")
    offer_id = values.get("offer_id", "")
    if offer_id and not (len(offer_id) <= 64 and offer_id.isprintable() and " " not in offer_id):
        raise AdminError(f"offer_id {offer_id!r} must be 1 to 64 characters without spaces.")
    return _Row(
        line,
        (ref, values[ref]),
        values["template"],
        _day(values.get("valid_from", ""), "valid_from"),
        _day(values.get("valid_until", ""), "valid_until"),
        offer_id,
    )


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
"""The days an offer may run between."""


def _day(text: str, column: str) -> date | None:
    return day_within(text, column, FIRST_DAY, LAST_DAY)


def _members(tx: Tx, rows: list[_Row]) -> dict[tuple[str, str], str]:
    """The member id of each row's card (current or revoked) or member id."""
    found: dict[tuple[str, str], str] = {}
    cards = sorted({r.member_ref[1] for r in rows if r.member_ref[0] == "card"})
    ids = sorted({r.member_ref[1] for r in rows if r.member_ref[0] == "member_id"})
    for card, member_id in rows_where_in(
        tx, "SELECT card, member_id FROM members WHERE {}", "card", cards
    ):
        found[("card", str(card))] = str(member_id)
    for card, member_id in rows_where_in(
        tx, "SELECT card, member_id FROM revoked_cards WHERE {}", "card", cards
    ):
        found.setdefault(("card", str(card)), str(member_id))
    for (member_id,) in rows_where_in(
        tx, "SELECT member_id FROM members WHERE {}", "member_id", ids
    ):
        found[("member_id", str(member_id))] = str(member_id)
    return found


# --------------------------------------------------------------------------- uses


@dataclass
class OfferKeeper:
    """The offers one transaction sees used."""

    offers: dict[str, Offer] = field(default_factory=dict)
    by_member: dict[str, dict[str, Offer]] = field(default_factory=dict)
    """The same offers per member (read per member)."""
    loaded: set[str] = field(default_factory=set)

    def load(self, tx: Tx, offer_ids: Iterable[str]) -> None:
        wanted = not_yet(self.loaded, offer_ids)
        if wanted:
            self._read(tx, "offer_id", wanted)

    def load_members(self, tx: Tx, member_ids: list[str]) -> None:
        self._read(tx, "member_id", member_ids)

    def _read(self, tx: Tx, column: str, values: list[str]) -> None:
        select = (
            "SELECT offer_id, member_id, template, valid_from, valid_until, uses FROM offers "
            "WHERE {}"
        )
        for row in rows_where_in(tx, select, column, values):
            offer = Offer(
                str(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), int(row[5])
            )
            self.offers[offer.offer_id] = offer
            self.by_member.setdefault(offer.member_id, {})[offer.offer_id] = offer
            self.loaded.add(offer.offer_id)

    def held(self, member_id: str, uses: SingleUses, since: str = "") -> list[dict[str, object]]:
        """The member's offers with uses left that end on ``since`` or later."""
        mine = self.by_member.get(member_id, {}).values()
        return held_offers((o for o in mine if o.valid_until >= since), uses)

    def use(
        self,
        member: WorkingMember,
        content: Mapping[str, Any],
        business_at: str,
        uses: SingleUses,
    ) -> tuple[list[tuple[str, str]], list[Anomaly]]:
        """A sale's offers used: the flags on the sale, and overuses found on other
        events. The offers (and their uses) must have been loaded."""
        flags: list[tuple[str, str]] = []
        others: list[Anomaly] = []
        day = str(content["business_time"])[:10]
        for entry in content.get("offers_used", []):
            offer_id = str(entry["id"])
            offer = self.offers.get(offer_id)
            allowed = offer.uses if offer is not None else 1  # the owner's uses count
            if offer is None:
                flags.append(("offer_unknown", f"offer {offer_id} was never assigned"))
            elif offer.member_id != member.member_id:
                flags.append(
                    ("offer_not_members", f"offer {offer_id} is member {offer.member_id}'s")
                )
            else:
                if not offer.valid_from <= day <= offer.valid_until:
                    flags.append(
                        (
                            "offer_expired",
                            f"offer {offer_id} is for {offer.valid_from} to {offer.valid_until}",
                        )
                    )
            use = Use.by_sale(
                offer_item(offer_id),
                content,
                member.member_id,
                business_at,
                int(entry["discount_minor"]),
            )
            found, pushed_out = uses.judge(
                use,
                allowed,
                offer.member_id if offer is not None else None,
                "offer_overuse",
                f"offer {offer_id} was used more than {allowed} time(s)",
                str(content["currency"]),
            )
            flags += found
            others += pushed_out
            member.offers = [
                {**o, "uses_left": max(0, int(str(o["uses_left"])) - 1)}
                if o["id"] == offer_id
                else o
                for o in member.offers
            ]
            member.offers = [o for o in member.offers if int(str(o["uses_left"]))]
        return flags, others


def offer_ids_used(contents: Iterable[Mapping[str, Any]]) -> list[str]:
    return sorted({str(o["id"]) for c in contents for o in c.get("offers_used", [])})

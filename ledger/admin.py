"""Admin operations behind the CLI: importing members, replacing cards.

Every operation runs in one write transaction, so it is all-or-nothing, and takes
change numbers for what it changes, so tills learn of it through the changes feed.
Input errors are :class:`ledger.errors.AdminError` naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ledger import members
from ledger.csv_import import day_within, missing_and_unknown, read_csv
from ledger.db import Database, Tx, rows_where_in
from ledger.errors import AdminError
from ledger.tier_recount import recount_tiers
from loyalty.cards import validate_card_number
from loyalty.errors import InvalidCardNumber
from loyalty.events import utc_now_iso
from sync.protocol import MemberState

IMPORT_COLUMNS = ("card", "name", "tier", "balance", "member_id", "birth_date", "joined")
"""The columns of a members file; ``card`` and ``name`` are required."""
MAX_NAME = 200
"""The longest member name (characters) an import takes."""


@dataclass(frozen=True)
class ImportRow:
    line: int
    card: str
    name: str
    tier: str
    """The tier given, or empty: the default tier for a new member, kept for a known one."""
    balance: int
    member_id: str
    member_id_given: bool
    birth_date: str = ""
    """``YYYY-MM-DD`` or empty (unknown): the birthday reward's day."""
    joined: str = ""
    """``YYYY-MM-DD`` the member joined, or empty: the import day for a new member, kept
    for a known one (a membership-year tier window starts on its anniversary)."""


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int
    balances_ignored: int
    """Existing members whose file balance differs: balances change only by events."""


def read_member_file(path: Path) -> list[ImportRow]:
    """Parse and check a members CSV completely; raise one error listing bad lines."""
    return read_csv(path, _member_header, _check_row, key=lambda row: f"card {row.card}")


def _member_header(header: list[str]) -> str | None:
    missing, unknown = missing_and_unknown(header, ("card", "name"), IMPORT_COLUMNS)
    if not missing and not unknown:
        return None
    return (
        "the header must have the columns card,name and optionally "
        "tier,balance,member_id,birth_date,joined "
        f"(missing: {', '.join(missing) or 'none'}; unknown: {', '.join(unknown) or 'none'})."
    )


def _check_row(values: dict[str, str], line: int) -> ImportRow:
    try:
        card = validate_card_number(values["card"])
    except InvalidCardNumber as exc:
        raise AdminError(f"card {values['card']!r}: {exc}") from None
    name = values["name"]
    if not name or len(name) > MAX_NAME:
        raise AdminError(f"the name must be 1 to {MAX_NAME} characters, not {len(name)}.")
    balance_text = values.get("balance", "") or "0"
    try:
        balance = int(balance_text)
    except ValueError:
        raise AdminError(f"balance {balance_text!r} is not a whole number of points.") from None
    member_id = values.get("member_id", "")
    return ImportRow(
        line=line,
        card=card,
        name=name,
        tier=values.get("tier", ""),
        balance=balance,
        member_id=member_id or members.imported_member_id(card),
        member_id_given=bool(member_id),
        birth_date=_past_date(values.get("birth_date", ""), "birth_date"),
        joined=_past_date(values.get("joined", ""), "joined"),
    )


EARLIEST_DATE = date(1900, 1, 1)
"""No birth or join date before this is real."""


def _past_date(text: str, column: str) -> str:
    """An optional ``YYYY-MM-DD`` column from 1900 that cannot lie in the future."""
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    day = day_within(text, column, EARLIEST_DATE, tomorrow, "is in the future")
    return "" if day is None else day.isoformat()


def import_members(db: Database, path: Path) -> ImportReport:
    """Create new members and update names, tiers and dates of known ones (idempotent).

    An empty ``tier``, ``birth_date`` or ``joined`` keeps what the ledger holds; a new
    member without them gets the default tier and joined on the day of the import. A
    known member whose imported tier or join date changes has their tier counted
    again from their events (:func:`ledger.tier_recount.recount_tiers`): a tier they
    qualified for above the imported one is kept.

    A card already in the ledger keeps its balance: balances move only by events, so
    importing the same file twice, or an older file, never changes any balance.
    """
    rows = read_member_file(path)
    with db.write() as tx:
        existing = _existing_by_card(tx, [r.card for r in rows])
        revoked = _revoked(tx, [r.card for r in rows])
        taken_ids = _existing_ids(tx, [r.member_id for r in rows if r.card not in existing])
        created: list[ImportRow] = []
        updated: list[tuple[ImportRow, str]] = []
        unchanged = ignored = 0
        for row in rows:
            if row.card in revoked:
                raise AdminError(f"{path}:{row.line}: card {row.card} was revoked.")
            known = existing.get(row.card)
            if known is None:
                if row.member_id in taken_ids:
                    raise AdminError(
                        f"{path}:{row.line}: member id {row.member_id} already has another card."
                    )
                created.append(row)
                continue
            member_id, name, tier, opening, birth_date, joined = known
            if row.member_id_given and row.member_id != member_id:
                raise AdminError(
                    f"{path}:{row.line}: card {row.card} belongs to member {member_id}, "
                    f"not {row.member_id}."
                )
            ignored += row.balance != opening
            same_dates = row.birth_date in ("", birth_date) and row.joined in ("", joined)
            if name == row.name and row.tier in ("", tier) and same_dates:
                unchanged += 1
            else:
                updated.append((row, member_id))
        _write_import(tx, created, updated)
    return ImportReport(len(created), len(updated), unchanged, ignored)


def _existing_by_card(tx: Tx, cards: list[str]) -> dict[str, tuple[str, str, str, int, str, str]]:
    """Per known card: member id, name, the tier the import gave, opening points,
    birth date and join date."""
    select = (
        "SELECT card, member_id, name, base_tier, opening_balance, birth_date, joined_on "
        "FROM members WHERE {}"
    )
    return {
        str(card): (str(member_id), str(name), str(tier), int(opening), str(born), str(joined))
        for card, member_id, name, tier, opening, born, joined in rows_where_in(
            tx, select, "card", cards
        )
    }


def _revoked(tx: Tx, cards: list[str]) -> set[str]:
    select = "SELECT card FROM revoked_cards WHERE {}"
    return {str(row[0]) for row in rows_where_in(tx, select, "card", cards)}


def _existing_ids(tx: Tx, member_ids: list[str]) -> set[str]:
    select = "SELECT member_id FROM members WHERE {}"
    return {str(row[0]) for row in rows_where_in(tx, select, "member_id", member_ids)}


def _write_import(tx: Tx, created: list[ImportRow], updated: list[tuple[ImportRow, str]]) -> None:
    count = len(created) + len(updated)
    if not count:
        return
    change = tx.allocate("changes", count)
    today = datetime.now(UTC).date().isoformat()
    tx.executemany(
        "INSERT INTO members (member_id, card, name, tier, opening_balance, accounts, rewards, "
        "status, flagged, flag_reasons, change_no, base_tier, birth_date, joined_on) "
        "VALUES (?, ?, ?, ?, ?, ?, '[]', 'active', 0, '[]', ?, ?, ?, ?)",
        [
            (
                r.member_id,
                r.card,
                r.name,
                r.tier or members.DEFAULT_TIER,
                r.balance,
                members.encode_accounts({members.POINTS: r.balance}),
                change + i,
                r.tier or members.DEFAULT_TIER,
                r.birth_date,
                r.joined or today,
            )
            for i, r in enumerate(created)
        ],
    )
    base = change + len(created)
    select = "SELECT member_id, base_tier, joined_on FROM members WHERE {}"
    before = {
        str(m): (str(t), str(j))
        for m, t, j in rows_where_in(tx, select, "member_id", [m for _, m in updated])
    }
    tx.executemany(
        "UPDATE members SET name = ?, "
        "base_tier = CASE WHEN ? = '' THEN base_tier ELSE ? END, change_no = ?, "
        "birth_date = CASE WHEN ? = '' THEN birth_date ELSE ? END, "
        "joined_on = CASE WHEN ? = '' THEN joined_on ELSE ? END WHERE member_id = ?",
        [
            (r.name, *[r.tier] * 2, base + i, *[r.birth_date] * 2, *[r.joined] * 2, m)
            for i, (r, m) in enumerate(updated)
        ],
    )
    recount_tiers(  # the tier follows a new base tier or join date
        tx,
        [m for r, m in updated if (r.tier or before[m][0], r.joined or before[m][1]) != before[m]],
    )


def replace_card(db: Database, old: str, new: str) -> MemberState:
    """Give a member a new card; the old one is revoked (events on it are flagged)."""
    with db.write() as tx:
        return replace_card_in(tx, old, new)


def replace_card_in(tx: Tx, old: str, new: str) -> MemberState:
    """:func:`replace_card` within the caller's transaction."""
    try:
        new = validate_card_number(new)
    except InvalidCardNumber as exc:
        raise AdminError(f"New card {new!r}: {exc}") from None
    row = tx.one("SELECT member_id FROM members WHERE card = ?", (old,))
    if row is None:
        raise AdminError(f"No member has card {old}.")
    if tx.one("SELECT 1 FROM members WHERE card = ?", (new,)) or members.revoked_card_owner(
        tx, new
    ):
        raise AdminError(f"Card {new} is already in use or was revoked.")
    change = tx.allocate("changes", 2)
    tx.execute(
        "INSERT INTO revoked_cards (card, member_id, revoked_at, change_no) "
        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",  # blocked at a till before
        (old, row[0], utc_now_iso(), change),
    )
    tx.execute(
        "UPDATE members SET card = ?, change_no = ? WHERE member_id = ?",
        (new, change + 1, row[0]),
    )
    state = members.member_by_card(tx, new)
    assert state is not None
    return state

"""Personal offers and the birthday reward at a real ledger database, on SQLite and
PostgreSQL: ``offers import`` assigns offers from the programme's templates (all or
nothing, twice is once), a sale uses them and the earliest uses stand while later
ones are overuse with their exposure; the birthday reward is used once a year in its
window by tier, a second use is flagged. ``verify`` agrees after each."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ledger.errors import AdminError
from ledger.offers import derived_offer_id, import_offers
from ledger.settle import settle
from ledger.verify import verify
from loyalty.programme import AppliedReward, Line, snapshot_from_json
from loyalty.programme.basket import AppliedOffer
from tests.integration.ledger.ledger_rig import Rig, open_rig
from tests.integration.ledger.support import REPO_ROOT, fresh_card, run_admin

EXAMPLES = REPO_ROOT / "examples" / "programmes"


def document(name: str) -> dict[str, object]:
    return tomllib.loads((EXAMPLES / f"{name}.toml").read_text(encoding="utf-8"))


@pytest.fixture
def rig(fresh_db_url: str, tmp_path: Path) -> Iterator[Rig]:
    opened = open_rig(fresh_db_url, document("hm"), "2026-01-01T00:00", prefix="OF")
    opened.at("2026-03-02T12:00:00+00:00")
    opened.directory = tmp_path
    try:
        yield opened
    finally:
        opened.db.close()


def member_card(rig: Rig, extra: str = "", header: str = "card,name") -> str:
    card = fresh_card()
    rig.import_members(rig.directory, header, f"{card},Member{extra}")
    return card


def offers_file(rig: Rig, *rows: str) -> Path:
    assert rig.directory is not None
    path = rig.directory / "offers.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


JEANS = Line(1, "SKU-JEANS", "Jeans", 1, 5000, frozenset({"jeans"}))


def test_an_import_assigns_offers_the_member_holds_and_twice_is_once(rig: Rig):
    card = member_card(rig)
    path = offers_file(rig, "card,template,valid_from", f"{card},jeans-20,2026-03-01")
    report = import_offers(rig.db, path)
    assert (report.assigned, report.already, report.members) == (1, 0, 1)
    (offer,) = rig.member(card).offers
    member_id = rig.member(card).member_id
    assert offer.id == derived_offer_id(member_id, "jeans-20", "2026-03-01")
    assert (offer.template, offer.valid_from, offer.valid_until, offer.uses_left) == (
        "jeans-20",
        "2026-03-01",
        "2026-03-14",  # the template's 14 days
        1,
    )
    again = import_offers(rig.db, path)
    assert (again.assigned, again.already) == (0, 1)
    assert verify(rig.db).ok


def test_a_bad_offers_file_is_refused_whole_naming_each_bad_line(rig: Rig):
    card = member_card(rig)
    path = offers_file(
        rig,
        "card,template,valid_from,valid_until",
        f"{card},jeans-20,,",
        f"{card},socks-90,,",
        f"{fresh_card()},jeans-20,,",
        f"{card},jeans-20,2026-03-10,2026-03-01",
    )
    with pytest.raises(AdminError) as refused:
        import_offers(rig.db, path)
    message = refused.value.reason
    assert "offers.csv:3: the programme in force" in message and "'socks-90'" in message
    assert "offers.csv:4: no member has card" in message
    assert "offers.csv:5: valid_until 2026-03-01 is before 2026-03-10" in message
    assert rig.member(card).offers == []
    bad_date = offers_file(
        rig,
        "card,template,valid_from",
        f"{card},jeans-20,1.3.2026",
        f"{card},jeans-20,20260301",
        f"{card},jeans-20,9999-12-31",
    )
    result = run_admin(rig.url, "offers", "import", str(bad_date))
    assert result.returncode == 1
    assert "offers.csv:2: valid_from '1.3.2026' is not a date" in result.stderr
    assert "offers.csv:3: valid_from '20260301' is not a date" in result.stderr
    assert "offers.csv:4: valid_from 9999-12-31 is after 2099-12-31" in result.stderr
    other = member_card(rig)
    twice = offers_file(
        rig, "card,template,offer_id", f"{card},jeans-20,SPRING-1", f"{other},jeans-20,SPRING-1"
    )
    with pytest.raises(AdminError) as refused:
        import_offers(rig.db, twice)
    assert "offers.csv:3: offer SPRING-1 is also on line 2" in refused.value.reason
    assert rig.member(card).offers == rig.member(other).offers == []


def test_an_offer_that_ended_before_the_last_settle_run_is_never_held(rig: Rig):
    card = member_card(rig)
    settle(rig.db, date(2026, 3, 20))
    path = offers_file(rig, "card,template,valid_from", f"{card},jeans-20,2026-03-01")
    assert import_offers(rig.db, path, date(2026, 3, 1)).assigned == 1  # ran to 14 March
    assert rig.member(card).offers == []
    assert verify(rig.db).ok


def test_a_sale_uses_an_offer_and_a_second_use_elsewhere_is_the_overuse(rig: Rig):
    card = member_card(rig)
    import_offers(rig.db, offers_file(rig, "card,template", f"{card},jeans-20"), date(2026, 3, 1))
    (held,) = rig.member(card).offers
    offer = AppliedOffer(held.id, held.template)
    other = rig.other_till()
    rig.at("2026-03-04T15:00:00+00:00")
    other.at("2026-03-04T11:00:00+00:00")
    here = rig.sell(card, JEANS, offers=(offer,))
    there = other.sell(card, JEANS, offers=(offer,))
    assert here.get("offers_used") == [
        {"id": held.id, "template": "jeans-20", "discount_minor": 1000}
    ]
    rig.push(here)
    assert rig.member(card).offers == []  # its one use is gone
    other.push(there)
    assert rig.anomalies(card) == [("offer_overuse", here.event_id)]
    assert verify(rig.db).ok


def test_an_offer_of_another_member_or_out_of_its_days_is_flagged(rig: Rig):
    card, other = member_card(rig), member_card(rig)
    import_offers(
        rig.db,
        offers_file(rig, "card,template,valid_from", f"{other},jeans-20,2026-03-01"),
    )
    (held,) = rig.member(other).offers
    rig.push(rig.sell(card, JEANS, offers=(AppliedOffer(held.id, held.template),)))
    assert "offer_not_members" in rig.member(card).flag_reasons
    assert rig.member(other).offers == [held]  # the owner's offer is whole
    settle(rig.db, date(2026, 3, 3))
    assert rig.member(other).offers == [held] and verify(rig.db).ok
    rig.at("2026-04-20T12:00:00+00:00")
    rig.push(rig.sell(other, JEANS, offers=(AppliedOffer(held.id, held.template),)))
    assert "offer_expired" in rig.member(other).flag_reasons
    kinds = [kind for kind, _ in rig.anomalies(other)]
    assert kinds == ["offer_expired"]  # no overuse: another member's use took nothing
    assert verify(rig.db).ok


# --------------------------------------------------------------------------- birthday


@pytest.fixture
def starbucks(fresh_db_url: str, tmp_path: Path) -> Iterator[Rig]:
    opened = open_rig(fresh_db_url, document("starbucks"), "2026-01-01T00:00", prefix="SB")
    opened.directory = tmp_path
    try:
        yield opened
    finally:
        opened.db.close()


LATTE = Line(1, "SKU-LATTE", "Latte", 1, 550, frozenset({"handcrafted"}))


def birthday_sale(rig: Rig, card: str, tier: str, year: int = 2026) -> str:
    held = f"birthday-{year}"
    snapshot = snapshot_from_json(
        {"tier": tier, "rewards": [{"id": held, "reward": "birthday-treat"}]}
    )
    event = rig.sell(
        card, LATTE, snapshot=snapshot, rewards=(AppliedReward("birthday-treat", held),)
    )
    rig.push(event)
    return event.event_id


def test_the_birthday_treat_is_used_once_a_year_in_its_window(starbucks: Rig):
    card = member_card(starbucks, ",1990-05-17", "card,name,birth_date")
    assert starbucks.member(card).birthday == "05-17"
    starbucks.at("2026-05-17T09:00:00-07:00")
    birthday_sale(starbucks, card, "green")
    member = starbucks.member(card)
    assert member.birthday_claimed == 2026 and member.flag_reasons == []
    assert member.rewards == []  # the birthday instance is never a held reward
    starbucks.at("2026-05-17T15:00:00-07:00")
    second = birthday_sale(starbucks, card, "green")
    assert starbucks.anomalies(card) == [("birthday_overuse", second)]
    assert verify(starbucks.db).ok


def test_the_window_is_longer_for_higher_tiers_and_outside_it_the_use_is_flagged(
    starbucks: Rig,
):
    gold, green = (member_card(starbucks, ",1990-05-17", "card,name,birth_date") for _ in "ab")
    starbucks.at("2026-05-22T09:00:00-07:00")
    birthday_sale(starbucks, gold, "gold")
    assert starbucks.anomalies(gold) == []
    late = birthday_sale(starbucks, green, "green")
    assert starbucks.anomalies(green) == [("birthday_not_due", late)]
    unknown = member_card(starbucks)
    birthday_sale(starbucks, unknown, "gold")
    assert "birthday_not_due" in starbucks.member(unknown).flag_reasons
    assert verify(starbucks.db).ok


def test_another_members_use_of_a_three_use_offer_leaves_the_owners_uses_standing(
    fresh_db_url: str, tmp_path: Path
):
    doc = document("hm")
    for template in doc["offer_templates"]:  # type: ignore[attr-defined]
        if template["id"] == "jeans-20":
            template["uses"] = 3
    rig = open_rig(fresh_db_url, doc, "2026-01-01T00:00", prefix="OF")
    rig.directory = tmp_path
    try:
        rig.at("2026-03-02T12:00:00+00:00")
        owner, other = member_card(rig), member_card(rig)
        offers = offers_file(rig, "card,template", f"{owner},jeans-20")
        import_offers(rig.db, offers, date(2026, 3, 1))
        (held,) = rig.member(owner).offers
        offer = AppliedOffer(held.id, held.template)
        for day in (3, 4):
            rig.at(f"2026-03-0{day}T12:00:00+00:00")
            rig.push(rig.sell(owner, JEANS, offers=(offer,)))
        rig.at("2026-03-05T12:00:00+00:00")
        rig.push(rig.sell(other, JEANS, offers=(offer,)))  # flagged on its own sale
        assert rig.anomalies(owner) == []
        assert rig.member(owner).offers[0].uses_left == 1
        assert verify(rig.db).ok
    finally:
        rig.db.close()

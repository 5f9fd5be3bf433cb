"""Time in the programme's zone: windows across the DST changes, version starts at local
midnight, and stale versions (Europe/Oslo, 2026: clocks go forward on 29 March at
02:00, back on 25 October at 03:00)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.programme import (
    ProgrammeError,
    ProgrammeVersion,
    evaluate,
    parse_programme,
    time_facts,
    version_in_force,
)
from loyalty.programme.default import simple_programme_document
from loyalty.programme.versions import local_start, stale_use
from tests.unit.programme.helpers import basket, item, programme

OSLO = "Europe/Oslo"


def rule(wallet: str, **when: Any) -> dict[str, Any]:
    return {"id": wallet, "kind": "earn_rate", "wallet": wallet, "rate": "1", "when": when}


WINDOWS = programme(
    rule("always"),
    rule("sunday", weekdays=["sun"]),
    rule("saturday", weekdays=["sat"]),
    rule("early", time={"from": "01:00", "until": "02:00"}),
    rule("small_hours", time={"from": "02:00", "until": "03:00"}),
    rule("morning", time={"from": "03:00", "until": "04:00"}),
    rule("night", time={"from": "23:00", "until": "02:30"}),
    wallets=[
        {"id": w}
        for w in ("always", "sunday", "saturday", "early", "small_hours", "morning", "night")
    ],
)
"""One wallet per window, so an outcome shows which windows held."""


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


DST_INSTANTS = [
    # spring forward: 01:59:59 CET is followed by 03:00:00 CEST
    pytest.param("2026-03-29T00:30:00+00:00", {"sunday", "early", "night"}, id="spring 01:30 CET"),
    pytest.param(
        "2026-03-29T00:59:59+00:00", {"sunday", "early", "night"}, id="spring 01:59:59 CET"
    ),
    pytest.param("2026-03-29T01:00:00+00:00", {"sunday", "morning"}, id="spring 03:00 CEST"),
    pytest.param("2026-03-29T01:30:00+00:00", {"sunday", "morning"}, id="spring 03:30 CEST"),
    pytest.param("2026-03-28T22:59:59+00:00", {"saturday", "night"}, id="spring eve 23:59:59 CET"),
    pytest.param("2026-03-28T23:00:00+00:00", {"sunday", "night"}, id="spring 00:00 CET"),
    # fall back: 02:59:59 CEST is followed by 02:00:00 CET
    pytest.param(
        "2026-10-25T00:30:00+00:00", {"sunday", "small_hours"}, id="autumn 02:30 CEST (first)"
    ),
    pytest.param("2026-10-25T00:59:59+00:00", {"sunday", "small_hours"}, id="autumn 02:59:59 CEST"),
    pytest.param(
        "2026-10-25T01:00:00+00:00", {"sunday", "small_hours", "night"}, id="autumn 02:00 CET"
    ),
    pytest.param(
        "2026-10-25T01:30:00+00:00", {"sunday", "small_hours"}, id="autumn 02:30 CET (second)"
    ),
    pytest.param("2026-10-25T02:00:00+00:00", {"sunday", "morning"}, id="autumn 03:00 CET"),
    pytest.param("2026-10-24T23:30:00+00:00", {"sunday", "early", "night"}, id="autumn 01:30 CEST"),
]

OFFSETS = [timedelta(hours=h) for h in (0, 1, 2, -5, 9)]


@pytest.mark.parametrize(("utc", "held"), DST_INSTANTS)
def test_windows_across_dst_hold_by_oslo_wall_time_whatever_offset_the_till_wrote(
    utc: str, held: set[str]
):
    moment = instant(utc)
    outcomes = []
    for offset in OFFSETS:
        written = moment.astimezone(timezone(offset)).isoformat()
        outcomes.append(evaluate(WINDOWS, basket(item(10000), at=written)))
    assert {o.outcome_hash for o in outcomes} == {outcomes[0].outcome_hash}
    earned = {wallet for wallet, points in outcomes[0].wallets.items() if points}
    assert earned == held | {"always"}


def test_the_skipped_spring_hour_matches_no_window_inside_it():
    """Every second of 29 March 2026 in Oslo: the 02:00-03:00 window never holds."""
    start = instant("2026-03-28T23:00:00+00:00")
    for minutes in range(0, 23 * 60, 10):
        at = (start + timedelta(minutes=minutes)).isoformat()
        assert evaluate(WINDOWS, basket(item(10000), at=at)).wallets["small_hours"] == 0


def test_the_repeated_autumn_hour_holds_twice():
    start = instant("2026-10-24T22:00:00+00:00")  # 00:00 CEST on 25 October
    held = 0
    for minutes in range(0, 25 * 60, 10):
        at = (start + timedelta(minutes=minutes)).isoformat()
        held += evaluate(WINDOWS, basket(item(10000), at=at)).wallets["small_hours"] > 0
    assert held == 12  # two real hours, in steps of 10 minutes


# --------------------------------------------------------------------------- local_start

LOCAL_STARTS = [
    pytest.param("2026-03-29T00:00", "2026-03-28T23:00:00+00:00", id="midnight before the change"),
    pytest.param("2026-03-29T01:59", "2026-03-29T00:59:00+00:00", id="last minute of CET"),
    pytest.param("2026-03-29T03:00", "2026-03-29T01:00:00+00:00", id="first minute of CEST"),
    pytest.param("2026-10-25T00:00", "2026-10-24T22:00:00+00:00", id="autumn midnight (CEST)"),
    pytest.param("2026-10-25T03:00", "2026-10-25T02:00:00+00:00", id="after the change (CET)"),
]


def test_a_local_start_in_the_repeated_autumn_hour_is_refused_as_ambiguous():
    with pytest.raises(ProgrammeError, match="happens twice in Europe/Oslo"):
        local_start("2026-10-25T02:30", OSLO)


@pytest.mark.parametrize(("local", "utc"), LOCAL_STARTS)
def test_a_local_start_is_an_instant_in_the_programme_zone(local: str, utc: str):
    # Compared in UTC: Python never finds a time in a repeated hour equal (==) to a
    # time in another zone (PEP 495), though ordering works.
    start = local_start(local, OSLO)
    assert start.astimezone(UTC) == instant(utc)
    assert start.replace(tzinfo=None).isoformat(timespec="minutes") == local


@pytest.mark.parametrize("local", ["2026-03-29T02:00", "2026-03-29T02:30", "2026-03-29T02:59"])
def test_a_local_start_inside_the_spring_gap_is_refused(local: str):
    with pytest.raises(ProgrammeError, match="does not exist in Europe/Oslo"):
        local_start(local, OSLO)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("2026-12-01T00:00+01:00", "without an offset"), ("1 December", "not a local time")],
)
def test_a_local_start_must_be_a_local_time(text: str, problem: str):
    with pytest.raises(ProgrammeError, match=problem):
        local_start(text, OSLO)


# --------------------------------------------------------------------------- versions


def published(version: int, start: str, **settings: Any) -> ProgrammeVersion:
    accept = settings.pop("accept_previous_hours", 0)
    document = simple_programme_document(timezone=OSLO, **settings)
    document["offline"]["accept_previous_hours"] = accept
    prog = parse_programme(document, f"v{version}")
    return ProgrammeVersion(version, local_start(start, OSLO), prog)


V1 = published(1, "2026-01-01T00:00")
V2 = published(2, "2026-03-29T00:00", points_per_unit=2, accept_previous_hours=2)
V3 = published(3, "2026-10-25T00:00", points_per_unit=3)
VERSIONS = [V3, V1, V2]  # the order a till holds them in does not matter

IN_FORCE = [
    pytest.param("2025-12-31T23:59:59+01:00", None, id="before the first version"),
    pytest.param("2026-01-01T00:00:00+01:00", 1, id="the first version from its start"),
    pytest.param("2026-03-28T23:59:59+01:00", 1, id="one second before the campaign"),
    pytest.param("2026-03-29T00:00:00+01:00", 2, id="campaign at local midnight"),
    pytest.param("2026-03-28T23:00:00+00:00", 2, id="the same midnight written in UTC"),
    pytest.param("2026-03-28T22:59:59+00:00", 1, id="one second before, in UTC"),
    pytest.param("2026-03-29T00:59:59+02:00", 1, id="one second before, written as CEST"),
    pytest.param("2026-10-24T23:59:59+02:00", 2, id="before autumn midnight (CEST)"),
    pytest.param("2026-10-25T00:00:00+02:00", 3, id="autumn midnight (CEST)"),
    pytest.param("2026-10-24T22:00:00+00:00", 3, id="autumn midnight written in UTC"),
    pytest.param("2026-10-24T23:00:00+01:00", 3, id="autumn midnight written in CET"),
]


@pytest.mark.parametrize(("at", "expected"), IN_FORCE)
def test_the_version_in_force_at_a_business_time(at: str, expected: int | None):
    found = version_in_force(VERSIONS, datetime.fromisoformat(at))
    assert (found.version if found else None) == expected


def test_a_later_publication_with_the_same_start_wins():
    again = ProgrammeVersion(4, V2.effective_from, V1.programme)
    found = version_in_force([again, V1, V2], V2.effective_from)
    assert found is not None and found.version == 4


def test_a_campaign_starting_at_midnight_starts_on_an_offline_till():
    """The till holds both versions and picks by business time alone."""
    points = []
    for at in ("2026-03-28T23:59:59+01:00", "2026-03-29T00:00:00+01:00"):
        sale = basket(item(10000), at=at)
        version = version_in_force(VERSIONS, sale.at)
        assert version is not None
        points.append(evaluate(version.programme, sale, version=version.version).wallets)
    assert points == [{"points": 100}, {"points": 200}]


def at_hours(version: ProgrammeVersion, hours: float) -> datetime:
    return version.effective_from + timedelta(hours=hours)


STALE = [
    pytest.param(2, V2.content_hash, at_hours(V2, 5), False, id="the version in force"),
    pytest.param(1, V1.content_hash, at_hours(V2, -1), False, id="the old one before the new"),
    pytest.param(1, V1.content_hash, at_hours(V2, 1), False, id="old one within grace (2 h)"),
    pytest.param(1, V1.content_hash, at_hours(V2, 1.99), False, id="just within grace"),
    pytest.param(1, V1.content_hash, at_hours(V2, 2), True, id="old one at the end of grace"),
    pytest.param(1, V1.content_hash, at_hours(V2, 30), True, id="old one a day later"),
    pytest.param(2, V2.content_hash, at_hours(V3, 0), True, id="no grace when none is given"),
    pytest.param(1, V1.content_hash, at_hours(V3, 0.5), True, id="two versions back"),
    pytest.param(3, V3.content_hash, at_hours(V3, -1), True, id="a version before its start"),
    pytest.param(0, V2.content_hash, at_hours(V2, 30), False, id="version 0 with its content"),
    pytest.param(0, V1.content_hash, at_hours(V2, 30), True, id="version 0 with other content"),
    pytest.param(0, "f" * 64, at_hours(V1, -1), False, id="before any version"),
]


@pytest.mark.parametrize(("used", "used_hash", "at", "stale"), STALE)
def test_stale_version_findings(used: int, used_hash: str, at: datetime, stale: bool):
    finding = stale_use(VERSIONS, used, used_hash, at)
    assert (finding is not None) is stale
    if finding is not None:
        in_force = version_in_force(VERSIONS, at)
        assert in_force is not None
        assert f"but version {in_force.version} was in force from" in finding
        what = "the till's own configured programme" if used == 0 else f"version {used}"
        assert f"used {what}" in finding


def test_a_version_is_published_with_its_local_start():
    assert V2.effective_from_local == "2026-03-29T00:00"
    assert V2.effective_from.utcoffset() == timedelta(hours=1)
    assert V3.effective_from.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    ("start", "grace", "real_hours", "stale"),
    [
        pytest.param("2026-03-29T00:00", 3, 2.5, False, id="spring: 2.5 h into a 3 h grace"),
        pytest.param("2026-10-25T00:00", 4, 4.5, True, id="autumn: 4.5 h after a 4 h grace"),
    ],
)
def test_the_grace_for_the_previous_version_is_in_real_hours(
    start: str, grace: int, real_hours: float, stale: bool
):
    new = published(2, start, points_per_unit=2, accept_previous_hours=grace)
    at = new.effective_from.astimezone(UTC) + timedelta(hours=real_hours)
    assert (stale_use([V1, new], 1, V1.content_hash, at) is not None) is stale


TIMED = programme(
    rule("always"),
    rule("saturday", weekdays=["sat"]),
    rule("night", time={"from": "23:00", "until": "02:30"}),
    rule("easter", dates={"from": "2026-03-29", "until": "2026-04-06"}),
    rule(
        "easter_mornings",
        dates={"from": "2026-03-29", "until": "2026-04-06"},
        time={"from": "06:00", "until": "10:00"},
    ),
    wallets=[{"id": w} for w in ("always", "saturday", "night", "easter", "easter_mornings")],
)
"""One wallet per time condition, so two outcomes are equal exactly when the same
conditions held."""

AROUND_EASTER = st.datetimes(
    min_value=datetime(2026, 3, 26), max_value=datetime(2026, 4, 8), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(
    first=AROUND_EASTER, later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=30))
)
def test_time_facts_are_all_an_evaluation_reads_of_the_business_time(
    first: datetime, later: timedelta
):
    second = first + later
    outcomes = [evaluate(TIMED, basket(item(10000), at=at.isoformat())) for at in (first, second)]
    same_facts = time_facts(TIMED, first) == time_facts(TIMED, second)
    assert same_facts == (outcomes[0] == outcomes[1])
    assert same_facts == (outcomes[0].outcome_hash == outcomes[1].outcome_hash)


def test_time_facts_change_at_local_midnight_and_with_the_clocks():
    friday_late = datetime.fromisoformat("2026-03-27T23:59:59+01:00")
    saturday = datetime.fromisoformat("2026-03-28T00:00:00+01:00")
    assert time_facts(TIMED, friday_late) != time_facts(TIMED, saturday)
    assert time_facts(TIMED, saturday) == time_facts(TIMED, saturday + timedelta(minutes=30))
    # 02:00 on 29 March does not exist in Oslo: 01:59:59 CET is followed by 03:00 CEST,
    # so the night window (until 02:30) ends at that instant.
    before = datetime.fromisoformat("2026-03-29T01:59:59+01:00")
    assert time_facts(TIMED, before)[1] is True
    assert time_facts(TIMED, before + timedelta(seconds=1))[1] is False
    assert time_facts(programme(rule("always"), wallets=[{"id": "always"}]), before) == ()

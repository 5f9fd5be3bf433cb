"""``pos-ledger rules simulate FILE --since DATE``: what a candidate version would have
given the sales and refunds the ledger recorded, per member, without writing anything.

Sales and refunds are made by a real till and synced; the candidate is a copy of the
default programme (version 1) with another earn rate.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger import simulate as simulate_module
from ledger.cli import main
from loyalty.programme import BasketError
from loyalty.programme.default import simple_programme_document
from tests.integration.ledger.support import LedgerHandle, run_admin
from tests.integration.sync.rig import LedgerUnderTest, TillRig


def toml_of(document: Mapping[str, Any]) -> str:
    """The TOML text of a programme document made of tables, arrays of tables and
    scalar values (enough for the default programme)."""

    def value(item: Any) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, int):
            return str(item)
        if isinstance(item, str):
            return json.dumps(item)
        if isinstance(item, list):
            return "[" + ", ".join(value(i) for i in item) + "]"
        raise TypeError(f"no TOML for {item!r}")

    def table(header: str, body: Mapping[str, Any]) -> str:
        return "\n".join([header, *(f"{k} = {value(v)}" for k, v in body.items())]) + "\n"

    parts = []
    for name, body in document.items():
        if isinstance(body, list):
            parts += [table(f"[[{name}]]", entry) for entry in body]
        else:
            parts.append(table(f"[{name}]", body))
    return "\n".join(parts)


def candidate(tmp_path: Path, rate: str) -> Path:
    """The default programme with ``rate`` points per krone, as a document file."""
    document = simple_programme_document()
    document["rules"][0]["rate"] = rate
    path = tmp_path / f"points-rate-{rate}.toml"
    path.write_text(toml_of(document), encoding="utf-8")
    return path


def ledger_state(ledger: LedgerUnderTest) -> list[list[tuple[object, ...]]]:
    """Everything simulate could write to."""
    with ledger.db.snapshot() as tx:
        return [
            tx.query("SELECT name, value FROM counters ORDER BY name"),
            tx.query("SELECT event_id, ledger_seq, flags FROM events ORDER BY ledger_seq"),
            tx.query("SELECT kind, event_id FROM anomalies ORDER BY kind, event_id"),
            tx.query("SELECT member_id, accounts, change_no FROM members ORDER BY member_id"),
            tx.query("SELECT version, content_hash FROM programme_versions ORDER BY version"),
        ]


@pytest.fixture
def ledger_under_test(ledger: LedgerHandle, tmp_path: Path) -> Iterator[LedgerUnderTest]:
    under_test = LedgerUnderTest(ledger, tmp_path)
    try:
        yield under_test
    finally:
        under_test.close()


@pytest.fixture
def rig(ledger_under_test: LedgerUnderTest, tmp_path: Path) -> Iterator[TillRig]:
    till = TillRig.new(ledger_under_test, tmp_path)
    try:
        till.sync_until_settled()
        yield till
    finally:
        till.close()


def test_simulate_prints_what_a_candidate_rate_changes_per_member_and_writes_nothing(
    ledger_under_test: LedgerUnderTest, rig: TillRig, tmp_path: Path
) -> None:
    since = datetime.now(UTC).date().isoformat()
    ada, bo, cy = ledger_under_test.add_members(500, 200, 0)
    till = rig.till
    # Ada: 150.50 sold (150 points), then the 50.50 line back (−50).
    till.scan(ada)
    till.add_amount("100.00", name="Boots")
    till.add_amount("50.50", name="Laces")
    sale = till.finish_sale()
    till.refund(sale.receipt_no, {2: 1})
    # Bo: 80.00 with 100 points as 10.00 off: +70 −100.
    till.scan(bo)
    till.add_amount("80.00", name="Hat")
    till.set_redeem(100)
    till.finish_sale()
    # Cy: a sale refunded in full nets to nothing either way.
    till.scan(cy)
    till.add_amount("42.00", name="Umbrella")
    returned = till.finish_sale()
    till.refund(returned.receipt_no)
    rig.sync_until_settled()
    ids = {card: ledger_under_test.member(card).member_id for card in (ada, bo, cy)}
    before = ledger_state(ledger_under_test)

    doubled = candidate(tmp_path, "2")
    as_json = run_admin(
        ledger_under_test.db_url, "rules", "simulate", str(doubled), "--since", since, "--json"
    )
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["since"] == since
    assert report["sales"] >= 3 and report["refunds"] >= 2
    members = {m["member_id"]: m["accounts"] for m in report["members"]}
    assert members[ids[ada]] == {"points": {"recorded": 100, "candidate": 200, "difference": 100}}
    assert members[ids[bo]] == {"points": {"recorded": -30, "candidate": 40, "difference": 70}}
    assert ids[cy] not in members  # refunded in full: no difference to show

    text = run_admin(ledger_under_test.db_url, "rules", "simulate", str(doubled), "--since", since)
    assert text.returncode == 0, text.stderr
    assert f"sales and {report['refunds']} refunds since {since}:" in text.stdout
    assert f"  {ids[ada]}: points 100 -> 200 (+100)" in text.stdout.splitlines()
    assert f"  {ids[bo]}: points -30 -> 40 (+70)" in text.stdout.splitlines()

    assert ledger_state(ledger_under_test) == before  # nothing written
    assert ledger_under_test.balance(ada) == 600 and ledger_under_test.balance(bo) == 170


def test_simulate_with_the_programme_in_force_finds_no_difference(
    ledger_under_test: LedgerUnderTest, rig: TillRig, tmp_path: Path
) -> None:
    since = datetime.now(UTC).date().isoformat()
    (card,) = ledger_under_test.add_members(0)
    rig.till.scan(card)
    rig.till.add_amount("99.90", name="Kettle")
    sale = rig.till.finish_sale()
    rig.till.refund(sale.receipt_no, {1: 1})
    rig.sync_until_settled()
    same = run_admin(
        ledger_under_test.db_url,
        "rules",
        "simulate",
        str(candidate(tmp_path, "1")),
        "--since",
        since,
        "--json",
    )
    assert same.returncode == 0, same.stderr
    member_id = ledger_under_test.member(card).member_id
    assert member_id not in {m["member_id"] for m in json.loads(same.stdout)["members"]}


def test_simulate_lists_events_it_cannot_evaluate_and_leaves_them_out_of_both_columns(
    ledger_under_test: LedgerUnderTest,
    rig: TillRig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    since = datetime.now(UTC).date().isoformat()
    readable, unreadable = ledger_under_test.add_members(0, 0)
    rig.till.scan(readable)
    rig.till.add_amount("10.00", name="Pen")
    rig.till.finish_sale()
    rig.till.scan(unreadable)
    rig.till.add_amount("20.00", name="Odd thing")
    odd = rig.till.finish_sale()
    rig.till.refund(odd.receipt_no)
    rig.sync_until_settled()
    ids = {card: ledger_under_test.member(card).member_id for card in (readable, unreadable)}

    # The ledger refuses unreadable baskets at the door (malformed), so no stored sale
    # fails to evaluate today; a candidate that cannot evaluate one is stood in for by
    # making the engine refuse the basket with the odd line.
    real = simulate_module.evaluate

    def evaluate(programme: Any, basket: Any, *args: Any, **kwargs: Any) -> Any:
        if any(line.name == "Odd thing" for line in basket.lines):
            raise BasketError("the candidate cannot read this basket")
        return real(programme, basket, *args, **kwargs)

    doubled = candidate(tmp_path, "2")
    args = ["rules", "simulate", str(doubled), "--since", since, "--db", ledger_under_test.db_url]
    assert main([*args, "--json"]) == 0
    everything = json.loads(capsys.readouterr().out)  # other tests' sales too
    monkeypatch.setattr(simulate_module, "evaluate", evaluate)
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    counted = (report["sales"], report["refunds"])
    assert counted == (everything["sales"] - 1, everything["refunds"] - 1)  # only evaluated
    (line,) = [n for n in report["not_evaluated"] if odd.event_id in n]
    assert line == f"event {odd.event_id}: the candidate cannot read this basket"
    members = {m["member_id"]: m["accounts"] for m in report["members"]}
    assert members[ids[readable]]["points"] == {"recorded": 10, "candidate": 20, "difference": 10}
    assert ids[unreadable] not in members  # neither the sale nor its refund counts

    assert main(args) == 0
    assert f"  not evaluated: event {odd.event_id}: the candidate cannot read" in (
        capsys.readouterr().out
    )


def test_simulate_leaves_out_refunds_of_sales_made_before_the_date(
    ledger_under_test: LedgerUnderTest, rig: TillRig, tmp_path: Path
) -> None:
    today = datetime.now(UTC)
    (card,) = ledger_under_test.add_members(0)
    rig.till.clock = lambda: (today - timedelta(days=1)).astimezone()
    rig.till.scan(card)
    rig.till.add_amount("30.00", name="Yesterday's lamp")
    sale = rig.till.finish_sale()
    rig.till.clock = lambda: datetime.now().astimezone()
    rig.till.refund(sale.receipt_no)  # today
    rig.sync_until_settled()
    report = run_admin(
        ledger_under_test.db_url,
        "rules",
        "simulate",
        str(candidate(tmp_path, "2")),
        "--since",
        today.date().isoformat(),
        "--json",
    )
    assert report.returncode == 0, report.stderr
    member_id = ledger_under_test.member(card).member_id
    assert member_id not in {m["member_id"] for m in json.loads(report.stdout)["members"]}
    assert not [n for n in json.loads(report.stdout)["not_evaluated"] if sale.event_id in n]


def test_simulate_refuses_a_since_that_is_not_a_date(
    ledger_under_test: LedgerUnderTest, tmp_path: Path
) -> None:
    refused = run_admin(
        ledger_under_test.db_url,
        "rules",
        "simulate",
        str(candidate(tmp_path, "2")),
        "--since",
        "last week",
    )
    assert refused.returncode == 1
    assert "--since 'last week' is not a date like 2026-11-01." in refused.stderr

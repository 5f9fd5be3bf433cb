"""``pos-ledger staff`` and ``pos-ledger anomalies``, run as subprocesses: PINs shown
once and stored hashed, staff in the changes feed, anomalies resolved and audited;
bad input gets a clear error and changes nothing."""

from __future__ import annotations

import json

from ledger.cli import open_ledger
from ledger.feed import read_changes
from ledger.service import push
from ledger.terminals import add_terminal
from loyalty.staff import pin_matches
from tests.integration.ledger.support import EventChain, fresh_card, run_admin
from tests.integration.ledger.support import query_db as _sql


def _staff_changes(db_url: str, *, first: bool = False) -> list[dict[str, object]]:
    """The staff changes a new terminal's first pull gets (``first``: add it now)."""
    db, ledger_id = open_ledger(db_url)
    try:
        if first:
            with db.write() as tx:
                add_terminal(tx, "FEED-T")
        with db.snapshot() as tx:
            page = read_changes(tx, ledger_id, "FEED-T", None, 1000)
    finally:
        db.close()
    return [c.model_dump() for c in page.changes if c.type == "staff"]


def test_staff_add_shows_a_made_pin_once_and_stores_only_its_hash(fresh_db_url: str) -> None:
    added = run_admin(
        fresh_db_url,
        "staff",
        "add",
        "C01",
        "--name",
        "Cas",
        "--role",
        "cashier",
        "--store",
        "S01",
        "--badge",
        "B-77",
    )
    assert added.returncode == 0, added.stderr
    pin = added.stdout.strip()
    assert len(pin) == 6 and pin.isdigit() and "only once" in added.stderr
    (stored,) = _sql(fresh_db_url, "SELECT pin_hash, stores, badge, role FROM staff")
    assert pin_matches(str(stored[0]), pin) and pin not in json.dumps(stored)
    assert stored[1:] == ('["S01"]', "B-77", "cashier")
    read = run_admin(
        fresh_db_url,
        "staff",
        "add",
        "M01",
        "--name",
        "Mia",
        "--role",
        "manager",
        "--pin-stdin",
        stdin="8765\n",
    )
    assert read.returncode == 0 and "8765" not in read.stdout + read.stderr
    (hashed,) = _sql(fresh_db_url, "SELECT pin_hash FROM staff WHERE staff_id = 'M01'")
    assert pin_matches(str(hashed[0]), "8765")
    listing = run_admin(fresh_db_url, "staff", "list").stdout.splitlines()
    assert [line.split("\t")[:3] for line in listing] == [
        ["C01", "cashier", "active"],
        ["M01", "manager", "active"],
    ]


def test_staff_changes_travel_in_the_feed(fresh_db_url: str) -> None:
    run_admin(fresh_db_url, "staff", "add", "C01", "--name", "Cas", "--role", "cashier")
    first = _staff_changes(fresh_db_url, first=True)
    assert [(c["staff_id"], c["role"], c["active"]) for c in first] == [("C01", "cashier", True)]
    assert run_admin(fresh_db_url, "staff", "role", "C01", "manager").returncode == 0
    reset = run_admin(fresh_db_url, "staff", "reset-pin", "C01", "--pin-stdin", stdin="2468\n")
    assert reset.returncode == 0, reset.stderr
    assert run_admin(fresh_db_url, "staff", "disable", "C01").returncode == 0
    (change,) = _staff_changes(fresh_db_url)
    assert (change["role"], change["active"]) == ("manager", False)
    assert pin_matches(str(change["pin_hash"]), "2468")
    assert int(str(change["change"])) > int(str(first[0]["change"]))


def test_bad_staff_input_gets_a_clear_error_and_records_nothing(fresh_db_url: str) -> None:
    base = ("staff", "add")
    cases = [
        ((*base, "bad id!", "--name", "X", "--role", "cashier"), "staff number"),
        ((*base, "C02", "--name", "X", "--role", "boss"), "role"),
        ((*base, "C02", "--name", "  ", "--role", "cashier"), "name"),
    ]
    for args, words in cases:
        refused = run_admin(fresh_db_url, *args)
        assert refused.returncode == 1 and words in refused.stderr, refused.stderr
    new = (*base, "C02", "--name", "X", "--role", "cashier", "--pin-stdin")
    short = run_admin(fresh_db_url, *new, stdin="12\n")
    assert short.returncode == 1 and "PIN" in short.stderr
    empty = run_admin(fresh_db_url, *new, stdin="\n")
    assert empty.returncode == 1 and "PIN" in empty.stderr
    assert _sql(fresh_db_url, "SELECT staff_id FROM staff") == []
    run_admin(fresh_db_url, *base, "C01", "--name", "Cas", "--role", "cashier")
    again = run_admin(fresh_db_url, *base, "C01", "--name", "Cas", "--role", "cashier")
    assert again.returncode == 1 and "already taken" in again.stderr
    for args in (("role", "NOBODY", "manager"), ("reset-pin", "NOBODY"), ("disable", "NOBODY")):
        unknown = run_admin(fresh_db_url, "staff", *args)
        assert unknown.returncode == 1 and "No staff member" in unknown.stderr
    wrong_role = run_admin(fresh_db_url, "staff", "role", "C01", "owner")
    assert wrong_role.returncode == 1 and "role" in wrong_role.stderr
    assert _sql(fresh_db_url, "SELECT staff_id, role, active FROM staff") == [("C01", "cashier", 1)]


def test_anomalies_are_listed_resolved_once_and_audited(fresh_db_url: str) -> None:
    db, _ = open_ledger(fresh_db_url)
    try:
        with db.write() as tx:
            add_terminal(tx, "S01-T1")
        chain = EventChain("S01-T1")
        card = fresh_card()
        events = [chain.earn(card, 1000), chain.redeem(card, 50), chain.adjust(card, 5000)]
        push(db, "S01-T1", [e.to_dict() for e in events])
    finally:
        db.close()
    listed = json.loads(run_admin(fresh_db_url, "anomalies", "--json").stdout)
    kinds = {a["kind"] for a in listed}
    assert {"overdraft", "large_adjustment", "approval_unverified"} <= kinds
    large = run_admin(fresh_db_url, "anomalies", "--kind", "large_adjustment").stdout.splitlines()
    assert len(large) == 1
    short_id = large[0].split("\t")[0]
    resolved = run_admin(
        fresh_db_url, "anomalies", "resolve", short_id, "--reason", "checked", "--by", "Mia"
    )
    assert resolved.returncode == 0, resolved.stderr
    still_open = json.loads(run_admin(fresh_db_url, "anomalies", "--json").stdout)
    assert short_id not in [a["anomaly_id"] for a in still_open]
    every = json.loads(run_admin(fresh_db_url, "anomalies", "--all", "--json").stdout)
    kept = next(a for a in every if a["anomaly_id"] == short_id)
    assert (kept["resolved_by"], kept["resolution"]) == ("Mia", "checked")
    twice = run_admin(fresh_db_url, "anomalies", "resolve", short_id, "--reason", "again")
    assert twice.returncode == 1 and "already resolved" in twice.stderr
    unknown = run_admin(fresh_db_url, "anomalies", "resolve", "nope", "--reason", "x")
    assert unknown.returncode == 1 and "No anomaly" in unknown.stderr
    blank = run_admin(
        fresh_db_url, "anomalies", "resolve", listed[0]["anomaly_id"], "--reason", " "
    )
    assert blank.returncode == 1 and "reason" in blank.stderr
    audit = _sql(fresh_db_url, "SELECT actor, action, subject FROM audit")
    assert audit == [("Mia", "anomaly.resolve", short_id)]

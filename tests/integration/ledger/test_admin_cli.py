"""The admin CLI, run as a subprocess: terminals, member import, cards, rules, verify."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ledger.cli import open_ledger
from ledger.service import push
from ledger.terminals import add_terminal
from tests.integration.ledger.support import EventChain, fresh_card, run_admin
from tests.integration.ledger.support import query_db as _sql

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "programmes"


def _write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_terminal_add_prints_the_token_once_and_stores_only_its_hash(fresh_db_url: str) -> None:
    added = run_admin(fresh_db_url, "terminal", "add", "S01-T1")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert token.startswith("plt_") and "only once" in added.stderr
    stored = _sql(fresh_db_url, "SELECT token_sha256 FROM terminals WHERE terminal_id = 'S01-T1'")
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(),)]
    assert token not in json.dumps(_sql(fresh_db_url, "SELECT * FROM terminals"))
    again = run_admin(fresh_db_url, "terminal", "add", "S01-T1")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_terminal_list_and_revoke(fresh_db_url: str) -> None:
    run_admin(fresh_db_url, "terminal", "add", "S01-T1")
    run_admin(fresh_db_url, "terminal", "add", "S01-T2")
    assert run_admin(fresh_db_url, "terminal", "revoke", "S01-T2").returncode == 0
    listing = run_admin(fresh_db_url, "terminal", "list").stdout.splitlines()
    assert listing[0].split("\t")[:2] == ["S01-T1", "active"]
    assert listing[1].startswith("S01-T2\trevoked")
    assert run_admin(fresh_db_url, "terminal", "revoke", "nobody").returncode == 1


def test_members_import_is_idempotent_and_keeps_balances(fresh_db_url: str, tmp_path: Path) -> None:
    ada, bo = fresh_card(), fresh_card()
    members = _write_csv(
        tmp_path / "m.csv", ["card,name,tier,balance", f"{ada},Ada,gold,500", f"{bo},Bo,,0"]
    )
    first = run_admin(fresh_db_url, "members", "import", str(members))
    assert first.returncode == 0 and "2 created" in first.stdout
    _write_csv(members, ["card,name,tier,balance", f"{ada},Ada L.,gold,900", f"{bo},Bo,,0"])
    second = run_admin(fresh_db_url, "members", "import", str(members))
    assert "0 created, 1 updated, 1 unchanged" in second.stdout
    shown = json.loads(run_admin(fresh_db_url, "member", "show", ada).stdout)["member"]
    assert (shown["name"], shown["tier"], shown["balance"]) == ("Ada L.", "gold", 500)


def test_a_bad_members_file_names_each_bad_line_and_imports_nothing(
    fresh_db_url: str, tmp_path: Path
) -> None:
    good = fresh_card()
    bad_check_digit = good[:-1] + str((int(good[-1]) + 1) % 10)
    members = _write_csv(
        tmp_path / "bad.csv",
        [
            "card,name,balance",
            f"{good},Ada,10",
            f"{bad_check_digit},Bo,0",
            f"{fresh_card()},,0",
            f"{fresh_card()},Cy,ten",
        ],
    )
    result = run_admin(fresh_db_url, "members", "import", str(members))
    assert result.returncode == 1
    for line in (3, 4, 5):
        assert f"bad.csv:{line}:" in result.stderr
    assert "check digit" in result.stderr
    assert run_admin(fresh_db_url, "member", "show", good).returncode == 1


def test_members_import_reads_birth_and_join_dates_and_keeps_them_when_left_empty(
    fresh_db_url: str, tmp_path: Path
) -> None:
    ada, bo = fresh_card(), fresh_card()
    members = _write_csv(
        tmp_path / "m.csv",
        ["card,name,birth_date,joined", f"{ada},Ada,1990-05-17,2019-03-02", f"{bo},Bo,,"],
    )
    assert run_admin(fresh_db_url, "members", "import", str(members)).returncode == 0
    _write_csv(members, ["card,name,birth_date,joined", f"{ada},Ada,,", f"{bo},Bo,1985-12-24,"])
    second = run_admin(fresh_db_url, "members", "import", str(members))
    assert "0 created, 1 updated, 1 unchanged" in second.stdout
    rows = dict(
        (str(card), (str(born), str(joined)))
        for card, born, joined in _sql(
            fresh_db_url, "SELECT card, birth_date, joined_on FROM members"
        )
    )
    assert rows[ada] == ("1990-05-17", "2019-03-02")
    assert rows[bo][0] == "1985-12-24" and len(rows[bo][1]) == 10  # joined: the import day


def test_a_birth_date_in_the_future_or_misspelt_is_refused_and_nothing_is_imported(
    fresh_db_url: str, tmp_path: Path
) -> None:
    first, second, third, fourth = (fresh_card() for _ in range(4))
    members = _write_csv(
        tmp_path / "m.csv",
        [
            "card,name,birth_date",
            f"{first},Ada,2999-01-01",
            f"{second},Bo,17.05.1990",
            f"{third},Cy,1066-10-14",
            f"{fourth},{'D' * 201},",
        ],
    )
    result = run_admin(fresh_db_url, "members", "import", str(members))
    assert result.returncode == 1
    assert "m.csv:2: birth_date 2999-01-01 is in the future" in result.stderr
    assert "m.csv:3: birth_date '17.05.1990' is not a date" in result.stderr
    assert "m.csv:4: birth_date 1066-10-14 is before 1900-01-01" in result.stderr
    assert "m.csv:5: the name must be 1 to 200 characters, not 201" in result.stderr
    assert run_admin(fresh_db_url, "member", "show", first).returncode == 1


def test_a_file_that_is_not_csv_is_refused_with_a_reason_not_a_traceback(
    fresh_db_url: str, tmp_path: Path
) -> None:
    huge = "x" * 200_000  # beyond the csv module's field limit
    headers = {"members": "card,name", "products": "sku,name,price", "offers": "card,template"}
    for kind, header in headers.items():
        path = _write_csv(tmp_path / f"{kind}.csv", [header, f"{fresh_card()},{huge},1"])
        result = run_admin(fresh_db_url, kind, "import", str(path))
        assert result.returncode == 1 and "Traceback" not in result.stderr, kind
        assert f"{kind}.csv: not readable as CSV after line 1 (field larger" in result.stderr


def test_a_members_file_with_an_unknown_column_is_refused(
    fresh_db_url: str, tmp_path: Path
) -> None:
    members = _write_csv(tmp_path / "m.csv", ["card,name,email", f"{fresh_card()},Ada,a@b"])
    result = run_admin(fresh_db_url, "members", "import", str(members))
    assert result.returncode == 1 and "unknown: email" in result.stderr


def test_card_replace_revokes_the_old_card(fresh_db_url: str, tmp_path: Path) -> None:
    old, new = fresh_card(), fresh_card()
    run_admin(
        fresh_db_url,
        "members",
        "import",
        str(_write_csv(tmp_path / "m.csv", ["card,name", f"{old},Ada"])),
    )
    assert run_admin(fresh_db_url, "card", "replace", old, new).returncode == 0
    assert (
        json.loads(run_admin(fresh_db_url, "member", "show", new).stdout)["member"]["name"] == "Ada"
    )
    assert run_admin(fresh_db_url, "member", "show", old).returncode == 1


def test_rules_publish_makes_a_new_version_and_rules_show_prints_it(
    fresh_db_url: str, tmp_path: Path
) -> None:
    document = EXAMPLES / "kiwi.toml"
    result = run_admin(fresh_db_url, "rules", "publish", str(document), "--effective-from", "now")
    assert result.returncode == 0, result.stderr
    assert "version 2" in result.stdout and "max_offline_hours" in result.stderr
    shown = json.loads(run_admin(fresh_db_url, "rules", "show").stdout)
    assert (shown["version"], shown["document"]["programme"]["id"]) == (2, "kiwi")
    listed = run_admin(fresh_db_url, "rules", "list").stdout.splitlines()
    assert [line.split("\t")[2] for line in listed] == ["points", "kiwi"]


def test_rules_publish_refuses_a_bad_document_naming_the_key_and_a_past_start(
    fresh_db_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text((EXAMPLES / "kiwi.toml").read_text().replace('percent = "15"', "percent = 15.0"))
    refused = run_admin(fresh_db_url, "rules", "publish", str(bad), "--effective-from", "now")
    assert refused.returncode == 1
    assert "bad.toml: rules[0].percent" in refused.stderr and "float" in refused.stderr
    past = run_admin(
        fresh_db_url, "rules", "publish", str(EXAMPLES / "kiwi.toml"), "--effective-from",
        "2020-01-01T00:00",
    )  # fmt: skip
    assert past.returncode == 1 and "in the past" in past.stderr
    gap = run_admin(
        fresh_db_url, "rules", "publish", str(EXAMPLES / "kiwi.toml"), "--effective-from",
        "2099-03-29T02:30",
    )  # fmt: skip
    assert gap.returncode == 1 and "does not exist in Europe/Oslo" in gap.stderr
    assert json.loads(run_admin(fresh_db_url, "rules", "show").stdout)["version"] == 1


def _ledger_with_events(db_url: str) -> str:
    """A ledger holding a few applied events of one terminal; returns the card."""
    db, _ = open_ledger(db_url)
    try:
        with db.write() as tx:
            add_terminal(tx, "S01-T1")
        chain, card = EventChain("S01-T1"), fresh_card()
        events = [chain.earn(card, 10_000), chain.earn(card, 20_000), chain.redeem(card, 100)]
        push(db, "S01-T1", [e.to_dict() for e in events])
    finally:
        db.close()
    return card


def test_verify_exits_0_when_every_balance_and_chain_adds_up(fresh_db_url: str) -> None:
    _ledger_with_events(fresh_db_url)
    result = run_admin(fresh_db_url, "verify")
    assert result.returncode == 0, result.stdout
    assert "all consistent" in result.stdout


def test_verify_exits_1_when_a_balance_was_changed_behind_its_back(fresh_db_url: str) -> None:
    card = _ledger_with_events(fresh_db_url)
    _sql(
        fresh_db_url,
        'UPDATE members SET accounts = \'{"points":205,"qualifying_spend":30000}\' '
        f"WHERE card = '{card}'",
    )
    result = run_admin(fresh_db_url, "verify")
    assert result.returncode == 1
    assert f"card {card}): accounts {{'points': 205" in result.stdout


def test_verify_exits_1_when_a_stored_event_was_altered(fresh_db_url: str) -> None:
    _ledger_with_events(fresh_db_url)
    _sql(
        fresh_db_url,
        "UPDATE events SET document = replace(document, '\"points\":200', '\"points\":1000') "
        "WHERE seq = 2",
    )
    result = run_admin(fresh_db_url, "verify")
    assert result.returncode == 1
    assert "event 2 of terminal s01-t1 was altered" in result.stdout.lower()


def test_verify_exits_1_on_a_gap_in_a_stored_chain(fresh_db_url: str) -> None:
    _ledger_with_events(fresh_db_url)
    _sql(fresh_db_url, "UPDATE members SET accounts = '{\"qualifying_spend\":10000}'")
    _sql(fresh_db_url, "DELETE FROM events WHERE seq = 2")
    result = run_admin(fresh_db_url, "verify")
    assert result.returncode == 1
    assert "gap" in result.stdout


def test_verify_exits_2_when_the_database_cannot_be_opened(tmp_path: Path) -> None:
    result = run_admin(f"sqlite:///{tmp_path}/missing/dir/ledger.db", "verify")
    assert result.returncode == 2
    assert "Cannot open" in result.stderr


def test_serve_refuses_fewer_than_one_process_or_push_at_a_time(fresh_db_url: str) -> None:
    for option in ("--workers", "--push-concurrency"):
        result = run_admin(fresh_db_url, "serve", "--port", "9", option, "0")
        assert result.returncode == 1
        assert "must be at least 1" in result.stderr
        assert "Traceback" not in result.stderr

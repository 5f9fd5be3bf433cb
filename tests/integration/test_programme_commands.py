"""``pos-client programme check|evaluate``: a programme manager tries a document on a
laptop, with no till and no ledger, under the engine the tills and the ledger run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loyalty.programme import load_programme_file
from pos_client.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "programmes"
COFFEE = EXAMPLES / "coffee.toml"
LATTE_OWN_CUP = {
    "at": "2026-03-29T23:59:30+02:00",
    "store": "OSLO01",
    "lines": [
        {
            "line": 1,
            "sku": "7038010009457",
            "name": "Latte",
            "tags": ["coffee"],
            "qty": 1,
            "unit_minor": 3990,
            "flags": ["own_cup"],
        }
    ],
    "tenders": [{"kind": "card", "minor": 3990}],
}


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def test_check_says_valid_with_the_content_hash_the_ledger_will_publish(capsys):
    assert main(["programme", "check", str(COFFEE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("valid: Coffee club (coffee), engine 1")
    assert f"content hash: {load_programme_file(COFFEE).content_hash}" in out


def test_check_names_the_file_and_the_key_of_a_mistake_and_fails(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(COFFEE.read_text(encoding="utf-8").replace("goal = 9", "goal = 9.0"))
    assert main(["programme", "check", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"invalid: {bad}: rules[0].goal")


def test_evaluate_prints_the_outcome_a_till_would_record(tmp_path, capsys):
    basket = write_json(tmp_path / "b.json", LATTE_OWN_CUP)
    member = write_json(
        tmp_path / "m.json",
        {"tier": None, "stamps": {"coffee": 7}, "qualifying_spend_minor": 34000},
    )
    code = main(["programme", "evaluate", str(COFFEE), "--basket", str(basket), "--member",
                 str(member)])  # fmt: skip
    assert code == 0
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["version"] == 0 and outcome["wallets"] == {}
    assert outcome["stamps_earned"] == {"coffee": 2}  # one coffee in the member's own cup
    assert outcome["stamps"] == {"coffee": -7}  # 7 + 2 fill the card of 9: back to 0
    assert [r["reward"] for r in outcome["rewards_issued"]] == ["free-coffee"]
    assert outcome["rewards_used"] == [] and outcome["qualifying_spend_minor"] == 3990
    line = outcome["lines"][0]
    assert (line["line"], line["stamps"], line["rules"]) == (1, {"coffee": 2}, ["coffee-card"])
    assert len(outcome["outcome_hash"]) == 64


def test_evaluate_without_a_member_evaluates_a_new_member(tmp_path, capsys):
    basket = write_json(tmp_path / "b.json", LATTE_OWN_CUP)
    assert main(["programme", "evaluate", str(COFFEE), "--basket", str(basket)]) == 0
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["stamps"] == {"coffee": 2} and outcome["rewards_issued"] == []


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "is not JSON"),
        (json.dumps({**LATTE_OWN_CUP, "lines": [{"line": 1}]}), "basket.lines[0]"),
        (json.dumps({**LATTE_OWN_CUP, "at": "2026-03-29T23:59:30"}), "offset"),
        (json.dumps({**LATTE_OWN_CUP, "store": 5}), "basket.store must be text, not a whole"),
    ],
)
def test_evaluate_refuses_a_bad_basket_saying_what_is_wrong(tmp_path, capsys, content, says):
    basket = tmp_path / "b.json"
    basket.write_text(content, encoding="utf-8")
    assert main(["programme", "evaluate", str(COFFEE), "--basket", str(basket)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and says in captured.err


def test_evaluate_names_a_basket_file_that_is_not_there(tmp_path, capsys):
    missing = tmp_path / "nope.json"
    assert main(["programme", "evaluate", str(COFFEE), "--basket", str(missing)]) == 1
    assert f"{missing}: cannot be read" in capsys.readouterr().err


def test_the_installed_command_stops_quietly_when_its_reader_does(tmp_path):
    """``pos-client programme evaluate ... | head -1``: no traceback when head exits."""
    basket = write_json(tmp_path / "b.json", LATTE_OWN_CUP)
    installed = Path(sys.executable).parent / "pos-client"
    command = [str(installed), "programme", "evaluate", str(COFFEE), "--basket", str(basket)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # the reader went away before the first line
        errors = process.stderr.read().decode()
        assert process.wait(timeout=60) == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert errors == ""  # in particular, no BrokenPipeError traceback

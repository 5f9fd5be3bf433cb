"""The load generator (bench/load) sends what a till sends: valid chained events.

A few seconds with 5 steady tills and one backlog till against a real ``pos-ledger
serve``: the ledger holds exactly the events each till sent (counts and high water per
terminal) and ``pos-ledger verify`` finds every chain and balance consistent. This
proves the generator's events are valid; its timing is measured in bench/, not here.
"""

from __future__ import annotations

from bench.load.config import LoadConfig
from bench.load.run import ledger_counts, mismatches, run_load, till_names
from tests.integration.ledger.support import run_admin

CONFIG = LoadConfig(
    tills=5,
    seconds=3,
    interval=0.3,
    pull_every=1,
    backlog_tills=1,
    backlog_events=200,
    members=300,
    cards_per_till=20,
    processes=1,
)


def test_the_ledger_holds_exactly_what_the_generator_sent(fresh_db_url: str) -> None:
    result = run_load(fresh_db_url, CONFIG)

    tally = result.tally
    assert not tally.errors, tally.errors
    assert tally.unfinished == 0
    assert result.server_errors == 0
    steady, backlog = till_names(CONFIG)
    counts = ledger_counts(fresh_db_url)
    for terminal in steady + backlog:
        stored, high_water = counts[terminal]
        assert stored == high_water == tally.sent[terminal] == tally.high_water[terminal] > 0
    assert counts[backlog[0]] == (CONFIG.backlog_events, CONFIG.backlog_events)
    assert mismatches(result, counts) == []
    assert tally.latencies["pull"], "the tills pulled changes"
    verified = run_admin(fresh_db_url, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "all consistent" in verified.stdout

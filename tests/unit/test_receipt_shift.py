"""Receipt numbers after recoveries that lost events: never a number printed before,
and every printed number leads back to its event (pos_client.store.receipt_shift)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pos_client.store.receipt_shift import NO_SHIFT


def test_without_a_recovery_the_receipt_number_is_the_sequence_number():
    assert [NO_SHIFT.number_of(s) for s in (1, 2, 99)] == [1, 2, 99]
    assert NO_SHIFT.seq_of(42) == 42


def test_a_recovery_that_lost_events_4_and_5_numbers_the_next_event_6():
    numbering = NO_SHIFT.continued(next_seq=4, next_number=6)
    assert [numbering.number_of(s) for s in (1, 3, 4, 5)] == [1, 3, 6, 7]
    assert [numbering.seq_of(n) for n in (3, 4, 5, 6, 7)] == [3, None, None, 4, 5]


def test_a_recovery_that_lost_nothing_changes_nothing():
    assert NO_SHIFT.continued(next_seq=4, next_number=4) == NO_SHIFT


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 5)), max_size=6))
def test_numbers_never_repeat_and_lead_back_to_their_event(recoveries):
    """Each recovery: the ledger held ``kept`` more events, then ``lost`` more were
    printed and lost; the till goes on after every number printed before."""
    numbering, seq, printed = NO_SHIFT, 0, 0
    issued: dict[int, int] = {}
    for kept, lost in recoveries:
        for _ in range(kept):
            seq += 1
            number = numbering.number_of(seq)
            assert number > printed and number not in issued
            issued[number], printed = seq, number
        printed += lost  # printed, never synced, lost in the recovery
        numbering = numbering.continued(seq + 1, printed + 1)
    for number, event_seq in issued.items():
        assert numbering.seq_of(number) == event_seq

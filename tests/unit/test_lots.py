"""Lots: soonest-expiring first, debts repaid by the next earning, refunds restoring
the lots a spending took, expiry; and conservation over random sequences."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.lots import ExpiryDay, WalletLots, spend_order

JAN, FEB, MAR = date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)


def test_spending_takes_the_soonest_expiring_lot_first_and_never_expiring_last():
    lots = WalletLots()
    lots.earn(100, MAR)
    lots.earn(50, None)
    lots.earn(40, JAN)
    assert lots.spend(120) == {JAN: 40, MAR: 80}
    assert lots.lots == {MAR: 20, None: 50}
    assert lots.spend(60) == {MAR: 20, None: 40}
    assert lots.balance == 10


def test_what_lots_cannot_cover_is_a_debt_that_the_next_earning_repays():
    lots = WalletLots({JAN: 100})
    assert lots.spend(250) == {JAN: 100}
    assert (lots.debt, lots.balance, lots.lots) == (150, -150, {})
    assert lots.earn(100, MAR) == {}
    assert (lots.debt, lots.balance) == (50, -50)
    assert lots.earn(80, MAR) == {MAR: 30}
    assert (lots.debt, lots.balance, lots.lots) == (0, 30, {MAR: 30})


def test_taking_back_what_a_sale_earned_takes_from_its_own_lot_first():
    lots = WalletLots({JAN: 100, MAR: 70})
    assert lots.take_back(90, MAR) == {MAR: 70, JAN: 20}
    assert lots.lots == {JAN: 80}
    assert lots.take_back(10, FEB) == {JAN: 10}  # its lot is gone: as a spending


def test_giving_back_what_a_sale_spent_restores_the_same_lots_after_any_debt():
    lots = WalletLots({JAN: 30, MAR: 100})
    taken = lots.spend(100)
    assert taken == {JAN: 30, MAR: 70}
    assert lots.restore(40, taken) == ({JAN: 30, MAR: 10}, 0)
    assert lots.lots == {JAN: 30, MAR: 40}
    in_debt = WalletLots({}, debt=25)
    assert in_debt.restore(40, {JAN: 40}) == ({JAN: 15}, 0)
    assert in_debt.restore(20, {JAN: 5}) == ({JAN: 5}, 15)  # beyond what was taken


def test_expiry_empties_the_lots_whose_last_day_is_before_the_date():
    lots = WalletLots({JAN: 30, FEB: 20, None: 5})
    assert lots.expire(JAN) == {}
    assert lots.expire(JAN + timedelta(days=1)) == {JAN: 30}
    assert lots.expire(date(2099, 1, 1)) == {FEB: 20}
    assert lots.lots == {None: 5}


def test_a_balance_from_before_lots_is_one_lot_that_never_expires():
    assert WalletLots.of_balance(120) == WalletLots({None: 120}, 0)
    assert WalletLots.of_balance(-40) == WalletLots({}, 40)
    assert WalletLots.of_balance(70, {JAN: 50, MAR: 20}) == WalletLots({JAN: 50, MAR: 20}, 0)
    assert WalletLots.of_balance(0) == WalletLots({}, 0)


DAYS = st.one_of(st.none(), st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 12, 31)))
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(0, 500), DAYS),
        st.tuples(st.just("spend"), st.integers(0, 500), DAYS),
        st.tuples(st.just("take_back"), st.integers(0, 500), DAYS),
        st.tuples(st.just("restore"), st.integers(0, 500), DAYS),
        st.tuples(st.just("expire"), st.integers(0, 0), DAYS),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(opening=st.integers(-200, 500), operations=OPERATIONS)
def test_points_are_conserved_and_the_lots_stay_well_formed(
    opening: int, operations: list[tuple[str, int, ExpiryDay]]
):
    """Earned (opening, earnings, restorations) = balance + spent + expired, whatever
    the sequence; a debt means no lot holds anything; a spending takes lots in order."""
    lots = WalletLots.of_balance(opening)
    added = opening
    removed = expired = 0
    spendings: list[dict[ExpiryDay, int]] = []
    for name, amount, day in operations:
        if name == "earn":
            lots.earn(amount, day)
            added += amount
        elif name in ("spend", "take_back"):
            before = dict(lots.lots)
            taken = lots.spend(amount) if name == "spend" else lots.take_back(amount, day)
            removed += amount
            spendings.append(taken)
            if name == "spend":
                order = sorted(before, key=spend_order)
                emptied = [d for d in order if taken.get(d) == before[d]]
                assert order[: len(emptied)] == emptied  # soonest first, whole lots
        elif name == "restore":
            source = spendings.pop() if spendings else {}
            back, left = lots.restore(amount, source)
            assert all(back[d] <= source[d] for d in back)
            if left:
                lots.earn(left, day)
            added += amount
        else:
            cut = day or date(2027, 7, 1)
            expired += sum(lots.expire(cut).values())
            assert all(d is None or d >= cut for d in lots.lots)
        assert lots.debt >= 0
        assert all(v > 0 for v in lots.lots.values())
        assert not (lots.debt and lots.lots)
        assert lots.balance == added - removed - expired

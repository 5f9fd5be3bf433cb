"""The outcome the cashier was last shown, kept for the sale that records it.

Every change to the basket evaluates it for the screen; finishing the sale would
evaluate the same basket again a moment later. The evaluator is a pure function, and
the outcome records no time, so the outcome shown is the outcome to record when every
input is the same: the version, the basket (lines, rewards, points discount,
tenders, store), the member snapshot, strictness, and whether each of the programme's time
conditions holds (:func:`loyalty.programme.time_facts`), so a basket finished after a
campaign starts at midnight is evaluated again and earns what it earns then.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from loyalty.programme import Basket, MemberSnapshot, Outcome, ProgrammeVersion, time_facts
from loyalty.programme import evaluate as evaluate_basket

_NO_TIME = datetime(2000, 1, 1, tzinfo=UTC)
"""The time the kept inputs' basket carries: its own time counts only through the
programme's time conditions."""


@dataclass(frozen=True)
class _Inputs:
    """Everything the outcome of one evaluation depends on (compared with ``==``;
    the programme by identity, the basket without its time)."""

    programme: int
    version: int
    basket: Basket
    """The basket with its time set to :data:`_NO_TIME`."""
    member: MemberSnapshot
    strict: bool
    time: tuple[bool, ...]


class OutcomeMemo:
    """The last evaluation at this till: its inputs and outcome (one entry).

    Not thread-safe on its own: the till calls it under its own lock.
    """

    def __init__(self) -> None:
        self._last: tuple[_Inputs, ProgrammeVersion, Outcome] | None = None

    def evaluate(
        self,
        version: ProgrammeVersion,
        basket: Basket,
        member: MemberSnapshot,
        *,
        strict: bool = True,
    ) -> Outcome:
        """The outcome of ``basket`` for ``member`` under ``version``: the one kept
        when its inputs are the same, else evaluated (and kept unless it raised)."""
        programme = version.programme
        inputs = _Inputs(
            programme=id(programme),
            version=version.version,
            basket=replace(basket, at=_NO_TIME),
            member=member,
            strict=strict,
            time=time_facts(programme, basket.at),
        )
        last = self._last
        if last is not None and last[0] == inputs and last[1].programme is programme:
            return last[2]
        outcome = evaluate_basket(programme, basket, member, version=version.version, strict=strict)
        self._last = (inputs, version, outcome)
        return outcome

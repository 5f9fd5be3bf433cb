"""What the till knows of a member's way to the next tier: the ledger's count of the
window today counts in, plus this till's unsynced events in that window.

The ledger qualifies tiers (PROGRAMME.md principle 2); the till only shows how far
the member is, provisionally. It counts its unsynced events with the ledger's own
rule (:func:`loyalty.tier_metrics.metric_amount`), in the window each counts in at
the ledger (a refund's sale's). The ledger's ``progress`` is ``(window, count)`` as
of the member's latest event there (:mod:`loyalty.tier_windows` names the window):

* it counts when it is the window of today (:func:`loyalty.tier_windows.is_current`);
* a calendar or membership year that has ended counted nothing of today's yet (the
  member's events since would have moved it), so the ledger's part is 0; today's
  membership year is then taken to start the day after the one the ledger named
  (the till does not know the join date) and, with no window from the ledger at
  all, every unsynced event counts;
* a rolling window of another month has a count the till cannot bring up to date
  (months drop out of it): the way is not shown until the ledger counts again.

A refund counts for visits and units only when this till's journal has its sale
(the view read from the store; the member right after recording one shows it from
the next refresh).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from loyalty.programme.model import TierQualification
from loyalty.tier_metrics import metric_amount
from loyalty.tier_windows import is_current, span, window_of
from loyalty.tiers import progress
from loyalty.timezones import local_time
from pos_client.store.members import Pending
from pos_client.views import MemberView


def way_to_next_tier(member: MemberView, today: date) -> tuple[str, int] | None:
    """The next level above the member's tier and what today's window still needs
    for it; None at the top, when the programme qualifies no tiers, or when the till
    cannot know the count (see the module doc)."""
    info = member.programme
    if info is None or info.tier_qualification is None:
        return None
    rules = info.tier_qualification
    window = _window_today(rules, member.progress, today)
    if window is None:
        return None
    counted, (first, last) = window
    for event in member.unsynced:
        if event.content and first <= _counted_on(event, info.timezone) <= last:
            counted += metric_amount(rules, event.content, event.postings, event.sale)
    return progress(rules, info.tiers, member.tier, counted)


def _window_today(
    rules: TierQualification, known: tuple[str, int] | None, today: date
) -> tuple[int, tuple[date, date]] | None:
    """The ledger's count of today's window and that window's days, as far as the
    till can tell."""
    if known is not None and is_current(known[0], today):
        return known[1], span(known[0])
    if known is not None and len(known[0]) == 7:
        return None  # a rolling window of another month: its count is not today's
    if rules.window != "membership_year" or (known is not None and "/" not in known[0]):
        return 0, span(window_of(rules, today))
    if known is None:
        return 0, (date.min, date.max)
    return 0, (span(known[0])[1] + timedelta(days=1), date.max)


def _counted_on(event: Pending, timezone: str) -> date:
    """The local day whose window an event counts in: its own, a refund's sale's."""
    content = event.sale.content if event.sale is not None else event.content
    text = str(content.get("business_time") or content.get("recorded_at"))
    return local_time(datetime.fromisoformat(text.replace("Z", "+00:00")), timezone).date()

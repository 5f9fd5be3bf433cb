"""Manager mode's day page: the store's day at this till, as the report prints.

Totals per cashier (sales, refunds, points earned and redeemed, corrections,
enrolments, members served) and for the till, with how many of the day's events the
ledger has not confirmed yet. F5 prints the report; F6 closes the day, which needs a
manager's approval when events are still unsynced (the manager on duty gives it).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from loyalty.errors import LoyaltyError
from pos_client.ui.manager.page_focus import focus_in_page

REPORT_WIDTH = 42
HINT = "F5 print the report · F6 close the day"


class DayPage(Vertical):
    ACTIONS: ClassVar[dict[int, str]] = {5: "Print", 6: "Close the day"}
    DEFAULT_CSS = """
    DayPage #day-note { height: auto; color: $text-muted; }
    DayPage #day-scroll { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.report: Any = None

    def compose(self) -> ComposeResult:
        yield Static(HINT, id="day-note")
        with VerticalScroll(id="day-scroll"):
            yield Static("", id="day-report")

    def refresh_page(self) -> None:
        self.app.ask("day report", lambda till: till.day_report(), self._shown)  # type: ignore[attr-defined]

    def _shown(self, result: Any) -> None:
        if isinstance(result, LoyaltyError):
            self._note(str(result))
            return
        self.report = result
        self.query_one("#day-report", Static).update("\n".join(result.text_lines(REPORT_WIDTH)))
        focus_in_page(self.query_one("#day-scroll"))

    def page_action(self, number: int) -> None:
        report = self.report
        if report is None:
            return
        if number == 5:
            self.app.ask(  # type: ignore[attr-defined]
                "print day", lambda till: till.print_day_report(report), self._printed
            )
        elif number == 6:
            day = report.day
            self.app.ask(  # type: ignore[attr-defined]
                "close day",
                lambda till: till.close_day(
                    day, till.manager_approval("close_day", report.unsynced)
                ),
                self._day_closed,
            )

    def _printed(self, result: Any) -> None:
        self._note(str(result))

    def _day_closed(self, result: Any) -> None:
        if isinstance(result, LoyaltyError):
            self._note(str(result))
            return
        self._shown(result)
        self._note(f"The day is closed. {HINT}")

    def _note(self, text: str) -> None:
        self.query_one("#day-note", Static).update(text)

    def take_scan(self, text: str) -> None:
        self.app.notify("Scans are not used on the day page.")

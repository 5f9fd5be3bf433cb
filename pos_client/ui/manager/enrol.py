"""Manager mode's enrolment page: a new member joins at the till, offline too.

Name, phone, e-mail, birth date, and consent: the privacy terms (required) and
marketing (yes or no), recorded with the time. The card number comes from the range
the ledger gave this till, so two offline tills never give the same number. Once
enrolled, the new card's number and barcode are shown (F6 prints the card), and the
member can earn at once. Each field the Till refuses is named on the error line;
nothing is recorded then.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, Input, Static

from loyalty.enrolment import EnrolmentError
from loyalty.errors import LoyaltyError
from pos_client.card_barcode import card_barcode_text
from pos_client.ui.manager.page_focus import focus_in_page

HINT = "F5 enrol · F6 print the new card · Tab moves between fields"
FIELDS = (
    ("name", "Name"),
    ("phone", "Phone, with country code (+47 912 34 567)"),
    ("email", "E-mail"),
    ("birth_date", "Birth date YYYY-MM-DD (optional)"),
)


class EnrolPage(Vertical):
    ACTIONS: ClassVar[dict[int, str]] = {5: "Enrol", 6: "Print card"}
    DEFAULT_CSS = """
    EnrolPage #enrol-form { height: 1fr; }
    EnrolPage Input { width: 100%; }
    EnrolPage #enrol-error { color: $text-error; height: auto; }
    EnrolPage #consent { height: auto; }
    EnrolPage #enrol-result { height: auto; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.card: str | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static(HINT, id="enrol-note")
        with VerticalScroll(id="enrol-form"):
            for key, label in FIELDS:
                yield Input(placeholder=label, id=f"enrol-{key}")
            with Horizontal(id="consent"):
                yield Checkbox("Accepts the privacy terms", id="enrol-privacy")
                yield Checkbox("Marketing: yes", id="enrol-marketing")
            yield Static("", id="enrol-error")
            yield Static("", id="enrol-result")

    def refresh_page(self) -> None:
        self.app.ask(  # type: ignore[attr-defined]
            "card numbers", lambda till: till.card_numbers_left(), self._numbers
        )
        focus_in_page(self.query_one("#enrol-name", Input))

    def _numbers(self, result: Any) -> None:
        if isinstance(result, LoyaltyError):
            return
        left = int(result)
        note = f"{HINT} · {left} card numbers left at this till"
        if not left:
            note = "No card numbers left: the ledger gives more at the next sync."
        self.query_one("#enrol-note", Static).update(note)

    def page_action(self, number: int) -> None:
        if number == 5:
            self._enrol()
        elif number == 6 and self.card is not None:
            card = self.card
            self.app.ask(  # type: ignore[attr-defined]
                "print card", lambda till: till.print_member_card(card), self._printed
            )

    def _enrol(self) -> None:
        if self.busy:
            return
        values = {key: self.query_one(f"#enrol-{key}", Input).value for key, _ in FIELDS}
        privacy = self.query_one("#enrol-privacy", Checkbox).value
        marketing = self.query_one("#enrol-marketing", Checkbox).value
        self.busy = True
        self.query_one("#enrol-error", Static).update("Enrolling…")
        self.app.ask(  # type: ignore[attr-defined]
            "enrol",
            lambda till: till.enrol(**values, privacy_accepted=privacy, marketing=marketing),
            self._enrolled,
        )

    def _enrolled(self, result: Any) -> None:
        self.busy = False
        error = self.query_one("#enrol-error", Static)
        if isinstance(result, LoyaltyError):
            error.update(str(result))
            if isinstance(result, EnrolmentError):
                field = result.field
                if field == "privacy":
                    self.query_one("#enrol-privacy", Checkbox).focus()
                else:
                    self.query_one(f"#enrol-{field}", Input).focus()
            return
        error.update("")
        self.card = result.card
        lines = [
            f"{result.member.name} is a member: card {result.card}",
            card_barcode_text(result.card, height=2),
        ]
        lines.append("F6 prints the card. They can earn on it now.")
        self.query_one("#enrol-result", Static).update("\n".join(lines))
        for key, _ in FIELDS:
            self.query_one(f"#enrol-{key}", Input).value = ""
        self.query_one("#enrol-privacy", Checkbox).value = False
        self.query_one("#enrol-marketing", Checkbox).value = False
        self.refresh_page()

    def _printed(self, result: Any) -> None:
        self.query_one("#enrol-error", Static).update(str(result))

    def take_scan(self, text: str) -> None:
        self.app.notify("Scans are not used on the enrolment page.")

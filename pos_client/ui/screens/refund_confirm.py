"""What a refund will take back, shown before anything is recorded.

The dialog lists the receipt's lines (sold, left to return), what returning the
chosen ones takes back from each account, the money back and the balance after.
Y records it; C lets the cashier choose lines (``1 3:2`` = all of line 1 and two of
line 3; empty = everything left), which the till previews again; N or Esc cancels.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from pos_client import wording
from pos_client.ui import formatting
from pos_client.ui.screens.wedge_dialog import WedgeAwareDialog
from pos_client.views import RefundPreview

RefundAnswer = tuple[str, dict[int, int] | None]
"""``("confirm", lines)`` to record, ``("change", lines)`` to preview other lines."""


def parse_lines(text: str, preview: RefundPreview) -> dict[int, int] | None:
    """``"1 3:2"`` → ``{1: all left of line 1, 3: 2}``; empty → None (everything left).

    Raises ValueError with words for the cashier.
    """
    if not text.strip():
        return None
    left = {line: remaining for line, _, _, remaining in preview.lines}
    chosen: dict[int, int] = {}
    for part in text.replace(",", " ").split():
        line_text, _, qty_text = part.partition(":")
        if not line_text.isdigit() or (qty_text and not qty_text.isdigit()):
            raise ValueError(f"{part!r}: write a line number, or line:quantity like 3:2.")
        line = int(line_text)
        if line not in left:
            raise ValueError(f"The receipt has no line {line}.")
        chosen[line] = int(qty_text) if qty_text else left[line]
    return chosen


class RefundConfirmDialog(WedgeAwareDialog[RefundAnswer | None]):
    """Dismisses with a :data:`RefundAnswer`, or None when cancelled."""

    AUTO_FOCUS = ""
    """Nothing has focus until C: Y, C and N are answers, not text."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Refund"),
        Binding("c", "choose", "Choose lines"),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    def __init__(self, preview: RefundPreview) -> None:
        super().__init__()
        self.preview = preview

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question(), id="question")
            yield Input(placeholder="lines, e.g. 1 3:2 (empty = all)", id="refund-lines")
            yield Static("", id="dialog-error")
            with Horizontal(id="buttons"):
                yield Button("Refund (Y)", variant="warning", id="yes")
                yield Button("Lines (C)", id="choose")
                yield Button("Cancel (N)", id="no")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = f"Refund {self.preview.receipt_no}"
        for button in self.query(Button):
            button.can_focus = False
        field = self.query_one("#refund-lines", Input)
        field.value = " ".join(f"{n}:{q}" for n, q in self.preview.returning.items())
        field.can_focus = False

    def question(self) -> str:
        preview = self.preview
        lines = [f"{preview.member_name}: return these lines?"]
        for number, name, sold, left in preview.lines:
            returning = preview.returning.get(number, 0)
            mark = f"return {returning}" if returning else "keep"
            lines.append(f" {number:>2} {name[:22]:<22} sold {sold}, left {left}: {mark}")
        # A refund takes back what the sale earned and gives back what it spent
        # (points or stars used as a discount or for a reward).
        taken = {k: v for k, v in preview.postings.items() if v < 0}
        given = {k: v for k, v in preview.postings.items() if v > 0}
        taken_text = wording.postings_text(taken, preview.programme)
        lines.append("Takes back: " + (", ".join(taken_text) if taken_text else "nothing"))
        given_text = wording.postings_text(given, preview.programme)
        if given_text:
            lines.append("Gives back: " + ", ".join(given_text))
        lines.append(f"Money back: {formatting.money(preview.refund_minor, preview.currency)}")
        if preview.rewards_revoked:
            used = preview.rewards_already_used
            count = preview.rewards_revoked
            issued = f"{count} reward{'s' if count != 1 else ''} the sale issued"
            if not used:
                lines.append(f"Takes back {issued}.")
            else:
                lines.append(
                    f"Takes back {issued}; {used} already used: the member keeps "
                    f"{'it' if used == 1 else 'them'} (the ledger flags it for review)."
                )
        info = preview.programme
        if formatting.has_balance(info):
            main = info.main_wallet if info and info.main_wallet else "points"
            lines.append(
                f"Balance after: {formatting.balance_figure(main, preview.balance_after, info)}"
            )
        return "\n".join(lines)

    def action_confirm(self) -> None:
        self.dismiss(("confirm", dict(self.preview.returning)))

    def action_choose(self) -> None:
        field = self.query_one("#refund-lines", Input)
        field.can_focus = True
        field.focus()

    @on(Input.Submitted, "#refund-lines")
    def _lines_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            lines = parse_lines(event.value, self.preview)
        except ValueError as error:
            self.query_one("#dialog-error", Static).update(str(error))
            return
        self.dismiss(("change", lines))

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#choose")
    def _choose(self) -> None:
        self.action_choose()

    @on(Button.Pressed, "#no")
    def action_cancel(self) -> None:
        self.dismiss(None)

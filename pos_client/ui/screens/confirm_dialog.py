"""A yes/no question before something the cashier might not mean (Y or N/Esc)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from pos_client.ui.screens.wedge_dialog import WedgeAwareDialog


class ConfirmDialog(WedgeAwareDialog[bool]):
    """Dismisses with True (Y) or False (N, Esc). Enter does nothing: it ends every
    keyboard-wedge scan, and a scan must never answer a question."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.title_text = title
        self.question_text = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question_text, id="question")
            with Horizontal(id="buttons"):
                yield Button(f"{self.yes} (Y)", variant="primary", id="yes")
                yield Button("No (N)", id="no")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = self.title_text
        for button in self.query(Button):
            button.can_focus = False

    def question(self) -> str:
        return self.question_text

    def action_answer(self, accepted: bool) -> None:
        self.dismiss(accepted)

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.dismiss(False)

"""Pick one of a few things: a reward to use, a quick key, an action to record.

Each choice has a key (a letter or digit) the cashier presses; Esc cancels. The
dialog returns the chosen value; the App does the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from pos_client.ui.screens.wedge_dialog import WedgeAwareDialog

Choice = tuple[str, str]
"""(value returned, label shown)."""

KEYS = "abcdefghijklmopqrstuvwxyz"
"""Keys offered when the choices do not bring their own. Letters only: digits and
Enter are how a keyboard-wedge scanner types, and a scan must never pick anything."""


class ChoiceDialog(WedgeAwareDialog[str | None]):
    """Dismisses with the chosen value, or None (Esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, choices: Sequence[Choice], keys: Sequence[str] | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.keys = list(keys) if keys is not None else list(KEYS[: len(self.choices)])

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question(), id="question")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = self.title_text

    def question(self) -> str:
        lines = [
            f" {key}  {label}" for key, (_, label) in zip(self.keys, self.choices, strict=False)
        ]
        return "\n".join([*lines, "", "Press a key, or Esc to cancel."])

    def on_key(self, event: events.Key) -> None:
        character = (event.character or "").lower()
        if character and character in self.keys:
            event.stop()
            event.prevent_default()
            self.dismiss(self.choices[self.keys.index(character)][0])
            return
        super().on_key(event)

    def action_cancel(self) -> None:
        self.dismiss(None)

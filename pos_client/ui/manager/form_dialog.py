"""The base of manager mode's small forms: fields, an error line, OK and Cancel.

The form checks nothing itself beyond what is missing; the Till decides, and its
refusal is shown on the error line with nothing recorded. While the Till works, a
second OK is ignored (one press records at most one event).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from loyalty.errors import LoyaltyError
from pos_client.till import Till


class FormDialog(ModalScreen[Any]):
    """Dismisses with a message for the page after the Till recorded, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Record", key_display="^S"),
    ]
    DEFAULT_CSS = """
    FormDialog { align: center middle; }
    FormDialog #dialog { width: 70; }
    FormDialog Input, FormDialog Select { width: 100%; }
    """

    busy = False

    def set_error(self, text: str) -> None:
        self.query_one("#dialog-error", Static).update(text)

    def record(self, operation: str, work: Callable[[Till], Any]) -> None:
        """Run ``work``; dismiss with :meth:`done_message` of its answer, or show
        the refusal."""
        if self.busy:
            return
        self.busy = True
        self.set_error("Recording…")
        self.app.ask(operation, work, self._answered)  # type: ignore[attr-defined]

    def _answered(self, result: Any) -> None:
        self.busy = False
        if isinstance(result, LoyaltyError):
            self.set_error(str(result))
            return
        self.dismiss(self.done_message(result))

    def done_message(self, result: Any) -> str:
        return "Recorded."

    def action_submit(self) -> None:
        """Overridden: read the fields and :meth:`record`."""

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

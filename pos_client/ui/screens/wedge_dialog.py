"""A dialog base class that keeps keyboard-wedge scans away from the dialog.

A keyboard-wedge scanner types digits and Enter into whatever screen is on top. On a
dialog that Enter must not confirm anything, and the scan must not be lost: the
digits are collected here and, on Enter, posted as a
:class:`~pos_client.ui.messages.ScanReceived`, which the App holds until the dialog
closes. Text fields in a dialog see such scans on submit instead (see
:func:`pos_client.ui.wedge.split_wedge_scan`).
"""

from __future__ import annotations

from typing import TypeVar

from textual import events
from textual.screen import ModalScreen

from pos_client.ui.messages import ScanReceived

ResultType = TypeVar("ResultType")


class WedgeAwareDialog(ModalScreen[ResultType]):
    """A modal screen whose digit keys and Enter become a scan, not an answer."""

    def __init__(self) -> None:
        super().__init__()
        self._digits: list[str] = []

    def on_key(self, event: events.Key) -> None:
        character = event.character
        if character is not None and character.isascii() and character.isdigit():
            self._digits.append(character)
            event.stop()
            event.prevent_default()
        elif event.key == "enter" and self._digits:
            text = "".join(self._digits)
            self._digits.clear()
            event.stop()
            event.prevent_default()
            self.post_message(ScanReceived(text, "wedge"))
        else:
            self._digits.clear()

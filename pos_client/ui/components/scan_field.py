"""The field every typed or keyboard-wedge scan lands in."""

from __future__ import annotations

import time

from textual.widgets import Input

WEDGE_SECONDS_PER_KEY = 0.03
"""Faster than this on average is a scanner, not a person (people need ~0.1 s a key)."""
WEDGE_MIN_LENGTH = 8


class ScanField(Input):
    """An input for card numbers that tells a scanner's burst from a person typing.

    The field does nothing with the number itself: the screen reads :attr:`value`
    and :meth:`entry_source` when it is submitted and hands both to the App.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            placeholder="Card or product: scan or type",  # fits the demo's narrow column
            id=id,
        )
        self.border_title = "Scan"
        self._started: float | None = None

    def watch_value(self, value: str) -> None:
        if not value:
            self._started = None
        elif self._started is None:
            self._started = time.monotonic()

    def entry_source(self) -> str:
        """``wedge`` when the current text arrived as a burst, else ``keyboard``."""
        text = self.value.strip()
        if self._started is None or len(text) < WEDGE_MIN_LENGTH:
            return "keyboard"
        elapsed = time.monotonic() - self._started
        return "wedge" if elapsed / len(text) < WEDGE_SECONDS_PER_KEY else "keyboard"

    def take(self) -> tuple[str, str]:
        """The submitted text and its source; empties the field for the next scan."""
        text, source = self.value, self.entry_source()
        self.clear()
        return text, source

"""Keys typed while a scan is being looked up, held until the answer is on screen.

A cashier scans a card and types the amount at once; the member arrives a few
milliseconds later and moves the focus to the Amount field. Without this, those
first keys would land in the scan field (and the F2 after them would finish a sale
without its amount). While a lookup is in flight the screen focuses this invisible
widget, which keeps every key; the screen then replays them into the field the
answer focuses, or drops them (and says so) when the scan failed.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget


class TypeAhead(Widget, can_focus=True):
    """Holds key presses while it has focus; takes no space on screen."""

    DEFAULT_CSS = """
    TypeAhead { width: 0; height: 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.held: list[events.Key] = []

    def on_key(self, event: events.Key) -> None:
        self.held.append(events.Key(event.key, event.character))
        event.stop()
        event.prevent_default()

    def take(self) -> list[events.Key]:
        held, self.held = self.held, []
        return held

"""Keys typed while a scan is being looked up, held until the answer is on screen.

A cashier scans a card and types the amount at once; the member arrives a few
milliseconds later and moves the focus to the Amount field. Without this, those
first keys would land in the scan field (and the F2 after them would finish a sale
without its amount). While a lookup is in flight the App hands every key to the
screen's :class:`TypeAhead` instead of the focused field; the screen then replays
them into the field the answer focuses, or drops them (and says so) when the scan
failed.

The focus itself does not move while keys are held: in Textual every focus change
repaints the whole screen, which cost more than the rest of a scan.
"""

from __future__ import annotations

from textual import events


class TypeAhead:
    """The keys held while a lookup is in flight, in the order they were typed."""

    def __init__(self) -> None:
        self.held: list[events.Key] = []

    def keep(self, event: events.Key) -> None:
        self.held.append(events.Key(event.key, event.character))

    def take(self) -> list[events.Key]:
        held, self.held = self.held, []
        return held

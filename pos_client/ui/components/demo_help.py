"""Demo mode's cheat sheet: cards to type and the keys to press."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

KEYS = (
    ("F9", "simulate a scan"),
    ("F2", "earn on the amount"),
    ("F3", "redeem points"),
    ("F4", "refund a receipt"),
    ("Esc", "next customer"),
    ("F8", "cut/restore network"),
)


class DemoHelp(Static):
    """Lists :attr:`cards` (set by the screen once the till has read them) and keys."""

    cards: reactive[tuple[str, ...]] = reactive(())

    def on_mount(self) -> None:
        self.border_title = "Demo"
        self._redraw()

    def watch_cards(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        text = Text("Try these cards:\n", style="bold")
        for card in self.cards or ("…",):
            text.append(f" {card}\n")
        for key, what in KEYS:
            text.append(f"\n{key:<4}", style="bold")
            text.append(what)
        self.update(text)

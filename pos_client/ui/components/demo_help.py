"""Demo mode's cheat sheet: cards and products to type, and the keys to press."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from pos_client.demo_staff import staff_help

KEYS = (
    ("F1 ", "manager mode"),
    ("F9 ", "scan a member"),
    ("F10", "scan a product"),
    ("F2 ", "finish the sale"),
    ("F3 ", "use the balance"),
    ("F4 ", "refund lines"),
    ("F5 ", "use a reward"),
    ("F6 ", "quick keys"),
    ("F7 ", "record an action"),
    ("F8 ", "cut the network"),
    ("F11", "scan a voucher"),
    ("F12", "ledger: settle"),
    ("^O ", "member's app QR"),
)


class DemoHelp(Static):
    """Lists :attr:`cards` and :attr:`products` (set by the screen once the till has
    read them) and the keys."""

    cards: reactive[tuple[str, ...]] = reactive(())
    products: reactive[tuple[tuple[str, str], ...]] = reactive(())

    def on_mount(self) -> None:
        self.border_title = "Demo"
        self._redraw()

    def watch_cards(self) -> None:
        self._redraw()

    def watch_products(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        text = Text("Cards to type:\n", style="bold")
        for card in self.cards[:2] or ("…",):
            text.append(f"{card}\n")
        if self.products:
            text.append("Products:\n", style="bold")
            for sku, name in self.products[:2]:
                text.append(f"{sku} {name[:6]}\n")
        text.append("Staff, PIN:\n", style="bold")
        for line in staff_help():
            text.append(f"{line}\n")
        for key, what in KEYS:
            text.append(f"{key} ", style="bold")
            text.append(f"{what}\n")
        self.update(text)

"""The basket being sold, line by line with what each earns; or the last receipt.

The screen calls :meth:`BasketPanel.show_sale` (the basket as the Till evaluated it)
or :meth:`BasketPanel.show_receipt` (after a sale is recorded, until the next line or
customer). The cashier moves through lines with the arrow keys (or a click) and
changes the one under the cursor: ``+``/``-`` its quantity, Delete removes it, ``f``
sets or clears the programme's line flag (``own_cup``); each change is a message up
to the App.

Why not Textual's DataTable: any change to a DataTable invalidates every cached
cell, and re-rendering a screenful of cells through Rich took longer than the whole
budget of a scan (a scan redraws the basket for the member's figures). Here each row
is formatted once into plain text when the basket changes, and drawing a line is one
styled segment: the header stays put, the rows scroll under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from pos_client.ui import formatting
from pos_client.ui.messages import LineChangeRequested
from pos_client.views import Receipt, SaleView

COLUMNS = (("#", 2), ("Item", 15), ("Qty", 3), ("Paid", 9), ("Earns", 15))
"""The narrowest widths: they fit beside the demo's help panel at 80 columns; money
without its currency (the totals line under the basket names it)."""
WIDENED = (1, 4)
"""The Item and Earns columns share whatever width the panel has beyond that."""


def column_widths(available: int) -> tuple[int, ...]:
    """Each column's width in a panel ``available`` cells wide (never narrower than
    :data:`COLUMNS`)."""
    widths = [width for _, width in COLUMNS]
    extra = max(0, available - row_width(widths))
    for position, share in zip(WIDENED, (extra // 2, extra - extra // 2), strict=True):
        widths[position] += share
    return tuple(widths)


def row_width(widths: Sequence[int]) -> int:
    """Each cell has one space of padding on either side."""
    return sum(width + 2 for width in widths)


def format_row(cells: Sequence[str], widths: Sequence[int]) -> str:
    """One row as the panel draws it: each cell cut or padded to its column."""
    return "".join(
        f" {set_cell_size(cell, width)} " for cell, width in zip(cells, widths, strict=True)
    )


EMPTY_HINT = "scan products or type an amount"
"""The basket's subtitle while it holds no line."""


class BasketPanel(ScrollView, can_focus=True):
    """The basket's lines (or a receipt's), one row each, under a fixed header."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-10)", "Page up", show=False),
        Binding("pagedown", "cursor(10)", "Page down", show=False),
        Binding("home", "cursor(-100000)", "First", show=False),
        Binding("end", "cursor(100000)", "Last", show=False),
        Binding("plus,equals_sign", "change('more')", "More", show=False),
        Binding("minus", "change('fewer')", "Fewer", show=False),
        Binding("delete", "change('remove')", "Remove", show=False),  # not Backspace:
        # a cashier correcting a typed code must not remove a line by mistake
        Binding("f", "flag", "Flag", show=False),
    ]
    OWN_KEYS: ClassVar[frozenset[str]] = frozenset({"plus", "equals_sign", "minus", "f"})
    """Printable keys the basket acts on; any other printable key typed here starts a
    code for the Scan field (:meth:`CashierScreen.starts_code`)."""
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "basket--header",
        "basket--row",
        "basket--even-row",
        "basket--cursor",
    }
    DEFAULT_CSS = """
    BasketPanel {
        background: $surface;
        color: $foreground;
        &:focus { background-tint: $foreground 5%; }
        & > .basket--header { text-style: bold; background: $panel; color: $foreground; }
        & > .basket--even-row { background: $surface-lighten-1 50%; }
        & > .basket--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .basket--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sale: SaleView | None = None
        self.receipt_shown = False
        self.cursor_row = 0
        self._rows: list[tuple[str, ...]] = []
        self._texts: list[str] = []
        self._style_cache: tuple[Style, dict[str, Style]] | None = None
        self._widths = column_widths(0)
        self._header = format_row([label for label, _ in COLUMNS], self._widths)

    def on_mount(self) -> None:
        self.border_title = "Basket"
        self.border_subtitle = ""

    # --- what the table holds ---------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def get_row_at(self, index: int) -> tuple[str, ...]:
        """The cells of row ``index`` as shown (before cutting to the column)."""
        return self._rows[index]

    def _set_rows(self, rows: list[tuple[str, ...]]) -> None:
        self._rows = rows
        self._texts = [format_row(row, self._widths) for row in rows]
        self.virtual_size = Size(row_width(self._widths), len(rows) + 1)
        self.refresh()

    def on_resize(self) -> None:
        """Item names and what lines earn get the width the panel has (the rows are
        formatted again only when the columns change)."""
        widths = column_widths(self.scrollable_content_region.width)
        if widths != self._widths:
            self._widths = widths
            self._header = format_row([label for label, _ in COLUMNS], widths)
            self._set_rows(self._rows)

    def clear(self) -> None:
        """No lines (the next customer)."""
        self.sale, self.receipt_shown, self.cursor_row = None, False, 0
        self._set_rows([])
        self.scroll_to(y=0, animate=False)
        self.border_title = "Basket"
        self.border_subtitle = EMPTY_HINT

    def show_sale(self, sale: SaleView) -> None:
        """Draw the basket. A new line takes the cursor; a changed line keeps it."""
        before = 0 if self.sale is None or self.receipt_shown else len(self.sale.lines)
        self.sale, self.receipt_shown = sale, False
        info = sale.programme
        rows: list[tuple[str, ...]] = []
        for line in sale.lines:
            name = line.name + (" [" + ",".join(line.flags) + "]" if line.flags else "")
            earns = formatting.earned_text(line.wallets, line.stamps, info, short=True)
            paid = formatting.amount(line.paid_minor, sale.currency)
            rows.append((str(line.line), name, str(line.qty), paid, earns))
        self._set_rows(rows)
        if rows:
            grew = len(rows) > before
            self.move_cursor(row=len(rows) - 1 if grew else min(self.cursor_row, len(rows) - 1))
        count = f"{len(rows)} line{'s' if len(rows) != 1 else ''}"
        self.border_title = f"Basket ({count})" if rows else "Basket"
        flags = info.line_flags if info else ()
        hints = "+/- qty  Del remove" + (f"  f {flags[0]}" if flags else "")
        self.border_subtitle = hints if rows else EMPTY_HINT

    def show_receipt(self, receipt: Receipt) -> None:
        """Show what was just recorded, until the next line or customer."""
        self.receipt_shown = True
        currency = receipt.amount.currency
        info = receipt.programme
        self._set_rows(
            [
                (
                    str(line.line),
                    line.name,
                    str(line.qty),
                    formatting.amount(line.paid_minor, currency),
                    formatting.earned_text(line.wallets, line.stamps, info, short=True),
                )
                for line in receipt.lines
            ]
        )
        self.move_cursor(row=0)
        self.border_title = f"Receipt {receipt.receipt_no} ({formatting.kind_label(receipt.kind)})"
        self.border_subtitle = "recorded"

    # --- the cursor -------------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        """Put the cursor on ``row`` (kept within the rows) and scroll it into view."""
        self.cursor_row = max(0, min(row, len(self._rows) - 1))
        visible = max(self.scrollable_content_region.height - 1, 1)  # under the header
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)
        self.refresh()

    def action_cursor(self, step: int) -> None:
        if self._rows:
            self.move_cursor(self.cursor_row + step)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(self.scroll_offset.y + event.y - 1)

    # --- drawing ----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """Line 0 is the header; the rows scroll under it."""
        width = self.scrollable_content_region.width
        if y == 0:
            text, style_name = self._header, "basket--header"
        else:
            row = self.scroll_offset.y + y - 1
            if row >= len(self._texts):
                return Strip.blank(width, self._styles()[0])
            text = self._texts[row]
            if row == self.cursor_row and not self.receipt_shown:
                style_name = "basket--cursor"
            else:
                style_name = "basket--even-row" if row % 2 else "basket--row"
        base, styles = self._styles()
        strip = Strip([Segment(text, styles[style_name])], row_width(self._widths))
        x = self.scroll_offset.x
        return strip.crop(x, x + width).extend_cell_length(width, base)

    def _styles(self) -> tuple[Style, dict[str, Style]]:
        """The widget's style and each row kind's, worked out once per style change
        (working them out per line cost more than drawing the line)."""
        if self._style_cache is None:
            base = self.rich_style
            names = self.COMPONENT_CLASSES
            self._style_cache = base, {n: base + self.get_component_rich_style(n) for n in names}
        return self._style_cache

    def notify_style_update(self) -> None:
        """Focus, theme or stylesheet changed: the row styles are worked out again."""
        self._style_cache = None
        super().notify_style_update()

    # --- changing a line --------------------------------------------------------------

    def _current_line(self) -> int | None:
        if self.receipt_shown or self.sale is None or not self.sale.lines or not self._rows:
            return None
        return self.sale.lines[min(self.cursor_row, len(self.sale.lines) - 1)].line

    def action_change(self, change: str) -> None:
        line = self._current_line()
        if line is not None:
            self.post_message(LineChangeRequested(line, change))

    def action_flag(self) -> None:
        line = self._current_line()
        info = self.sale.programme if self.sale else None
        if line is not None and info is not None and info.line_flags:
            self.post_message(LineChangeRequested(line, f"flag:{info.line_flags[0]}"))

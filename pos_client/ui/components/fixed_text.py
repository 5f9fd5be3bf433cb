"""A block of text in a widget whose size the stylesheet fixes.

Textual's ``Static.update`` asks for a new layout of the whole screen on every
change, in case the new text needs another size. The member panel and the totals
change on every scan but never change size (till.tcss fixes their height), so they
repaint themselves alone: that layout and the full-screen redraw after it were most
of a scan's work on the UI thread.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class FixedText(Widget):
    """Shows :meth:`update`'s text, each line unwrapped and cut at the widget's edge;
    the stylesheet must fix its height."""

    DEFAULT_CSS = """
    FixedText {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;  /* with nowrap: lines are cut, not wrapped */
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()

    def update(self, text: Text | str) -> None:
        """Show ``text``, each line cut at the widget's width (never wrapped: a
        wrapped line would push the next off the fixed height); repaints this widget
        only."""
        self._text = text if isinstance(text, Text) else Text(text)
        self.refresh()

    def render(self) -> Text:
        return self._text

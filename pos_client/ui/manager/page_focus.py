"""Focus inside the manager's pages, without a page taking the manager back to it.

Textual applies ``Widget.focus`` after the messages already queued, and a widget of
a tab that takes the focus brings its tab back (``TabPane.Focused``, itself a
message handled later). So a page that asked for the focus (on opening, or when its
figures arrived from a till call) could take the manager back to it after they had
already moved to another page with F1-F4. Two rules prevent it:

* :func:`focus_in_page` gives the focus only if the page is still shown when the
  focus is applied;
* :class:`ManagerPages` brings a tab back for a focused widget only if that widget
  still has the focus when the message is handled (the page switch clears the
  focus first: ``ManagerScreen.action_page``).
"""

from __future__ import annotations

import contextlib

from textual.dom import NoScreen
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane


def focus_in_page(widget: Widget) -> None:
    """Focus ``widget`` after the queued messages, if it is still shown then."""

    def apply() -> None:
        if not all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget)):
            return  # its page was left meanwhile
        with contextlib.suppress(NoScreen):  # the manager screen was closed meanwhile
            widget.screen.set_focus(widget)

    widget.app.call_later(apply)


class ManagerPages(TabbedContent):
    """The manager's pages; a tab comes back for a focused widget only while it
    still holds the focus (see the module doc)."""

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        focused = self.screen.focused
        if focused is None or event.tab_pane not in focused.ancestors:
            event.stop()  # the focus has moved on since: a page switch wins
            return
        super()._on_tab_pane_focused(event)

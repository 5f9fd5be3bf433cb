"""Where the cashier reads what went wrong (or what happened instead)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.reactive import reactive
from textual.widgets import Static


@dataclass(frozen=True)
class Notice:
    """A sentence for the cashier; errors are drawn so they cannot be missed."""

    text: str
    is_error: bool = True


class NoticeLine(Static):
    """Shows :attr:`notice`: an error's message in the cashier's words, or nothing."""

    notice: reactive[Notice | None] = reactive(None)

    def watch_notice(self, notice: Notice | None) -> None:
        self.set_class(notice is not None and notice.is_error, "-error")
        self.set_class(notice is not None and not notice.is_error, "-info")
        self.update("" if notice is None else notice.text)

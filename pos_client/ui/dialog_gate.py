"""One dialog at a time, and scans that arrive meanwhile wait for it.

A dialog is open, or about to open (its till call is on its way), while the gate is
shut. A scan that arrives then is held, not dropped and not fed to the dialog, and
is applied in arrival order once the dialog closes. A second dialog asked for while
one is open is ignored (a key pressed twice opens one dialog).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from textual.screen import Screen

from pos_client.ui.till_calls import TillCall


class _App(Protocol):
    def submit_scan(self, text: str, source: str) -> None: ...
    def push_screen(self, screen: Screen[Any], callback: Callable[[Any], None]) -> Any: ...
    def after_dialog(self) -> None: ...
    def run_call(self, operation: str, call: TillCall) -> None: ...


class DialogGate:
    """The App's dialogs and the scans held while one is open."""

    def __init__(self, app: _App) -> None:
        self._app = app
        self.shut = False
        """A dialog is open or its till call is on its way."""
        self._held: list[tuple[str, str]] = []

    def hold(self, text: str, source: str) -> bool:
        """Keep the scan for later if a dialog is open; True when it was kept."""
        if self.shut:
            self._held.append((text, source))
        return self.shut

    def expect(self, operation: str, call: TillCall) -> None:
        """Run a call whose answer opens a dialog; scans wait from now on."""
        if self.shut:
            return
        self.shut = True
        self._app.run_call(operation, call)

    def expected_failed(self) -> None:
        """The call that was to open a dialog failed: nothing opens after all."""
        self.shut = False
        self.release()

    def show(
        self, dialog: Screen[Any], answered: Callable[[Any], None], expected: bool = False
    ) -> None:
        """Push ``dialog``; ``answered`` gets its result, then held scans apply.

        ``expected``: the dialog answers a call started with :meth:`expect`.
        """
        if self.shut and not expected:
            return
        self.shut = True

        def closed(result: Any) -> None:
            self.shut = False
            answered(result)
            self.release()
            if not self.shut:
                self._app.after_dialog()

        self._app.push_screen(dialog, closed)

    def release(self) -> None:
        """Apply the scans held while a dialog was open, in arrival order."""
        if self.shut:
            return
        held, self._held = self._held, []
        for text, source in held:
            self._app.submit_scan(text, source)

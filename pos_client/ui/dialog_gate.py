"""One dialog at a time, and scans that arrive meanwhile wait for it.

A dialog is open, or about to open (its till call is on its way), while the gate is
shut. A scan that arrives then is held, not dropped and not fed to the dialog, and
is applied in arrival order once the dialog closes. Keys typed while the dialog is
on its way (F3 then the points at once) are the dialog's: they are replayed into it
once it is on screen. A second dialog asked for while one is open is ignored (a key
pressed twice opens one dialog).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from textual import events
from textual.message import Message
from textual.screen import Screen

from pos_client.ui.till_calls import TillCall

REPLAY_TRIES = 10
"""Refreshes to wait for a dialog to focus its field before its keys are replayed."""


class _App(Protocol):
    def submit_scan(self, text: str, source: str) -> None: ...
    def post_message(self, message: Message) -> bool: ...
    def call_after_refresh(self, callback: Callable[[], Any]) -> bool: ...
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
        self._keys: list[events.Key] = []
        self._open: Screen[Any] | None = None
        """The dialog on screen, if any."""

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

    @property
    def keeps_keys(self) -> bool:
        """Keys typed now are kept for the dialog: it is on its way, or on screen with
        earlier keys not yet replayed into it (a key typed now must not overtake them)."""
        return self.shut and (self._open is None or bool(self._keys))

    def keep_key(self, event: events.Key) -> None:
        """A key typed while the dialog is on its way: it is the dialog's."""
        self._keys.append(events.Key(event.key, event.character))

    def adopt_keys(self, keys: list[events.Key]) -> None:
        """Keys typed after the key that opened the dialog, held by the screen until
        it was handled: they come before any kept since, and go to the dialog."""
        self._keys[:0] = keys
        if self._keys and self._open is not None:  # already on screen
            dialog = self._open
            self._app.call_after_refresh(lambda: self._replay_keys(dialog, REPLAY_TRIES))

    def expected_failed(self) -> list[events.Key]:
        """The call that was to open a dialog failed: nothing opens after all. The
        held scans apply; the keys typed for the dialog are handed back, for the App
        to replay where the failure puts the focus (a scan typed after a refused F5
        still scans)."""
        self.shut = False
        keys, self._keys = self._keys, []
        self.release()
        return keys

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
            self._open = None
            answered(result)
            self.release()
            if not self.shut:
                self._app.after_dialog()

        self._app.push_screen(dialog, closed)
        self._open = dialog
        if self._keys:
            self._app.call_after_refresh(lambda: self._replay_keys(dialog, REPLAY_TRIES))

    def _replay_keys(self, dialog: Screen[Any], tries: int) -> None:
        """Keys typed before the dialog was on screen go to it, in order, once its
        field has the focus (a dialog focuses its field as it mounts)."""
        if dialog.focused is None and tries > 0:
            self._app.call_after_refresh(lambda: self._replay_keys(dialog, tries - 1))
            return
        keys, self._keys = self._keys, []
        for key in keys:
            self._app.post_message(key)

    def release(self) -> None:
        """Apply the scans held while a dialog was open, in arrival order."""
        if self.shut:
            return
        held, self._held = self._held, []
        for text, source in held:
            self._app.submit_scan(text, source)

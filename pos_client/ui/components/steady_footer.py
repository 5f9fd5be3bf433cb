"""Textual's footer, rebuilt only when the keys it shows change.

Textual's :class:`~textual.widgets.Footer` rebuilds all its key widgets whenever the
screen's bindings may have changed: every focus move and every
``refresh_bindings()``. The cashier screen moves the focus several times a scan (keys
typed during a lookup are held in their own widget), so that rebuild cost a scan more
than everything else on the UI thread; and each rebuilt key stays bound to the footer
(``data_bind``), so memory grew with every scan.

This footer keeps its key widgets while the same keys are shown and only marks each
enabled or disabled in place (a key that needs a member is dimmed while none is
selected). It rebuilds when the keys themselves change (another screen's bindings).
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

ShownKey = tuple[str, str, str]
"""(key, description, action) of one key the footer shows."""


class SteadyFooter(Footer):
    """A compact footer whose keys are rebuilt only when they change."""

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)
        self._shown: tuple[ShownKey, ...] | None = None

    def _keys(self, screen: Screen[object]) -> tuple[list[ShownKey], list[bool]]:
        """The keys as :meth:`Footer.compose` shows them: one per action, in binding
        order, with whether each is enabled."""
        keys: list[ShownKey] = []
        enabled: list[bool] = []
        seen: set[str] = set()
        for _, binding, is_enabled, _ in screen.active_bindings.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                keys.append((binding.key, binding.description, binding.action))
                enabled.append(is_enabled)
        return keys, enabled

    def bindings_changed(self, screen: Screen[object]) -> None:
        if not (self.is_attached and screen is self.screen):
            return
        keys, enabled = self._keys(screen)
        widgets = list(self.query(FooterKey))
        if self._shown == tuple(keys) and len(widgets) == len(keys):
            for widget, on in zip(widgets, enabled, strict=True):
                if widget._disabled == on:
                    widget._disabled = not on  # what a click checks
                    widget.set_class(not on, "-disabled")
            return
        self._bindings_ready = True
        if screen.app.app_focus:  # as Footer: a terminal without focus redraws later
            self._shown = tuple(keys)
            self.call_after_refresh(self.recompose)

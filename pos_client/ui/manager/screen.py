"""Manager mode: four pages behind a manager's PIN, back to the cashier when idle.

F1 to F4 switch between the pages (members, the day, the sync queue, enrolment);
F5 to F7 are the current page's actions, shown in the footer; Esc goes back to the
cashier, as does :data:`pos_client.ui.app.MANAGER_IDLE_SECONDS` without a key
pressed (the App closes manager mode; the cashier stays signed in). A scan in
manager mode goes to the page: a member card searches for its member, on the
enrolment page it is ignored with a notice.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from pos_client.ui.manager.day import DayPage
from pos_client.ui.manager.enrol import EnrolPage
from pos_client.ui.manager.members import MembersPage
from pos_client.ui.manager.page_focus import ManagerPages
from pos_client.ui.manager.queue import QueuePage


class Page(Protocol):
    """A manager page: refreshed when shown, its F5-F7 actions, scans."""

    def refresh_page(self) -> None: ...
    def page_action(self, number: int) -> None: ...
    def take_scan(self, text: str) -> None: ...


PAGES = (("members", "F1 Members"), ("day", "F2 Day"), ("queue", "F3 Queue"), ("enrol", "F4 Enrol"))


class ManagerScreen(Screen[None]):
    """The manager's pages; dismissed (None) to go back to the cashier."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Cashier", key_display="Esc"),
        Binding("f1", "page('members')", "Members", key_display="F1", show=False),
        Binding("f2", "page('day')", "Day", key_display="F2", show=False),
        Binding("f3", "page('queue')", "Queue", key_display="F3", show=False),
        Binding("f4", "page('enrol')", "Enrol", key_display="F4", show=False),
        Binding("f5", "act(5)", "Action", key_display="F5", show=False),
        Binding("f6", "act(6)", "Action", key_display="F6", show=False),
        Binding("f7", "act(7)", "Action", key_display="F7", show=False),
    ]
    DEFAULT_CSS = """
    ManagerScreen TabPane { padding: 0; }
    """

    def __init__(self, manager_name: str, manager_id: str, idle_minutes: float) -> None:
        super().__init__()
        self.manager_name = manager_name
        self.manager_id = manager_id
        self.idle_minutes = idle_minutes

    def compose(self) -> ComposeResult:
        yield Header()
        with ManagerPages(initial="members", id="pages"):
            with TabPane(PAGES[0][1], id="members"):
                yield MembersPage(id="members-page")
            with TabPane(PAGES[1][1], id="day"):
                yield DayPage(id="day-page")
            with TabPane(PAGES[2][1], id="queue"):
                yield QueuePage(id="queue-page")
            with TabPane(PAGES[3][1], id="enrol"):
                yield EnrolPage(id="enrol-page")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Manager mode · {self.manager_name} ({self.manager_id})"
        self.sub_title = f"cashier after {self.idle_minutes:g} min idle"
        self.query_one(MembersPage).focus_search()

    @property
    def page(self) -> Page:
        active = self.query_one("#pages", TabbedContent).active or "members"
        page: Any = self.query_one(f"#{active}-page")
        return page  # type: ignore[no-any-return]

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.page.refresh_page()
        self.refresh_bindings()

    def action_page(self, name: str) -> None:
        self.set_focus(None)  # the page opened takes it (ManagerPages)
        self.query_one("#pages", TabbedContent).active = name

    def action_act(self, number: int) -> None:
        self.page.page_action(number)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "act":
            return self.page_has(int(str(parameters[0]))) if parameters else True
        return True

    def page_has(self, number: int) -> bool:
        labels: dict[int, str] = getattr(self.page, "ACTIONS", {})
        return number in labels

    def take_scan(self, text: str) -> None:
        self.page.take_scan(text)

    def action_leave(self) -> None:
        self.dismiss(None)

"""The demo's web accounts: who signs in to the demo ledger's pages at ``/admin/``.

Head office sees the whole chain; the store manager sees the demo store (the demo
till's store id). The demo ledger gets them once with ``pos-ledger web-account add``,
passwords on stdin; ``make demo`` prints the address and these sign-ins, because a
person trying the demo has no other way to learn them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoWebAccount:
    login: str
    name: str
    role: str
    password: str
    store: str = ""

    @property
    def words(self) -> str:
        scope = "head office" if not self.store else f"store manager of {self.store}"
        return f"{self.login} / {self.password} ({scope})"


def demo_web_accounts(store: str) -> tuple[DemoWebAccount, ...]:
    """Head office, and the manager of ``store`` (the demo till's store id)."""
    return (
        DemoWebAccount("office", "Olga Office", "head_office", "demo-office-pages"),
        DemoWebAccount("store", "Sture Store", "store_manager", "demo-store-pages", store),
    )


def admin_lines(url: str, accounts: tuple[DemoWebAccount, ...]) -> list[str]:
    """What the demo prints about the web pages: the address and each sign-in."""
    lines = [f"Head office web pages: {url}/admin/"]
    lines += [f"  sign in as {account.words}" for account in accounts]
    return lines

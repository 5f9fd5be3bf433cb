"""The cashier's main flow, driven by key presses against a real Till."""

from __future__ import annotations

from textual.widgets import Input
from textual.widgets._footer import FooterKey

from loyalty.events import EventKind
from pos_client.ui.components.member_panel import MemberPanel
from pos_client.ui.components.receipt_panel import ReceiptPanel


def panel_text(app, widget_type) -> str:
    return str(app.cashier.query_one(widget_type).render())


def footer_key(app, action: str) -> FooterKey:
    return next(key for key in app.cashier.query(FooterKey) if key.action == action)


async def test_scan_earn_redeem_updates_balance_and_journal(
    make_app, till, cards, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_workers(pilot)
        await pilot.press(*cards.nora, "enter")
        await wait_for_workers(pilot)
        assert app.cashier.member is not None
        assert "Nora Hansen" in panel_text(app, MemberPanel)
        assert "1 250 points" in panel_text(app, MemberPanel)
        assert app.focused is app.cashier.query_one("#amount")

        await pilot.press(*"149.90", "f2")
        await wait_for_workers(pilot)
        assert "1 399 points" in panel_text(app, MemberPanel)
        assert "(of which +149 not yet synced)" in panel_text(app, MemberPanel)
        assert "TEST-T1-000001" in panel_text(app, ReceiptPanel)
        assert app.focused is app.cashier.query_one("#scan")

        await pilot.press("tab", "tab", *"200", "f3")
        await wait_for_workers(pilot)
        dialog = app.screen
        assert "Redeem 200 points for Nora Hansen?" in dialog.question()
        assert "Discount: 20.00 NOK" in dialog.question()
        await pilot.press("y")
        await wait_for_workers(pilot)

        assert "1 199 points" in panel_text(app, MemberPanel)
        assert "(of which -51 not yet synced)" in panel_text(app, MemberPanel)
        assert "Redeem" in panel_text(app, ReceiptPanel)
        assert "Discount 20.00 NOK" in panel_text(app, ReceiptPanel)
        assert app.focused is app.cashier.query_one("#scan")

    journal = list(till.store.journal.iterate())
    assert [(e.kind, e.card, e.postings.get("points")) for e in journal] == [
        (EventKind.SALE, cards.nora, 149),
        (EventKind.REDEEM, cards.nora, -200),
    ]
    assert journal[1].get("discount_minor") == 2000
    assert [r.receipt_no for r in till.last_receipts(5)] == ["TEST-T1-000002", "TEST-T1-000001"]


async def test_earn_and_redeem_are_disabled_without_a_member(make_app, till, wait_for_workers):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_workers(pilot)
        assert footer_key(app, "earn").has_class("-disabled")
        assert footer_key(app, "redeem").has_class("-disabled")
        assert not footer_key(app, "refund").has_class("-disabled")

        await pilot.press("tab", *"100", "f2", "f3")
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert app.cashier.query_one("#amount", Input).value == "100"
    assert till.store.journal.tip()[0] == 0


async def test_bindings_enable_once_a_member_is_scanned(
    make_app, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_field(pilot, "#scan", cards.nora)
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert not footer_key(app, "earn").has_class("-disabled")
        assert not footer_key(app, "redeem").has_class("-disabled")


async def test_next_customer_clears_the_member_and_disables_earn(
    make_app, till, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_field(pilot, "#scan", cards.nora)
        await pilot.press("enter")
        await wait_for_workers(pilot)
        await fill_field(pilot, "#amount", "50")
        await pilot.press("f2")
        await wait_for_workers(pilot)
        await pilot.press("escape")
        await wait_for_workers(pilot)
        assert app.cashier.member is None
        assert till.member is None
        assert "Nora" not in panel_text(app, MemberPanel)
        assert "No transaction yet." in panel_text(app, ReceiptPanel)
        assert footer_key(app, "earn").has_class("-disabled")


async def test_status_bar_counts_pending_events(make_app, cards, fill_field, wait_for_workers):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_workers(pilot)
        status = app.cashier.query_one("#status")
        assert "pending: 0" in str(status.render())
        assert "OFFLINE (no ledger configured)" in str(status.render())
        await fill_field(pilot, "#scan", cards.nora)
        await pilot.press("enter")
        await wait_for_workers(pilot)
        await fill_field(pilot, "#amount", "10")
        await pilot.press("f2")
        await wait_for_workers(pilot)
        assert "pending: 1" in str(status.render())

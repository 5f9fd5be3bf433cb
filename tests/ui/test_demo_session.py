"""`pos-client demo` as a newcomer sees it: a real ledger process, a simulated serial
scanner, and a key that cuts the network so offline work and the catch-up show."""

from __future__ import annotations

import re

import httpx

from pos_client.cli import main
from pos_client.demo import start_demo
from pos_client.demo_staff import DEMO_CASHIER, DEMO_MANAGER, DEMO_STAFF
from pos_client.ui.app import TillApp

from .test_serial_scanner_ui import status_text, wait_until

LATTE = "7038010009457"
"""A coffee of the demo catalogue (pos_client/demo_data/products.csv)."""


async def test_demo_scans_over_serial_works_offline_and_catches_up(tmp_path, wait_for_workers):
    session = start_demo(tmp_path / "demo")
    ledger_process = session.ledger.process if session.ledger else None
    try:
        assert session.ledger is not None, session.notice
        assert session.till.store.members.count() == 200  # pulled from the demo ledger
        app = TillApp(session.till, demo=True, scanner=session.scanner, simulator=session.simulator)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: "ready" in status_text(app), "scanner ready")
            await wait_until(pilot, lambda: "ONLINE" in status_text(app), "ledger online")

            await pilot.press("f9")  # a random member, through the pty and the reader
            await wait_until(pilot, lambda: app.cashier.member is not None, "member shown")
            await pilot.press(*"100", "f2")
            await wait_for_workers(pilot)
            await wait_until(pilot, lambda: "pending: 0" in status_text(app), "earn synced")

            await pilot.press("f8")  # cut the network
            await wait_until(pilot, lambda: "OFFLINE" in status_text(app), "offline shown")
            await pilot.press("tab", *"50", "f2")  # same member, next purchase
            await wait_for_workers(pilot)
            await wait_until(pilot, lambda: "pending: 1" in status_text(app), "pending offline")

            await pilot.press("f8")  # restore: the till catches up at once
            await wait_until(
                pilot,
                lambda: "ONLINE" in status_text(app) and "pending: 0" in status_text(app),
                "catch-up after restore",
            )
        assert session.till.status().pending_events == 0
        assert session.till.store.verify() == 2
    finally:
        session.close()
    assert ledger_process is not None and ledger_process.poll() is not None


def test_a_second_start_reuses_the_ledger_and_the_till(tmp_path):
    first = start_demo(tmp_path / "demo")
    token = first.ledger.token_file.read_text() if first.ledger else ""
    first.close()
    again = start_demo(tmp_path / "demo")
    try:
        assert again.ledger is not None
        assert again.ledger.token_file.read_text() == token
        assert again.till.store.members.count() == 200
    finally:
        again.close()


def test_the_demo_runs_an_example_programme_with_its_catalogue(tmp_path):
    session = start_demo(tmp_path / "demo", "coffee")
    try:
        till = session.till
        assert session.ledger is not None, session.notice
        assert till.version().programme.name == "Coffee club"  # published and pulled
        assert till.store.catalogue.product_count() == 16
        till.scan(till.store.members.sample_cards(1)[0])
        for _ in range(9):
            till.add_product(LATTE)
        receipt = till.finish_sale()
        assert receipt.rewards_issued == ("free-coffee",)
        assert till.link is not None and till.link.sync_now().pushed == 1
    finally:
        session.close()
    again = start_demo(tmp_path / "demo", "sephora")
    try:
        assert again.till.version().programme.name == "Beauty Insider"
        found = [again.till.lookup(c) for c in again.till.store.members.sample_cards(40)]
        # members with the made-up Starbucks past keep the tier their receipts gave
        # until their next receipt; the others hold the tier the import gave them
        tiers = {m.tier for m in found if not m.total("stars")}
        assert tiers <= {"insider", "vib", "rouge"} and len(tiers) > 1
    finally:
        again.close()
    default = start_demo(tmp_path / "demo")  # no --programme: back to the default
    try:
        assert default.till.version().programme.name == "Points"
        assert default.till.version().programme.currency == "NOK"
    finally:
        default.close()


def test_an_unknown_example_programme_is_refused_with_the_names(capsys):
    assert main(["demo", "--programme", "nosuch"]) == 2
    error = capsys.readouterr().err
    assert "no example programme 'nosuch'" in error and "coffee" in error and "kiwi" in error


def test_without_the_examples_folder_the_demo_runs_the_built_in_default(tmp_path, monkeypatch):
    """Installed from a wheel there is no examples/: the demo still starts, under the
    built-in default programme (only --programme needs the examples)."""
    import pos_client.demo as demo

    monkeypatch.setattr(demo, "EXAMPLES", tmp_path / "no-examples")
    session = start_demo(tmp_path / "demo")
    try:
        assert session.till.version().programme.name == "Points"
    finally:
        session.close()


def _sell(till, card: str, amount: str) -> None:
    till.scan(card)
    till.add_amount(amount)
    till.finish_sale()
    assert till.link is not None
    till.link.sync_now()


def test_the_demo_shows_a_new_tier_a_voucher_issued_and_used_and_stars_expiring(tmp_path):
    """The three things between receipts the demo is for (README, "The demo")."""
    session = start_demo(tmp_path / "demo", "sephora")
    try:
        till = session.till
        card = next(
            c for c in till.store.members.sample_cards(50) if till.lookup(c).tier == "insider"
        )
        _sell(till, card, "400.00")  # 350 USD in a year: VIB from the next receipt
        till.link.sync_now()
        assert till.lookup(card).tier == "vib"
    finally:
        session.close()
    session = start_demo(tmp_path / "demo", "hm")
    try:
        till = session.till
        card = till.store.members.sample_cards(1)[0]
        _sell(till, card, "10.00")  # the push converts the points over 150 into vouchers
        member = till.lookup(card)
        assert member.vouchers and member.total("points") < 150
        till.scan(card)
        till.add_amount("20.00")
        till.scan_code(member.vouchers[0].number)
        receipt = till.finish_sale()
        assert receipt.amount.minor == 1700
        assert len(till.lookup(card).vouchers) == len(member.vouchers) - 1
    finally:
        session.close()
    session = start_demo(tmp_path / "demo", "starbucks")
    try:
        till = session.till
        cards = till.store.members.sample_cards(200)
        card = next(c for c in cards if till.lookup(c).total("stars"))  # one with a past
        before = till.lookup(card)
        assert before.total("stars") == 95 and before.expiring
        report = session.settle()
        assert "expired" in report and "stars" in report
        till.link.sync_now()
        after = till.lookup(card)
        assert after.total("stars") == 25
        assert [(e.amount, e.on.month) for e in after.expiring] == [
            (25, after.expiring[0].on.month)
        ]
    finally:
        session.close()


def test_a_demo_with_parked_events_has_its_staff_and_a_queue_to_resolve(tmp_path):
    session = start_demo(tmp_path / "demo", parked=True)
    try:
        till = session.till
        assert session.ledger is not None, session.notice
        assert till.signed_in is not None and till.signed_in.staff_id == DEMO_CASHIER.staff_id
        assert {s.staff_id for s in till.staff_list()} == {p.staff_id for p in DEMO_STAFF}
        (parked,) = till.sync_queue().parked
        assert (parked.seq, parked.kind, parked.code) == (1, "adjust", "malformed")
        assert "approval" in parked.reason
        till.resolve_parked(1, "Recorded by an old release without approval", DEMO_MANAGER.staff_id)
        till.link.sync_now()
        (second,) = till.sync_queue().parked
        assert second.seq == 2  # the next one parks in its turn
    finally:
        session.close()
    again = start_demo(tmp_path / "demo", parked=True)
    try:
        assert again.till.store.journal.tip()[0] == 2  # written once, never again
    finally:
        again.close()


async def test_the_demo_shows_a_members_app_qr_and_scans_it_over_serial(tmp_path):
    """Ctrl+O: the demo ledger issues a fresh app token; S sends it through the
    simulated scanner with ]Q1, and the till identifies its member offline-checked."""
    session = start_demo(tmp_path / "demo")
    try:
        assert session.ledger is not None, session.notice
        app = TillApp(
            session.till,
            demo=True,
            scanner=session.scanner,
            simulator=session.simulator,
            demo_member_qr=session.member_qr,
        )
        async with app.run_test(size=(100, 40)) as pilot:
            await wait_until(pilot, lambda: "ready" in status_text(app), "scanner ready")
            await pilot.press("ctrl+o")
            await wait_until(
                pilot, lambda: type(app.screen).__name__ == "MemberQrDialog", "QR shown"
            )
            await pilot.press("s")
            await wait_until(pilot, lambda: app.cashier.member is not None, "member shown")
        assert session.till.member is not None
        assert session.till._identified is not None  # by the token, not a card
        assert session.till._identified["via"] == "token"
    finally:
        session.close()


def test_the_demo_prints_the_head_office_pages_and_sign_ins_that_work(tmp_path):
    """`make demo` tells a newcomer where the web pages are and how to sign in; both
    printed sign-ins work on the demo ledger, and the store manager's is scoped to the
    demo till's store."""
    session = start_demo(tmp_path / "demo")
    try:
        lines = session.admin_lines()
        assert session.ledger is not None
        assert lines[0] == f"Head office web pages: {session.ledger.url}/admin/"
        sign_ins = [
            re.fullmatch(r"  sign in as (\S+) / (\S+) \((.+)\)", line) for line in lines[1:]
        ]
        assert [m.group(3) for m in sign_ins if m] == [
            "head office",
            f"store manager of {session.till.config.store_id}",
        ]
        for found in sign_ins:
            assert found is not None
            with httpx.Client(base_url=session.ledger.url) as client:
                form = client.get("/admin/sign-in").text
                csrf = re.search(r'name="csrf" value="([^"]+)"', form)
                assert csrf is not None
                answer = client.post(
                    "/admin/sign-in",
                    data={
                        "csrf": csrf.group(1),
                        "login": found.group(1),
                        "password": found.group(2),
                    },
                )
                assert answer.status_code == 303, answer.text
                assert "Sign out" in client.get("/admin/").text
    finally:
        session.close()

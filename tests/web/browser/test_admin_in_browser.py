"""Head office and a store manager at the ledger's pages in a real browser: signing
in, a member found and adjusted, an anomaly resolved, a programme version published
after its simulation, another store's member refused, and every page readable on a
phone. Screenshots of each step are kept under test-artefacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from ledger.anomaly_admin import list_anomalies
from tests.web.browser.conftest import NewPage, Shots
from tests.web.support import HEAD_OFFICE, PASSWORD, S1_MANAGER, WebLedger

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "programmes"


def sign_in(page: Page, site: WebLedger, login: str, shots: Shots | None = None) -> None:
    page.goto(f"{site.url}/admin/")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    if shots is not None:
        shots(page, "signed-in")


def member_id_of(site: WebLedger, card: str) -> str:
    with site.db.snapshot() as tx:
        row = tx.one("SELECT member_id FROM members WHERE card = ?", (card,))
    assert row is not None
    return str(row[0])


def test_head_office_signs_in_after_a_wrong_password_and_signs_out(
    site: WebLedger, new_page: NewPage, shots: Shots
):
    page = new_page()
    page.goto(f"{site.url}/admin/members")
    expect(page).to_have_url(f"{site.url}/admin/sign-in?next=/admin/members")
    page.get_by_label("Login").fill(HEAD_OFFICE)
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The login, password or code is not right.")
    shots(page, "wrong-password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site.url}/admin/members")
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    shots(page, "members")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{site.url}/admin/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shots(page, "signed-out")


def test_a_member_is_found_by_card_and_their_balance_adjusted(
    site: WebLedger, new_page: NewPage, shots: Shots
):
    (card,) = site.add_members(400)
    page = new_page()
    sign_in(page, site, HEAD_OFFICE)
    page.get_by_role("link", name="Members").first.click()
    page.get_by_label("Card, phone, name or member id").fill(card)  # htmx, as typed
    member_id = member_id_of(site, card)
    link = page.get_by_role("link", name=member_id)
    expect(link).to_be_visible()
    shots(page, "found")
    link.click()
    expect(page.locator("#accounts")).to_contain_text("points 400")
    page.get_by_label("Units (negative to take away)").fill("x")
    page.get_by_role("button", name="Adjust").click()
    expect(page.locator("#e-units")).to_have_text("A whole number, like 250 or -100.")
    shots(page, "refused")
    page.get_by_label("Units (negative to take away)").fill("-150")
    page.get_by_label("Reason").fill("Points given twice for receipt 981")
    page.get_by_role("button", name="Adjust").click()
    expect(page.get_by_role("status")).to_have_text("The adjustment is recorded.")
    expect(page.locator("#accounts")).to_contain_text("points 250")
    expect(page.locator("#history")).to_contain_text("web:hanne")
    shots(page, "adjusted")


def test_an_anomaly_is_resolved_from_the_queue(site: WebLedger, new_page: NewPage, shots: Shots):
    (card,) = site.add_members(0)
    till = site.till("S1")
    till.push([till.chain.earn(card, 10_000, points=999)])
    with site.db.snapshot() as tx:
        (anomaly,) = [a for a in list_anomalies(tx) if a.terminal_id == till.chain.terminal_id]
    page = new_page()
    sign_in(page, site, HEAD_OFFICE)
    page.get_by_role("link", name="Anomalies").first.click()
    article = page.locator(f"#a-{anomaly.anomaly_id}")
    expect(article).to_contain_text("Computation mismatch")
    shots(page, "queue")
    article.get_by_role("button", name="Resolve").click()
    expect(page.locator(f"#e-{anomaly.anomaly_id}")).to_contain_text("Say why")
    article = page.locator(f"#a-{anomaly.anomaly_id}")
    article.get_by_label("Reason").fill("Till software updated; points taken back")
    article.get_by_role("button", name="Resolve").click()
    expect(page.get_by_role("status")).to_contain_text("The anomaly is resolved")
    expect(page.locator(f"#a-{anomaly.anomaly_id}")).to_have_count(0)
    shots(page, "resolved")


def test_a_version_is_published_after_its_simulation(
    site: WebLedger, new_page: NewPage, shots: Shots
):
    (card,) = site.add_members(0)
    site.sales("S1", card, 12_000)
    candidate = (EXAMPLES / "points.toml").read_text(encoding="utf-8")
    candidate = candidate.replace('id = "points"', 'id = "points-browser"')
    page = new_page()
    sign_in(page, site, HEAD_OFFICE)
    page.get_by_role("link", name="Programme versions").first.click()
    shots(page, "versions")
    page.get_by_role("link", name="Publish a new version…").click()
    page.get_by_label("Programme document (TOML)").fill(candidate)
    page.get_by_label("Simulate the baskets recorded since").fill("2026-01-01")
    page.get_by_role("button", name="Simulate").click()
    expect(page.locator("#simulation-summary")).to_contain_text("recorded since 2026-01-01")
    shots(page, "simulated")
    page.get_by_role("button", name="Publish this version").click()
    expect(page.get_by_role("status")).to_have_text("Published. Tills take it at their next sync.")
    expect(page.locator("pre.document")).to_contain_text("points-browser")
    shots(page, "published")
    page.get_by_role("link", name="All versions").click()
    expect(page.get_by_role("table")).to_contain_text("points-browser")


def test_a_store_manager_is_refused_another_stores_member(
    site: WebLedger, new_page: NewPage, shots: Shots
):
    own, other = site.add_members(10, 20)
    site.sales("S1", own, 1_000)
    site.sales("S2", other, 1_000)
    page = new_page()
    sign_in(page, site, S1_MANAGER, shots)
    expect(page.get_by_role("link", name="Programme versions")).to_have_count(0)
    page.goto(f"{site.url}/admin/members/{member_id_of(site, other)}")
    expect(page.get_by_role("heading", name="Not yours to see")).to_be_visible()
    expect(page.locator("main")).to_contain_text("has not shopped at your stores")
    expect(page.locator("main")).not_to_contain_text(other)
    shots(page, "refused")
    page.goto(f"{site.url}/admin/members/{member_id_of(site, own)}")
    expect(page.locator("#member-facts")).to_contain_text(own)
    shots(page, "own-member")


def test_every_page_reads_on_a_phone_and_a_desktop(
    site: WebLedger, new_page: NewPage, shots: Shots
):
    (card,) = site.add_members(100)
    terminal = site.sales("S1", card, 5_000, operator="C1")
    member = member_id_of(site, card)
    pages = [
        "/admin/",
        "/admin/members?q=" + card,
        f"/admin/members/{member}",
        "/admin/anomalies?resolved=1",
        "/admin/terminals",
        f"/admin/terminals/{terminal}",
        "/admin/day?date=2026-11-25",
        "/admin/versions",
        "/admin/versions/1",
        "/admin/versions/new",
    ]
    overflowing = []
    for width, height, name in ((390, 844, "phone"), (1280, 900, "desktop")):
        page = new_page(width, height)
        sign_in(page, site, HEAD_OFFICE)
        for path in pages:
            answer = page.goto(site.url + path)
            assert answer is not None and answer.status == 200, path
            step = name + path.replace("/", "_").replace("?", "_")
            shots(page, step[:80])
            wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            if wide:
                overflowing.append(f"{name} {path}")
    assert overflowing == []

"""The merchant console in Chromium at 1440x900 (issue 5, first slice): the owner signs in, finds a paid order
and ships it; a customer-service account sees orders and products but no ship or shelf actions; a wrong
password is a clear message. Screenshots of the order list and order detail are kept (see conftest)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import REPO, SCREENSHOT_DIR, LiveServer
from tests.browser.shop import DemoShopper, staff_headers, staff_password

CONSOLE_DIR = REPO / "frontend" / "console" / "dist"


@pytest.fixture(autouse=True)
def _console_built() -> None:
    if not (CONSOLE_DIR / "index.html").is_file():
        pytest.fail(f"the console is not built at {CONSOLE_DIR}: run `make console` (make test does it)")


def sign_in(page: Page, server: LiveServer, username: str) -> None:
    page.goto("/console/")
    page.locator(".login-username input").fill(username)
    page.locator(".login-password input").fill(staff_password(server, username))
    page.locator(".login-submit").click()
    expect(page.locator(".menu-orders")).to_be_visible()


def shot(page: Page, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


def test_the_owner_ships_a_paid_order_from_the_console(desktop_page: Page, live_server: LiveServer) -> None:
    with live_server.api() as client:
        demo = DemoShopper.create(client, live_server)
        order_no = demo.pay(demo.place())
    page = desktop_page
    sign_in(page, live_server, "demo_owner")

    page.locator(".menu-orders").click()
    row = page.locator(f'.order-row[data-order-no="{order_no}"]')
    expect(row).to_be_visible()
    shot(page, "console-orders")
    row.click()
    expect(page.locator(".order-detail-page .order-status-tag")).to_contain_text("待发货")
    page.locator(".order-ship").click()
    page.locator(".ship-carrier").click()
    page.get_by_role("option", name="顺丰速运").click()
    page.locator(".ship-tracking input").fill("SF1234567890123")
    page.locator(".ship-confirm").click()
    expect(page.locator(".order-detail-page .order-status-tag")).to_contain_text("已发货")
    expect(page.locator(".order-timeline")).to_contain_text("发货")
    shot(page, "console-order-detail")

    with live_server.api() as client:
        detail = client.get(f"/api/admin/v1/orders/{order_no}", headers=staff_headers(client, live_server)).json()
    assert (detail["status"], detail["logistics"]["tracking_no"]) == ("shipped", "SF1234567890123")


def test_customer_service_sees_orders_and_products_without_ship_or_shelf_actions(
    desktop_page: Page, live_server: LiveServer
) -> None:
    with live_server.api() as client:
        demo = DemoShopper.create(client, live_server)
        order_no = demo.pay(demo.place())
    page = desktop_page
    sign_in(page, live_server, "demo_service")

    page.locator(".menu-orders").click()
    page.locator(f'.order-row[data-order-no="{order_no}"]').click()
    expect(page.locator(".order-detail-page .order-status-tag")).to_contain_text("待发货")
    expect(page.locator(".order-ship")).to_have_count(0)

    page.locator(".menu-products").click()
    expect(page.locator(".product-row").first).to_be_visible()
    expect(page.get_by_role("button", name="批量上架")).to_have_count(0)
    expect(page.get_by_role("button", name="批量下架")).to_have_count(0)


def test_a_wrong_password_says_so_and_stays_on_the_sign_in_page(desktop_page: Page, live_server: LiveServer) -> None:
    page = desktop_page
    page.goto("/console/")
    page.locator(".login-username input").fill("demo_operator")
    page.locator(".login-password input").fill("not-the-password-1")
    page.locator(".login-submit").click()
    expect(page.get_by_text("用户名或密码错误")).to_be_visible()
    expect(page.locator(".menu-orders")).to_have_count(0)


def test_the_order_list_pages_on_with_load_more(desktop_page: Page, live_server: LiveServer) -> None:
    with live_server.api() as client:
        demo = DemoShopper.create(client, live_server)
        for _ in range(3):
            demo.place()  # with the demo orders, more than one page of 20
    page = desktop_page
    sign_in(page, live_server, "demo_owner")
    page.locator(".menu-orders").click()
    expect(page.locator(".order-row")).to_have_count(20)
    page.locator(".load-more").click()
    expect(page.locator(".order-row")).not_to_have_count(20)
    numbers = page.locator(".order-row").evaluate_all("rows => rows.map(r => r.dataset.orderNo)")
    assert len(numbers) == len(set(numbers)) > 20  # the next page follows on, nothing repeated

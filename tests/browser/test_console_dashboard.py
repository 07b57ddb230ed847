"""The merchant console's home page (首页看板) in Chromium at 1440x900: the demo shop's owner signs in and lands
on the dashboard, whose tiles show what the API says, whose chart is drawn, which switches to 30 days, and whose
待发货 tile opens the order list filtered on paid orders. A screenshot is kept for the docs (see conftest).

The live server's clock cannot move, so orders of past days are orders this test placed and paid today whose
``paid_at`` / ``created_at`` it then moves back whole days in the server's SQLite file."""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.shop import DemoShopper
from tests.browser.test_console import CONSOLE_DIR, shot, sign_in

# quantities of the orders paid "today" and of those moved back this many days
TODAY = [2, 1]
PAST = {1: [1, 1, 2], 2: [3], 3: [1, 2], 4: [2, 2], 5: [1], 6: [4, 1], 12: [3, 2], 20: [2]}


@pytest.fixture(autouse=True)
def _console_built() -> None:
    if not (CONSOLE_DIR / "index.html").is_file():
        pytest.fail(f"the console is not built at {CONSOLE_DIR}: run `make console` (make test does it)")


def yuan(fen: int) -> str:
    """As the console's formatFen shows it: 123456 → ¥1,234.56."""
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def paid_order(demo: DemoShopper, quantity: int) -> str:
    order = demo.client.post(
        "/api/v1/orders",
        headers=demo.headers,
        json={
            "items": [{"sku_id": demo.sku_id, "quantity": quantity}],
            "address_id": demo.address_id,
            "idempotency_key": f"dashboard-{uuid.uuid4().hex}",
        },
    )
    return demo.pay(order.raise_for_status().json()["order_no"])


def move_back(server: LiveServer, order_no: str, days: int) -> None:
    """Move an order's creation and payment ``days`` whole days back (Beijing has no daylight saving)."""
    with sqlite3.connect(server.data_dir / "qingmall.db", timeout=15) as db:
        created, paid = db.execute("SELECT created_at, paid_at FROM orders WHERE order_no = ?", (order_no,)).fetchone()
        earlier = [
            (datetime.fromisoformat(value) - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S.%f")
            for value in (created, paid)
        ]
        db.execute("UPDATE orders SET created_at = ?, paid_at = ? WHERE order_no = ?", (*earlier, order_no))


def test_the_owner_lands_on_the_dashboard_and_opens_the_shipping_queue(
    desktop_page: Page, live_server: LiveServer
) -> None:
    with live_server.api() as client:
        # three shoppers, each buying a different pair of earbuds
        demos = [DemoShopper.create(client, live_server, product_id=product_id) for product_id in (6, 7, 8)]
        demo = demos[0]
        # the demo shop's own history (its orders spread over 30 days) is the baseline
        before = {
            days: client.get("/api/admin/v1/dashboard", params={"days": days}, headers=demo.staff)
            .raise_for_status()
            .json()["totals"]["orders"]
            for days in (7, 30)
        }
        for index, quantity in enumerate(TODAY):
            paid_order(demos[index % 3], quantity)
        for days, quantities in PAST.items():
            for index, quantity in enumerate(quantities):
                move_back(live_server, paid_order(demos[(days + index) % 3], quantity), days)
        demo.place()  # one awaiting payment
        week = client.get("/api/admin/v1/dashboard", params={"days": 7}, headers=demo.staff).raise_for_status().json()
        month = client.get("/api/admin/v1/dashboard", params={"days": 30}, headers=demo.staff).raise_for_status()
        month = month.json()
    assert week["yesterday"]["orders"] >= 3 and week["queue"]["awaiting_shipment"] >= 16
    # the three orders moved 8 or more days back count in the 30 days only
    assert month["totals"]["orders"] - before[30] == week["totals"]["orders"] - before[7] + 3

    page = desktop_page
    sign_in(page, live_server, "demo_owner")

    # the owner lands on the dashboard, first in the menu
    expect(page).to_have_url(re.compile(r"#/dashboard$"))
    expect(page.locator(".console-menu .el-menu-item").first).to_have_class(re.compile(r"\bmenu-dashboard\b"))
    expect(page.locator(".tile-sales .tile-value")).to_have_text(yuan(week["today"]["sales_fen"]))
    expect(page.locator(".tile-orders .tile-value")).to_have_text(str(week["today"]["orders"]))
    expect(page.locator(".tile-shoppers .tile-value")).to_have_text(str(week["today"]["shoppers"]))
    expect(page.locator(".tile-average .tile-value")).to_have_text(yuan(week["today"]["average_order_fen"]))
    expect(page.locator(".tile-orders .tile-yesterday")).to_have_text(f"昨日 {week['yesterday']['orders']}")
    expect(page.locator(".queue-awaitingShipment")).to_have_attribute(
        "data-count", str(week["queue"]["awaiting_shipment"])
    )
    expect(page.locator(".queue-awaitingPayment .queue-count")).to_have_text(str(week["queue"]["awaiting_payment"]))
    expect(page.locator(".total-sales dd")).to_have_text(yuan(week["totals"]["sales_fen"]))
    top_sales = week["top_by_sales"]
    expect(page.locator(".top-row")).to_have_count(len(top_sales))
    expect(page.locator(".top-row").first.locator(".top-sales")).to_have_text(yuan(top_sales[0]["sales_fen"]))

    # the chart is drawn: 7 days, and its canvas has painted pixels
    expect(page.locator('.chart-wrap[data-days="7"] canvas')).to_be_visible()
    page.wait_for_timeout(600)  # the bars grow in (ECharts' entry animation)
    assert painted(page) > 2000
    shot(page, "console-dashboard")

    # switching to 30 days reloads the totals and the chart
    page.locator(".days-switch").get_by_text("近 30 天").click()
    expect(page.locator('.chart-wrap[data-days="30"] canvas')).to_be_visible()
    expect(page.locator(".total-orders dd")).to_have_text(str(month["totals"]["orders"]))
    expect(page.locator(".total-sales dd")).to_have_text(yuan(month["totals"]["sales_fen"]))
    expect(page).to_have_url(re.compile(r"#/dashboard\?days=30$"))

    # the 待发货 tile opens the order list on the paid orders
    page.locator(".queue-awaitingShipment").click()
    expect(page).to_have_url(re.compile(r"#/orders\?status=paid$"))
    expect(page.locator(".status-tabs .el-tabs__item.is-active")).to_contain_text("待发货")
    expect(page.locator(".order-row").first).to_be_visible()
    statuses = page.locator(".order-row").evaluate_all("rows => rows.map(r => r.dataset.status)")
    assert statuses and set(statuses) == {"paid"}


def painted(page: Page) -> int:
    """How many pixels of the chart's canvas are not blank."""
    return page.locator(".chart-wrap canvas").first.evaluate(
        """canvas => {
            const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height)
            let count = 0
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count++
            return count
        }"""
    )

"""The merchant console's 售后 and 操作日志 pages in Chromium at 1440x900: the owner finds a refund-only after-sale
a shopper filed on a paid order in the review queue, approves it and sees it move on (the API agrees), then finds
the approve call in the audit log; a rejection needs a reason. Screenshots of both pages are kept (see conftest)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.shop import DemoShopper, staff_headers
from tests.browser.test_console import CONSOLE_DIR, shot, sign_in


@pytest.fixture(autouse=True)
def _console_built() -> None:
    if not (CONSOLE_DIR / "index.html").is_file():
        pytest.fail(f"the console is not built at {CONSOLE_DIR}: run `make console` (make test does it)")


def filed_after_sale(live_server: LiveServer) -> tuple[str, str]:
    """A paid order of 小明 with a refund-only after-sale waiting for review: (order_no, after_sale_no)."""
    with live_server.api() as client:
        demo = DemoShopper.create(client, live_server)
        order_no = demo.ask_refund(demo.pay(demo.place()))
        answer = client.get(
            "/api/admin/v1/after-sales", headers=demo.staff, params={"order_no": order_no, "status": "pending_review"}
        ).raise_for_status()
    (sale,) = answer.json()["items"]
    return order_no, sale["after_sale_no"]


def test_the_owner_approves_a_refund_and_finds_it_in_the_audit_log(
    desktop_page: Page, live_server: LiveServer
) -> None:
    order_no, after_sale_no = filed_after_sale(live_server)
    page = desktop_page
    sign_in(page, live_server, "demo_owner")

    page.locator(".menu-aftersales").click()
    expect(page.locator(".aftersales-tabs .el-tabs__item.is-active")).to_contain_text("待审核")
    row = page.locator(f'.aftersale-row[data-after-sale-no="{after_sale_no}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("仅退款")
    shot(page, "console-aftersales")

    row.click()
    detail = page.locator(".aftersale-detail-page")
    expect(detail.locator(".aftersale-status-tag")).to_contain_text("待审核")
    expect(detail.locator(".order-link")).to_have_text(order_no)
    expect(detail.locator(".aftersale-reason")).to_contain_text("不想要了")
    expect(detail.locator(".aftersale-confirm-received")).to_have_count(0)
    shot(page, "console-aftersale-detail")

    detail.locator(".aftersale-approve").click()
    page.locator(".approve-confirm").click()
    expect(detail.locator(".aftersale-status-tag")).to_contain_text(re.compile("退款中|退款成功"))
    expect(detail.locator(".aftersale-approve")).to_have_count(0)
    expect(detail.locator(".aftersale-timeline")).to_contain_text("商家同意")

    with live_server.api() as client:
        sale = client.get(
            f"/api/admin/v1/after-sales/{after_sale_no}", headers=staff_headers(client, live_server)
        ).json()
    assert sale["status"] in ("refunding", "refunded")
    assert sale["approved_at"]
    assert any(event["event"] == "approved" and event["actor_type"] == "staff" for event in sale["timeline"])

    page.locator(".menu-audit").click()
    approve_row = page.locator(".audit-row").filter(
        has_text=f"/api/admin/v1/after-sales/{after_sale_no}/approve"
    ).first
    expect(approve_row).to_be_visible()
    expect(approve_row).to_contain_text("POST")
    expect(approve_row).to_contain_text("demo_owner")
    expect(approve_row).to_contain_text("200")
    approve_row.click()
    expect(page.locator(".audit-table .audit-details").first).to_be_visible()
    shot(page, "console-audit")


def test_a_rejection_needs_a_reason(desktop_page: Page, live_server: LiveServer) -> None:
    _order_no, after_sale_no = filed_after_sale(live_server)
    page = desktop_page
    sign_in(page, live_server, "demo_owner")
    page.goto(f"/console/#/after-sales/{after_sale_no}")

    detail = page.locator(".aftersale-detail-page")
    detail.locator(".aftersale-reject").click()
    page.locator(".reject-confirm").click()
    expect(page.locator(".aftersale-action-dialog")).to_contain_text("请填写拒绝原因")
    page.locator(".reject-reason textarea").fill("商品已拆封使用，不支持退款")
    page.locator(".reject-confirm").click()
    expect(detail.locator(".aftersale-status-tag")).to_contain_text("已拒绝")
    expect(detail).to_contain_text("商品已拆封使用，不支持退款")


def test_a_returned_parcel_is_confirmed_and_refunded(desktop_page: Page, live_server: LiveServer) -> None:
    """退货退款: approve the return, the shopper posts it back, the merchant sees the waybill and confirms receipt."""
    with live_server.api() as client:
        demo = DemoShopper.create(client, live_server)
        order_no = demo.ask_refund(demo.ship(demo.pay(demo.place())), kind="return_refund")
        (sale,) = client.get(
            "/api/admin/v1/after-sales", headers=demo.staff, params={"order_no": order_no, "status": "pending_review"}
        ).raise_for_status().json()["items"]
        after_sale_no = sale["after_sale_no"]
    page = desktop_page
    sign_in(page, live_server, "demo_owner")
    page.goto(f"/console/#/after-sales/{after_sale_no}")
    detail = page.locator(".aftersale-detail-page")
    expect(detail).to_contain_text("退货退款")
    detail.locator(".aftersale-approve").click()
    page.locator(".approve-confirm").click()
    expect(detail.locator(".aftersale-status-tag")).to_contain_text("已同意")
    expect(detail.locator(".aftersale-confirm-received")).to_have_count(0)  # nothing came back yet

    with live_server.api() as client:
        demo.client = client
        demo.send_return(after_sale_no)
    page.reload()
    expect(detail.locator(".aftersale-status-tag")).to_contain_text("退货中")
    expect(detail).to_contain_text("圆通速递")
    detail.locator(".aftersale-confirm-received").click()
    page.locator(".confirm-received-confirm").click()
    expect(detail.locator(".aftersale-status-tag")).to_contain_text(re.compile("退款中|退款成功"))
    expect(detail.locator(".aftersale-confirm-received")).to_have_count(0)

    with live_server.api() as client:
        sale = client.get(
            f"/api/admin/v1/after-sales/{after_sale_no}", headers=staff_headers(client, live_server)
        ).json()
    assert sale["status"] in ("refunding", "refunded")
    staff_events = [event["event"] for event in sale["timeline"] if event["actor_type"] == "staff"]
    assert staff_events[:2] == ["approved", "return_received"]

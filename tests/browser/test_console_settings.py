"""The console's 设置 group in Chromium at 1440x900: the owner edits the fresh-food shipping template's regional
rule (a province is added with the picker, a fee changed; a free-shipping condition without any threshold shows
the server's refusal next to the form), creates a customer-service account that can then sign in, and changes
the shop name and the unpaid-order timeout (the storefront's GET /api/v1/shop and a new order follow). An
operator sees shipping templates but neither staff nor shop settings, and the settings address is a 403.
Screenshots: console-shipping-templates, console-shipping-template-edit, console-staff, console-settings."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from qingmall.demo.seed import FRESH_TEMPLATE_NAME
from tests.browser.conftest import LiveServer
from tests.browser.shop import DemoShopper, staff_headers
from tests.browser.test_console import CONSOLE_DIR, shot, sign_in

SETTINGS = "/api/admin/v1/shop/settings"


@pytest.fixture(autouse=True)
def _console_built() -> None:
    if not (CONSOLE_DIR / "index.html").is_file():
        pytest.fail(f"the console is not built at {CONSOLE_DIR}: run `make console` (make test does it)")


def open_menu(page: Page, item: str) -> None:
    entry = page.locator(f".menu-{item}")
    if not entry.is_visible():
        page.locator(".el-sub-menu__title", has_text="设置").click()
    entry.click()


def fresh_template(client, headers) -> dict:
    templates = client.get("/api/admin/v1/shipping-templates", headers=headers).json()
    return next(t for t in templates if t["name"] == FRESH_TEMPLATE_NAME)


def test_the_owner_edits_a_template_adds_staff_and_changes_the_shop_settings(
    desktop_page: Page, live_server: LiveServer
) -> None:
    with live_server.api() as client:
        owner = staff_headers(client, live_server)
        before = fresh_template(client, owner)
        settings_before = client.get(SETTINGS, headers=owner).json()
    page = desktop_page
    sign_in(page, live_server, "demo_owner")
    try:
        _edit_the_fresh_template(page, live_server, before)
        _create_a_customer_service_account(page, live_server)
        _change_the_shop_settings(page, live_server)
    finally:  # the live server is shared: put the template and the settings back
        with live_server.api() as client:
            owner = staff_headers(client, live_server)
            body = {
                k: before[k]
                for k in (
                    "name",
                    "charge_by",
                    "default_rule",
                    "region_rules",
                    "free_rules",
                    "unshippable_regions",
                    "is_default",
                )
            }
            client.put(f"/api/admin/v1/shipping-templates/{before['id']}", headers=owner, json=body)
            keep = (
                "name",
                "order_unpaid_timeout_minutes",
                "order_auto_complete_days",
                "after_sale_days",
                "payment_channels",
            )
            client.patch(SETTINGS, headers=owner, json={k: settings_before[k] for k in keep})


def _edit_the_fresh_template(page: Page, live_server: LiveServer, before: dict) -> None:
    open_menu(page, "shipping-templates")
    row = page.locator(".template-row", has_text=FRESH_TEMPLATE_NAME)
    expect(row).to_contain_text("江苏")
    shot(page, "console-shipping-templates")
    row.locator(".template-edit").click()
    rule = page.locator(".region-rule").first
    expect(rule.locator(".region-tag")).to_have_count(3)  # 上海 江苏 浙江

    # a province is added with the picker; those used elsewhere in the template cannot be picked
    rule.locator(".pick-regions").click()
    dialog = page.locator(".province-dialog")
    expect(dialog.locator(".province-650000 input")).to_be_disabled()  # 新疆 is not delivered to
    dialog.locator(".province-340000").click()  # 安徽
    dialog.locator(".regions-confirm").click()
    expect(rule.locator(".region-tag")).to_have_count(4)
    fee = rule.locator(".rule-first-fee input")
    fee.fill("9.5")
    fee.press("Tab")

    # a free-shipping condition with neither threshold: the server's message shows above the form
    page.locator(".add-free-rule").click()
    new_rule = page.locator(".free-rule").last
    new_rule.locator(".free-min-amount input").fill("")
    new_rule.locator(".free-min-amount input").press("Tab")
    page.locator(".template-save").click()
    expect(page.locator(".template-error")).to_contain_text("包邮条件需要满金额或满件数")
    expect(new_rule.locator(".row-error")).to_contain_text("包邮条件需要满金额或满件数")
    new_rule.locator(".rule-remove").click()
    page.locator(".template-save").click()
    expect(page.get_by_text("运费模板已保存")).to_be_visible()
    expect(page.locator(".template-error")).to_have_count(0)
    shot(page, "console-shipping-template-edit")

    with live_server.api() as client:
        after = fresh_template(client, staff_headers(client, live_server))
    assert after["region_rules"][0]["regions"] == ["310000", "320000", "330000", "340000"]
    assert after["region_rules"][0]["first_fee"] == 950
    assert after["region_rules"][0]["additional_fee"] == before["region_rules"][0]["additional_fee"]
    assert after["free_rules"] == before["free_rules"]


def _create_a_customer_service_account(page: Page, live_server: LiveServer) -> None:
    username = f"cs_{uuid.uuid4().hex[:8]}"
    open_menu(page, "staff")
    expect(page.locator(".staff-row", has_text="demo_owner")).to_be_visible()
    page.locator(".staff-new").click()
    dialog = page.locator(".staff-dialog")
    dialog.locator(".staff-username-input input").fill(username)
    dialog.locator(".staff-name-input input").fill("小周")
    # a weak password is refused with the server's rule, in the dialog
    dialog.locator(".staff-password-input input").fill("short1")
    dialog.locator(".staff-submit").click()
    expect(dialog.locator(".staff-error")).to_contain_text("密码至少 10 位")
    dialog.locator(".staff-password-input input").fill("Kefu2026pass")
    dialog.locator(".staff-role-select").click()
    page.locator(".role-option-customer_service").click()
    dialog.locator(".staff-submit").click()
    row = page.locator(".staff-row", has_text=username)
    expect(row.locator(".staff-role")).to_have_text("客服")
    expect(row.locator(".staff-status")).to_have_attribute("data-status", "active")
    expect(page.locator(".role-row", has_text="客服").locator(".perm-tag")).to_have_count(6)
    shot(page, "console-staff")

    with live_server.api() as client:
        login = client.post("/api/admin/v1/auth/login", json={"username": username, "password": "Kefu2026pass"})
    assert login.status_code == 200, login.text
    assert (login.json()["staff"]["role"], login.json()["staff"]["display_name"]) == ("customer_service", "小周")


def _change_the_shop_settings(page: Page, live_server: LiveServer) -> None:
    open_menu(page, "settings")
    name = page.locator(".settings-name input")
    expect(name).not_to_have_value("")
    name.fill("青禾小铺")
    timeout = page.locator(".settings-unpaid-timeout input")
    timeout.fill("45")
    timeout.press("Tab")
    page.locator(".settings-save").click()
    expect(page.get_by_text("店铺设置已保存")).to_be_visible()
    expect(page.locator(".settings-state")).to_have_attribute("data-saved", "true")
    expect(page.locator(".preview-name")).to_have_text("青禾小铺")
    shot(page, "console-settings")

    with live_server.api() as client:
        assert client.get("/api/v1/shop").json()["name"] == "青禾小铺"
        demo = DemoShopper.create(client, live_server)
        order_no = demo.place()
        order = client.get(f"/api/v1/orders/{order_no}", headers=demo.headers).json()
        demo.cancel(order_no)
    assert 44 * 60 < order["pay_countdown_seconds"] <= 45 * 60


def test_an_operator_has_no_shop_settings(desktop_page: Page, live_server: LiveServer) -> None:
    page = desktop_page
    sign_in(page, live_server, "demo_operator")
    page.locator(".el-sub-menu__title", has_text="设置").click()
    expect(page.locator(".menu-shipping-templates")).to_be_visible()
    expect(page.locator(".menu-settings")).to_have_count(0)
    expect(page.locator(".menu-staff")).to_have_count(0)
    page.goto("/console/#/settings")
    expect(page.locator(".forbidden")).to_be_visible()

"""The console's 类目 and 库存 pages in Chromium at 1440x900: the owner builds and prunes the category tree (a
category that still has products cannot be deleted, and says so); the warehouse account, which may adjust stock
but not edit products, takes goods in and does a stocktake, and the ledger shows both."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.shop import staff_headers
from tests.browser.test_console import CONSOLE_DIR, shot, sign_in


@pytest.fixture(autouse=True)
def _console_built() -> None:
    if not (CONSOLE_DIR / "index.html").is_file():
        pytest.fail(f"the console is not built at {CONSOLE_DIR}: run `make console` (make test does it)")


def test_the_owner_edits_the_category_tree(desktop_page: Page, live_server: LiveServer) -> None:
    page = desktop_page
    sign_in(page, live_server, "demo_owner")
    page.locator(".menu-categories").click()
    top = page.locator(".category-tree .node").filter(has_text="服饰鞋包").first
    expect(top).to_be_visible()

    top.locator(".category-add-child").click()
    page.locator(".category-name input").fill("城市徒步")
    page.locator(".category-save").click()
    added = page.locator(".category-tree .node").filter(has_text="城市徒步")
    expect(added).to_be_visible()

    added.locator(".category-edit").click()
    page.locator(".category-name input").fill("徒步装备（测试）")
    page.locator(".category-visible").click()  # hidden from the shop
    page.locator(".category-save").click()
    renamed = page.locator(".category-tree .node").filter(has_text="徒步装备（测试）")
    expect(renamed).to_contain_text("已隐藏")
    shot(page, "console-categories")

    with live_server.api() as client:
        headers = staff_headers(client, live_server)
        admin = {c["name"]: c for c in client.get("/api/admin/v1/categories", headers=headers).json()}
        shop_tree = client.get("/api/v1/categories").json()
    hidden = admin["徒步装备（测试）"]
    assert hidden["parent_id"] == admin["服饰鞋包"]["id"] and hidden["is_visible"] is False
    assert "徒步装备（测试）" not in str(shop_tree)

    # a category with products refuses to go, with the server's reason
    with_products = page.locator(".category-tree .node").filter(has_text="男装").first
    with_products.locator(".category-delete").click()
    page.locator(".el-message-box__btns .el-button--primary").click()
    expect(page.locator(".el-message--error")).to_contain_text("类目下还有商品")

    renamed.locator(".category-delete").click()
    page.locator(".el-message-box__btns .el-button--primary").click()
    expect(page.locator(".category-tree .node").filter(has_text="徒步装备（测试）")).to_have_count(0)


def test_the_warehouse_takes_goods_in_and_counts_stock(desktop_page: Page, live_server: LiveServer) -> None:
    page = desktop_page
    sign_in(page, live_server, "demo_warehouse")
    page.locator(".menu-products").click()
    expect(page.locator(".product-edit")).to_have_count(0)  # no catalog.write
    row = page.locator(".product-row").first
    spu_id = row.get_attribute("data-product-id")
    row.locator(".product-stock").click()

    sku = page.locator(".stock-sku-row").first
    before = int(sku.locator(".sku-stock-value").inner_text())
    sku.locator(".stock-adjust").click()
    page.locator(".stock-quantity input").fill("5")
    page.locator(".stock-note input").fill("供应商补货")
    expect(page.locator(".stock-preview")).to_contain_text(f"{before + 5}（+5）")
    page.locator(".stock-confirm").click()
    expect(sku.locator(".sku-stock-value")).to_have_text(str(before + 5))
    first_ledger = page.locator(".ledger-row").first
    expect(first_ledger).to_contain_text("入库")
    expect(first_ledger).to_contain_text("+5")
    expect(first_ledger).to_contain_text("供应商补货")

    sku.locator(".stock-adjust").click()
    page.locator(".stock-reason").click()
    page.get_by_role("option", name="盘点调整").click()
    page.locator(".stock-counted input").fill(str(before + 2))
    expect(page.locator(".stock-preview")).to_contain_text(f"{before + 2}（-3）")
    page.locator(".stock-confirm").click()
    expect(sku.locator(".sku-stock-value")).to_have_text(str(before + 2))
    expect(page.locator(".ledger-row").first).to_contain_text("盘点调整")
    shot(page, "console-product-stock")

    with live_server.api() as client:
        movements = client.get(
            "/api/admin/v1/stock-movements", params={"spu_id": spu_id}, headers=staff_headers(client, live_server)
        ).json()["items"]
    assert [(m["reason"], m["delta"]) for m in movements[:2]] == [("stocktake", -3), ("adjust_in", 5)]

    page.goto(f"/console/#/products/{spu_id}/edit")
    expect(page.locator(".forbidden-page")).to_be_visible()

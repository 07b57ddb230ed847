"""A merchant's day in the console, Chromium at 1440x900 (issue 5, "what must be shown"): the owner creates a
product with 2 x 3 specs in the editor, edits its SKU matrix (fill-down, one row's price, stock as an
adjustment), finds it in the storefront API; ships a paid order; approves an after-sale refund; and the audit
log shows each of those actions. A customer-service account can neither see nor open product editing."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.shop import DemoShopper, staff_headers
from tests.browser.test_console import CONSOLE_DIR, shot, sign_in
from tests.browser.test_console_aftersales import filed_after_sale

TITLE = "旅途速干 T 恤（测试）"


@pytest.fixture(autouse=True)
def _console_built() -> None:
    if not (CONSOLE_DIR / "index.html").is_file():
        pytest.fail(f"the console is not built at {CONSOLE_DIR}: run `make console` (make test does it)")


def product_photo(folder: Path, name: str, colour: tuple[int, int, int]) -> Path:
    path = folder / name
    image = Image.new("RGB", (800, 800), colour)
    for x in range(200, 600):
        for y in range(380, 420):
            image.putpixel((x, y), (255, 255, 255))
    image.save(path, format="PNG")
    return path


def matrix_cell(page: Page, column: str, row: int):
    return page.locator(f'.sku-matrix [data-cell="{column}"][data-row="{row}"] input')


def add_spec(page: Page, index: int, name: str, values: str) -> None:
    page.locator(".spec-add").click()
    dimension = page.locator(f'.dimension[data-index="{index}"]')
    dimension.locator(".spec-name input").fill(name)
    dimension.locator(".spec-value-input input").fill(values)
    dimension.locator(".spec-value-input input").press("Enter")


def test_a_merchant_day_product_to_refund_with_the_audit_trail(
    desktop_page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    with live_server.api() as client:
        demo = DemoShopper.create(client, live_server)
        paid_order_no = demo.pay(demo.place())
        category = next(
            c for c in client.get("/api/admin/v1/categories", headers=demo.staff).json() if c["parent_id"]
        )
    refund_order_no, after_sale_no = filed_after_sale(live_server)
    page = desktop_page
    sign_in(page, live_server, "demo_owner")

    # --- create a product with 颜色 x 尺码 = 2 x 3 ---------------------------------------------------------------
    page.locator(".menu-products").click()
    page.locator(".product-new").click()
    expect(page.locator(".product-editor .page-title")).to_contain_text("新建商品")
    page.locator(".editor-title input").fill(TITLE)
    page.locator(".el-select.editor-category").click()
    page.keyboard.type(category["name"])  # filterable: the sub-category shows under its parent
    page.locator(".el-tree.editor-category").get_by_text(category["name"], exact=True).click()
    page.locator(".editor-images .file-input").set_input_files(
        [product_photo(tmp_path, "front.png", (30, 90, 160)), product_photo(tmp_path, "back.png", (200, 80, 40))]
    )
    expect(page.locator(".editor-images .tile[data-url]")).to_have_count(2)
    page.locator(".editor-images .tile[data-url]").nth(1).locator(".tile-left").click()  # the back photo first
    add_spec(page, 0, "颜色", "曜石黑，雾霾蓝")
    add_spec(page, 1, "尺码", "M L XL")
    expect(page.locator(".sku-matrix .sku-row")).to_have_count(6)
    expect(page.locator(".sku-count")).to_contain_text("共 6 个规格组合")

    matrix_cell(page, "price", 0).fill("89")
    matrix_cell(page, "original_price", 0).fill("129")
    matrix_cell(page, "stock", 0).fill("20")
    matrix_cell(page, "weight_grams", 0).fill("220")
    page.locator(".fill-price").click()
    page.locator(".fill-original_price").click()
    page.locator(".fill-stock").click()
    page.locator(".fill-weight_grams").click()
    matrix_cell(page, "price", 5).fill("99")  # 雾霾蓝/XL costs more
    matrix_cell(page, "barcode", 0).fill("6901234500011")
    matrix_cell(page, "barcode", 0).press("Enter")  # Enter moves to the row below
    expect(matrix_cell(page, "barcode", 1)).to_be_focused()
    page.keyboard.type("6901234500028")
    page.locator(".detail-add-text").click()
    page.locator(".block-text textarea").fill("速干面料，出汗不贴身。")
    page.locator(".editor-shelf").click()
    page.locator(".editor-save").click()

    expect(page).to_have_url(re.compile(r"#/products/\d+/edit$"))
    spu_id = int(re.search(r"#/products/(\d+)/edit", page.url).group(1))
    expect(page.locator(".product-editor .page-title")).to_contain_text("编辑商品")
    expect(page.locator(".sku-matrix .sku-row")).to_have_count(6)
    expect(matrix_cell(page, "price", 5)).to_have_value("99.00")
    page.locator(".sku-matrix").evaluate("el => el.closest('.page-card').scrollIntoView({ block: 'start' })")
    shot(page, "console-product-editor")

    # --- edit the matrix: more stock for 曜石黑/M (an adjustment), a was-price for one row ------------------
    matrix_cell(page, "stock", 0).fill("35")
    matrix_cell(page, "original_price", 3).fill("139")
    page.locator(".editor-save").click()
    expect(page.locator(".el-message--success").filter(has_text="已保存")).to_be_visible()
    expect(matrix_cell(page, "stock", 0)).to_have_value("35")

    with live_server.api() as client:
        answer = client.get(f"/api/v1/products/{spu_id}")
        assert answer.status_code == 200, answer.text
        product = answer.json()
        main_photo = Image.open(io.BytesIO(client.get(answer.json()["main_image_url"]).raise_for_status().content))
        movements = client.get(
            "/api/admin/v1/stock-movements", params={"spu_id": spu_id}, headers=staff_headers(client, live_server)
        ).json()["items"]
    assert product["title"] == TITLE
    assert product["spec_dimensions"] == [
        {"name": "颜色", "values": ["曜石黑", "雾霾蓝"]}, {"name": "尺码", "values": ["M", "L", "XL"]}
    ]
    skus = {sku["spec_key"]: sku for sku in product["skus"]}
    assert len(skus) == 6
    black_m, blue_m, blue_xl = skus["曜石黑/M"], skus["雾霾蓝/M"], skus["雾霾蓝/XL"]
    assert (black_m["price"], black_m["original_price"], black_m["stock"]) == (8900, 12900, 35)
    assert (blue_m["original_price"], blue_xl["price"], blue_xl["stock"]) == (13900, 9900, 20)
    assert len(product["images"]) == 2 and product["main_image_url"] == product["images"][0]
    red, _green, blue = main_photo.convert("RGB").getpixel((20, 20))
    assert red > 150 and blue < 100, "the photo moved to the front is the main image"
    assert product["detail"] == [{"type": "text", "text": "速干面料，出汗不贴身。"}]
    assert sorted(m["delta"] for m in movements) == [15, 20, 20, 20, 20, 20, 20]

    # --- ship a paid order ------------------------------------------------------------------------------------
    page.locator(".menu-orders").click()
    page.locator(f'.order-row[data-order-no="{paid_order_no}"]').click()
    page.locator(".order-ship").click()
    page.locator(".ship-carrier").click()
    page.get_by_role("option", name="中通快递").click()
    page.locator(".ship-tracking input").fill("ZT7788990011")
    page.locator(".ship-confirm").click()
    expect(page.locator(".order-detail-page .order-status-tag")).to_contain_text("已发货")

    # --- approve an after-sale refund -------------------------------------------------------------------------
    page.locator(".menu-aftersales").click()
    page.locator(f'.aftersale-row[data-after-sale-no="{after_sale_no}"]').click()
    page.locator(".aftersale-approve").click()
    page.locator(".approve-confirm").click()
    expect(page.locator(".aftersale-approve")).to_have_count(0)

    # --- the audit log shows each action ----------------------------------------------------------------------
    page.locator(".menu-audit").click()
    expected = [
        ("POST", "/api/admin/v1/products", "创建商品"),
        ("PUT", f"/api/admin/v1/products/{spu_id}", "编辑商品"),
        ("POST", "/stock-adjustments", "调整库存"),
        ("POST", f"/api/admin/v1/orders/{paid_order_no}/ship", "订单发货"),
        ("POST", f"/api/admin/v1/after-sales/{after_sale_no}/approve", "同意售后"),
    ]
    for method, path, label in expected:
        row = page.locator(".audit-row").filter(has_text=path).filter(has_text=label).first
        expect(row).to_be_visible()
        expect(row).to_contain_text(method)
        expect(row).to_contain_text("demo_owner")
    assert refund_order_no


def test_customer_service_cannot_open_product_editing(desktop_page: Page, live_server: LiveServer) -> None:
    page = desktop_page
    sign_in(page, live_server, "demo_service")
    page.locator(".menu-products").click()
    expect(page.locator(".product-row").first).to_be_visible()
    expect(page.locator(".product-new")).to_have_count(0)
    expect(page.locator(".product-edit")).to_have_count(0)

    spu_id = page.locator(".product-row").first.get_attribute("data-product-id")
    for address in (f"/console/#/products/{spu_id}/edit", "/console/#/products/new"):
        page.goto(address)
        expect(page.locator(".forbidden-page")).to_be_visible()
        expect(page.locator(".product-editor")).to_have_count(0)

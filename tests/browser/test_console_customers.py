"""The merchant console's 顾客, 评价 and 轮播图 pages in Chromium at 1440x900: the owner finds a demo shopper by
phone, opens them, adds 5.00 yuan to their balance (the ledger row appears; taking too much shows the server's
refusal in the dialog); replies to a review with photos and hides it (it leaves the storefront's product reviews);
creates a banner with an uploaded image (it shows on the storefront home) and deletes it. Customer service sees
shoppers and reviews but cannot adjust balances and has no banners menu. Screenshots: console-shoppers,
console-shopper-detail, console-reviews, console-banners."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.shop import staff_headers
from tests.browser.test_console import CONSOLE_DIR, shot, sign_in

LILI_PHONE = "13800138002"  # the demo shopper 莉莉爱吃 (qingmall/demo/data.py)


@pytest.fixture(autouse=True)
def _console_built() -> None:
    if not (CONSOLE_DIR / "index.html").is_file():
        pytest.fail(f"the console is not built at {CONSOLE_DIR}: run `make console` (make test does it)")


def open_menu(page: Page, group: str, item: str) -> None:
    """Click a menu item inside a sub-menu, opening the sub-menu first when it is closed."""
    entry = page.locator(f".menu-{item}")
    if not entry.is_visible():
        page.locator(".el-sub-menu__title", has_text=group).click()
    entry.click()


def test_the_owner_finds_a_shopper_by_phone_and_adjusts_their_balance(
    desktop_page: Page, live_server: LiveServer
) -> None:
    with live_server.api() as client:
        headers = staff_headers(client, live_server)
        (lili,) = client.get("/api/admin/v1/shoppers", headers=headers, params={"q": LILI_PHONE}).json()["items"]
        before = client.get(f"/api/admin/v1/shoppers/{lili['id']}/balance", headers=headers).json()["balance"]
    page = desktop_page
    sign_in(page, live_server, "demo_owner")

    open_menu(page, "顾客", "shoppers")
    expect(page.locator(".shopper-row").first).to_be_visible()
    expect(page.locator(".shoppers-table")).to_contain_text("莉莉爱吃")
    shot(page, "console-shoppers")

    page.locator(".filter-q input").fill(LILI_PHONE)
    page.locator(".filter-q input").press("Enter")
    expect(page).to_have_url(re.compile(rf"#/shoppers\?q={LILI_PHONE}$"))
    row = page.locator(".shopper-row")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-shopper-id", str(lili["id"]))
    expect(row).to_contain_text("莉莉爱吃")
    expect(row).to_contain_text("138****8002")
    expect(row.locator(".paid-count")).to_have_text(str(lili["paid_order_count"]))
    assert lili["paid_order_count"] > 0  # the demo seed's reviewed orders

    row.click()
    detail = page.locator(".shopper-detail-page")
    expect(detail.locator(".shopper-nickname")).to_have_text("莉莉爱吃")
    expect(detail.locator(".shopper-addresses")).to_contain_text("138****8002")
    expect(detail.locator(".shopper-addresses")).not_to_contain_text(LILI_PHONE)
    expect(detail.locator(".shopper-orders-table .el-table__row").first).to_be_visible()

    # +5.00 yuan with a note the shopper sees
    detail.locator(".balance-adjust").click()
    dialog = page.locator(".balance-adjust-dialog")
    dialog.locator(".adjust-amount input").fill("5.00")
    dialog.locator(".adjust-note textarea").fill("浏览器测试：运费补偿")
    dialog.locator(".adjust-confirm").click()
    expect(dialog).to_be_hidden()
    newest = detail.locator(".ledger-row").first
    expect(newest).to_contain_text("+¥5.00")
    expect(newest).to_contain_text("人工调整")
    expect(newest).to_contain_text("浏览器测试：运费补偿")
    expect(detail.locator(".shopper-balance")).to_have_text(f"¥{(before + 500) // 100:,}.{(before + 500) % 100:02d}")
    shot(page, "console-shopper-detail")

    # taking more than the balance: the server's message inside the dialog, which stays open
    detail.locator(".balance-adjust").click()
    dialog.locator(".adjust-deduct").click()
    dialog.locator(".adjust-amount input").fill("99999")
    dialog.locator(".adjust-note textarea").fill("扣减测试")
    dialog.locator(".adjust-confirm").click()
    expect(dialog.locator(".adjust-error")).to_contain_text("余额不足")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="取消").click()

    with live_server.api() as client:
        after = client.get(f"/api/admin/v1/shoppers/{lili['id']}/balance", headers=headers).json()
    assert after["balance"] == before + 500
    entry = after["entries"]["items"][0]
    assert (entry["amount"], entry["reason"], entry["note"], entry["actor_type"]) == (
        500,
        "adjustment",
        "浏览器测试：运费补偿",
        "staff",
    )


def test_the_owner_replies_to_a_review_and_hides_it(desktop_page: Page, live_server: LiveServer) -> None:
    with live_server.api() as client:
        headers = staff_headers(client, live_server)
        candidates = client.get(
            "/api/admin/v1/reviews",
            headers=headers,
            params={"is_hidden": "false", "has_reply": "false", "has_photos": "true", "limit": 1},
        ).json()["items"]
        assert candidates, "the demo seed has reviews with photos and no reply"
        review = candidates[0]
        spu_id = review["spu_id"]
        public = client.get(f"/api/v1/products/{spu_id}/reviews", params={"limit": 50}).json()["items"]
        assert review["id"] in [r["id"] for r in public]
    page = desktop_page
    sign_in(page, live_server, "demo_owner")
    open_menu(page, "顾客", "reviews")
    expect(page.locator(".review-row").first).to_be_visible()
    shot(page, "console-reviews")

    # the product filter lives in the address
    page.goto(f"/console/#/reviews?spu_id={spu_id}")
    row = page.locator(f'.review-row[data-review-id="{review["id"]}"]')
    expect(row).to_be_visible()
    spu_ids = page.locator(".review-row").evaluate_all("rows => rows.map(r => r.dataset.spuId)")
    assert set(spu_ids) == {str(spu_id)}
    expect(row.locator(".review-rating")).to_have_attribute("data-rating", str(review["rating"]))
    expect(row.locator(".review-photos .photo")).to_have_count(len(review["photos"]))

    # a thumbnail opens the full photo
    row.locator(".review-photos .photo").first.click()
    viewer = page.locator(".el-image-viewer__wrapper")
    expect(viewer).to_be_visible()
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()

    row.locator(".review-reply-open").click()
    reply = page.locator(".review-reply-dialog")
    reply.locator(".reply-content textarea").fill("感谢您的晒图，期待再次光临～")
    reply.locator(".reply-confirm").click()
    expect(reply).to_be_hidden()
    expect(row.locator(".review-reply")).to_contain_text("感谢您的晒图，期待再次光临～")
    expect(row.locator(".review-reply-open")).to_have_text(re.compile("修改回复"))

    row.locator(".review-hide").click()
    hide = page.locator(".review-hide-dialog")
    hide.locator(".hide-confirm").click()
    expect(hide).to_contain_text("请填写隐藏原因")  # a reason is required
    hide.get_by_text("与商品无关").click()
    hide.locator(".hide-confirm").click()
    expect(hide).to_be_hidden()
    expect(row.locator(".review-state")).to_have_text("已隐藏")
    expect(row).to_have_attribute("data-hidden", "true")
    expect(row.locator(".review-unhide")).to_be_visible()

    with live_server.api() as client:
        public = client.get(f"/api/v1/products/{spu_id}/reviews", params={"limit": 50}).json()["items"]
        moderated = client.get(f"/api/admin/v1/reviews/{review['id']}", headers=headers).json()
    assert review["id"] not in [r["id"] for r in public]
    assert (moderated["is_hidden"], moderated["hidden_reason"]) == (True, "与商品无关")
    assert moderated["reply"]["content"] == "感谢您的晒图，期待再次光临～"

    # the hidden tab has it; unhiding asks first and brings it back to the storefront
    page.locator(".reviews-tabs .el-tabs__item", has_text="已隐藏").click()
    expect(page).to_have_url(re.compile(r"tab=hidden"))
    row.locator(".review-unhide").click()
    page.locator(".unhide-confirm").click()
    expect(row.locator(".review-state")).to_have_text("显示中")
    with live_server.api() as client:
        public = client.get(f"/api/v1/products/{spu_id}/reviews", params={"limit": 50}).json()["items"]
    assert review["id"] in [r["id"] for r in public]


def banner_png(tmp_path: Path) -> Path:
    image = Image.new("RGB", (750, 320), "#2563eb")
    ImageDraw.Draw(image).rectangle((40, 40, 300, 280), fill="#fbbf24")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    path = tmp_path / "banner.png"
    path.write_bytes(buffer.getvalue())
    return path


def test_the_owner_creates_a_banner_with_an_uploaded_image_and_deletes_it(
    desktop_page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    title = f"测试活动{uuid.uuid4().hex[:4]}"
    page = desktop_page
    sign_in(page, live_server, "demo_owner")
    page.locator(".menu-banners").click()
    expect(page.locator(".banner-row")).to_have_count(3)  # the demo seed's banners

    page.locator(".banner-create").click()
    dialog = page.locator(".banner-dialog")
    dialog.locator(".banner-save").click()
    expect(dialog).to_contain_text("请上传图片")
    expect(dialog).to_contain_text("请填写标题")

    dialog.locator(".banner-upload input[type=file]").set_input_files(str(banner_png(tmp_path)))
    expect(dialog.locator(".upload-preview")).to_be_visible()
    expect(dialog.locator(".upload-preview")).to_have_attribute("src", re.compile(r"^/media/images/.+\.thumb\.webp$"))
    dialog.locator(".banner-title input").fill(title)
    dialog.locator(".banner-caption input").fill("全场满99减10")
    dialog.locator(".banner-link-type").click()
    page.get_by_role("option", name="搜索").click()
    dialog.locator(".banner-link-keyword input").fill("坚果")
    dialog.locator(".banner-sort input").fill("-5")
    shot(page, "console-banner-dialog")
    dialog.locator(".banner-save").click()
    expect(dialog).to_be_hidden()

    row = page.locator(".banner-row", has_text=title)
    expect(row).to_be_visible()
    expect(row).to_contain_text("搜索：坚果")
    expect(row.locator(".banner-state")).to_have_text("展示中")
    expect(page.locator(".banner-row").first).to_contain_text(title)  # sort -5 comes first
    shot(page, "console-banners")

    with live_server.api() as client:
        home = client.get("/api/v1/home").json()["banners"]
    (ours,) = [b for b in home if b["title"] == title]
    assert (ours["caption"], ours["link_type"], ours["link_value"]) == ("全场满99减10", "search", "坚果")
    assert ours["image_url"].startswith("/media/images/")
    assert home[0]["title"] == title

    # times are typed in Beijing time: a start in the future makes it 未开始 (and gone from the home page)
    row.locator(".banner-edit").click()
    expect(dialog.locator(".banner-title input")).to_have_value(title)
    dialog.locator(".banner-starts input").fill("2099-01-01 08:00:00")
    dialog.locator(".banner-starts input").press("Enter")
    dialog.locator(".banner-save").click()
    expect(dialog).to_be_hidden()
    expect(row.locator(".banner-state")).to_have_text("未开始")
    expect(row).to_contain_text("2099-01-01 08:00 起")
    with live_server.api() as client:
        headers = staff_headers(client, live_server)
        edited = client.get(f"/api/admin/v1/banners/{ours['id']}", headers=headers).json()
        assert title not in [b["title"] for b in client.get("/api/v1/home").json()["banners"]]
    assert (edited["starts_at"], edited["ends_at"], edited["link_value"]) == ("2099-01-01T00:00:00Z", None, "坚果")

    row.locator(".banner-delete").click()
    page.locator(".banner-delete-confirm").click()
    expect(page.locator(".banner-row", has_text=title)).to_have_count(0)
    with live_server.api() as client:
        assert title not in [b["title"] for b in client.get("/api/v1/home").json()["banners"]]


def test_customer_service_sees_shoppers_and_reviews_without_adjusting_or_banners(
    desktop_page: Page, live_server: LiveServer
) -> None:
    page = desktop_page
    sign_in(page, live_server, "demo_service")
    expect(page.locator(".menu-banners")).to_have_count(0)
    open_menu(page, "顾客", "shoppers")
    page.locator(".locale-switch").click()  # English too
    expect(page.locator(".shoppers-table")).to_contain_text("Paid total")
    expect(page.locator(".el-sub-menu__title", has_text="Customers")).to_be_visible()
    page.locator(".shopper-row").first.click()
    expect(page.locator(".shopper-detail-page .shopper-nickname")).to_be_visible()
    expect(page.locator(".shopper-ledger")).to_contain_text("Balance ledger")
    expect(page.locator(".balance-adjust")).to_have_count(0)
    page.goto("/console/#/banners")
    expect(page.locator(".forbidden")).to_be_visible()

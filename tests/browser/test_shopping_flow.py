"""A shopper's whole journey through the H5 storefront in Chromium at 390x844 (issue 4's must-show list):
search 蓝牙耳机, open a product, choose a spec, add to cart, check out with a new address, pay in the WeChat Pay
sandbox cashier, see the order paid; then cancel a second, unpaid order. Screenshots of home, detail, cart,
checkout and order detail are taken on the way (see conftest: QINGMALL_SCREENSHOT_DIR)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOT_DIR, LiveServer

PHONE = "13912345678"
BAD_TEXT = re.compile(r"undefined|NaN|\[object Object\]|\bnull\b")


def shot(page: Page, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)  # let lazy pictures fade in
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


def assert_readable(page: Page) -> None:
    """No raw placeholders on screen, and nothing wider than the phone."""
    text = page.locator("body").inner_text()
    assert not BAD_TEXT.search(text), f"placeholder text on {page.url}: {BAD_TEXT.search(text).group(0)!r}"
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{page.url} is {overflow}px wider than the screen"


def log_in_on_the_login_page(page: Page, server: LiveServer) -> None:
    expect(page.locator(".login-phone input")).to_be_visible()
    page.locator(".login-phone input").fill(PHONE)
    page.locator(".login-send-code").click()
    expect(page.locator(".login-send-code")).to_contain_text("秒后重发")  # the resend countdown runs
    code = server.last_sms_code(PHONE)
    expect(page.locator(".login-demo-code")).to_contain_text(code)  # the demo shop shows the code it "sent"
    page.locator(".login-code input").fill(code)
    page.locator(".login-agree").click()
    page.locator(".login-submit").click()


def choose_first_available_specs(page: Page) -> None:
    """In the spec popup, pick the first selectable value of every dimension not chosen yet (a tap on a chosen
    value would un-choose it)."""
    dimensions = page.locator(".qm-spec__dim")
    expect(dimensions.first).to_be_visible()
    for index in range(dimensions.count()):
        dimension = dimensions.nth(index)
        if dimension.locator(".spec-value.is-active").count() == 0:
            dimension.locator(".spec-value:not(.is-disabled)").first.click()


def test_search_buy_pay_and_cancel(phone_page: Page, live_server: LiveServer) -> None:
    page = phone_page

    # home: the waterfall feed with banners and category shortcuts
    page.goto("/")
    expect(page.locator(".qm-product-card").first).to_be_visible()
    assert_readable(page)
    shot(page, "home")

    # search 蓝牙耳机 and open the first result
    page.locator(".home-search").click()
    page.locator(".search-input input").fill("蓝牙耳机")
    page.locator(".search-submit").click()
    results = page.locator(".search-result")
    expect(results.first).to_contain_text("蓝牙耳机")
    assert_readable(page)
    results.first.click()

    # product detail: adding to cart asks the shopper to log in first, then comes back here
    expect(page.locator(".product-add-cart")).to_be_visible()
    expect(page.locator(".product-info__title")).to_contain_text("蓝牙耳机")
    assert_readable(page)
    shot(page, "product-detail")
    page.locator(".product-add-cart").click()
    log_in_on_the_login_page(page, live_server)
    expect(page.locator(".product-info__title")).to_contain_text("蓝牙耳机")  # back on the product
    page.locator(".product-add-cart").click()
    choose_first_available_specs(page)
    expect(page.locator(".qm-spec__stock")).to_contain_text("库存")
    page.locator(".spec-confirm").click()
    expect(page.get_by_text("已加入购物车")).to_be_visible()

    # cart: the line is there and selected; go to checkout
    page.goto("/#/pages/cart/index")
    expect(page.locator(".cart-item").first).to_contain_text("蓝牙耳机")
    assert_readable(page)
    shot(page, "cart")
    page.locator(".cart-checkout").click()

    # checkout: a new shopper has no address yet; add one
    page.locator(".checkout-add-address").click()
    page.locator(".address-name-input input").fill("王小二")
    page.locator(".address-phone-input input").fill("13700001111")
    pick_region(page, "330000", "330100", "330106")
    expect(page.locator(".address-region")).to_contain_text("浙江省 杭州市 西湖区")
    page.locator(".address-detail-input textarea").fill("文三路 100 号 5 幢 301")
    page.locator(".address-save").click()
    expect(page.locator(".checkout-address")).to_contain_text("王小二")
    expect(page.locator(".checkout-payable")).to_contain_text("¥")
    page.locator(".checkout-remark textarea").fill("请放快递柜")
    expect(page.locator(".uni-toast")).to_be_hidden(timeout=5000)  # "已保存" from the address form fades
    assert_readable(page)
    shot(page, "checkout")
    page.locator(".checkout-submit").click()

    # pay with WeChat Pay H5: the sandbox cashier, then back to the order
    expect(page.locator(".pay-amount")).to_contain_text("¥")
    page.locator(".pay-method-wechat").click()
    page.locator(".pay-submit").click()
    page.wait_for_url(re.compile(r"/sandbox/wechatpay/cashier/"))
    page.get_by_role("button", name="确认支付").click()
    page.wait_for_url(re.compile(r"pages/orders/detail"))
    expect(page.locator(".order-status-text")).to_have_text("待发货", timeout=20_000)
    expect(page.locator(".order-timeline")).to_contain_text("支付")
    assert_readable(page)
    shot(page, "order-detail")

    # a second order, left unpaid, then cancelled from its detail page
    page.goto("/")
    page.locator(".qm-product-card").nth(1).click()
    page.locator(".product-buy-now").click()
    choose_first_available_specs(page)
    page.locator(".spec-confirm").click()
    expect(page.locator(".checkout-address")).to_contain_text("王小二")  # the new address is now the default
    page.locator(".checkout-submit").click()
    expect(page.locator(".pay-amount")).to_be_visible()
    order_no = page.evaluate("() => new URLSearchParams(location.hash.split('?')[1]).get('order_no')")
    page.goto(f"/#/pages/orders/detail?order_no={order_no}")
    expect(page.locator(".order-status-text")).to_have_text("待付款")
    page.locator(".order-detail-cancel").click()
    page.get_by_text("不想要了").click()  # the reason sheet
    page.locator(".uni-modal__btn_primary").click()  # 确定取消?
    expect(page.locator(".order-status-text")).to_have_text("已取消")

    # the server agrees: one paid order, one cancelled
    with live_server.api() as api:
        token = page.evaluate("() => JSON.parse(localStorage.getItem('qm_auth')).data.access_token")
        orders = api.get("/api/v1/orders", headers={"Authorization": f"Bearer {token}"}).json()["items"]
    assert sorted(o["status"] for o in orders) == ["cancelled", "paid"]


def pick_region(page: Page, *codes: str) -> None:
    """The address form's region sheet: province, city, district, one list at a time (GB/T 2260 codes)."""
    page.locator(".address-region").click()
    for code in codes:
        page.locator(f'.region-option[data-code="{code}"]').click()

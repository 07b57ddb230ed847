"""Every storefront page, opened as a shopper would, in Chinese and in English: each renders without raw
placeholders (``undefined``, ``NaN``, ``null``, ``[object Object]``, message keys), nothing wider than the 390 px
screen, no uncaught error, no API 5xx and no failed picture (the ``phone_page`` fixture checks those three).

The demo shopper 小明 is given one order in each state first (placed, paid from a balance the shop credits,
shipped by the demo owner, in after-sales, cancelled), so the order pages show real data in every state.
Screenshots of every page land in ``var/test-screenshots/pages/`` for a person to look through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import REPO, LiveServer
from tests.browser.shop import DemoShopper
from tests.browser.test_shopping_flow import assert_readable

PAGES_DIR = REPO / "var" / "test-screenshots" / "pages"
MESSAGE_KEY = re.compile(r"\b(?:browse|buy|account|common|status|tab|error|price|product)\.[a-zA-Z]+\.?[a-zA-Z]*\b")


@dataclass
class ShopperData:
    token: str
    refresh_token: str
    orders: dict[str, str]  # status -> order_no
    product_id: int
    sku_id: int


@pytest.fixture(scope="module")
def shopper(live_server: LiveServer) -> ShopperData:
    with live_server.api() as client:
        demo = DemoShopper.create(client, live_server)
        orders = {
            "pending_payment": demo.place(),
            "paid": demo.pay(demo.place()),
            "shipped": demo.ship(demo.pay(demo.place())),
            "cancelled": demo.cancel(demo.place()),
            "refunding": demo.ask_refund(demo.ship(demo.pay(demo.place()))),
        }
        completed = client.get("/api/v1/orders", headers=demo.headers, params={"status": "completed"}).json()
        if completed["items"]:
            orders["completed"] = completed["items"][0]["order_no"]
        client.post(f"/api/v1/favourites/{demo.product_id}", headers=demo.headers).raise_for_status()
        client.get(f"/api/v1/products/{demo.product_id}", headers=demo.headers).raise_for_status()  # 足迹
        return ShopperData(
            demo.login["access_token"], demo.login["refresh_token"], orders, demo.product_id, demo.sku_id
        )


def _paths(data: ShopperData) -> list[tuple[str, str]]:
    orders = data.orders
    paths = [
        ("home", "/pages/index/index"),
        ("category", "/pages/category/index"),
        ("search", "/pages/search/index"),
        ("search-results", "/pages/search/index?keyword=蓝牙耳机"),
        ("search-empty", "/pages/search/index?keyword=没有这种商品"),
        ("product", f"/pages/product/index?id={data.product_id}"),
        ("product-missing", "/pages/product/index?id=987654"),
        ("product-reviews", f"/pages/product/reviews?id={data.product_id}"),
        ("cart", "/pages/cart/index"),
        ("checkout-buy-now", f"/pages/checkout/index?sku_id={data.sku_id}&quantity=1"),
        ("pay", f"/pages/pay/index?order_no={orders['pending_payment']}"),
        ("friend-pay-missing", "/pages/friend-pay/index?token=no-such-link"),
        ("addresses", "/pages/address/list"),
        ("address-new", "/pages/address/edit"),
        ("me", "/pages/me/index"),
        ("orders-all", "/pages/orders/list"),
        ("orders-pending", "/pages/orders/list?status=pending_payment"),
        ("orders-shipped", "/pages/orders/list?status=shipped"),
        ("aftersales", "/pages/aftersale/list"),
        ("aftersale-apply", f"/pages/aftersale/apply?order_no={orders['shipped']}"),
        ("favourites", "/pages/favourites/index"),
        ("history", "/pages/history/index"),
        ("wallet", "/pages/wallet/index"),
        ("settings", "/pages/settings/index"),
    ]
    paths += [(f"order-{status}", f"/pages/orders/detail?order_no={no}") for status, no in orders.items()]
    if "completed" in orders:
        paths.append(("review", f"/pages/review/create?order_no={orders['completed']}"))
    return paths


def _open(page: Page, server: LiveServer, data: ShopperData, locale: str, path: str) -> None:
    page.goto(f"{server.url}/")
    page.evaluate(
        """([token, refresh, locale]) => {
            localStorage.setItem('qm_auth', JSON.stringify({type: 'object', data: {access_token: token,
                refresh_token: refresh}}))
            localStorage.setItem('qm_locale', locale)
        }""",
        [data.token, data.refresh_token, locale],
    )
    page.goto(f"{server.url}/#{path}")
    page.reload()  # a fresh app at that route, as when a shopper opens a link
    page.wait_for_load_state("networkidle")
    if page.locator(".qm-skeleton").count():
        page.locator(".qm-skeleton").first.wait_for(state="detached", timeout=10_000)
    page.wait_for_timeout(200)


# English is checked on the pages with the most words of their own (the rest share their components)
ENGLISH = {"home", "search-empty", "product", "cart", "checkout-buy-now", "pay", "address-new", "me", "orders-all",
           "order-shipped", "order-refunding", "aftersale-apply", "wallet", "settings", "review"}


@pytest.mark.parametrize("locale", ["zh-Hans", "en"])
def test_every_page_reads_cleanly_at_phone_width(phone_page: Page, live_server: LiveServer, shopper, locale):
    PAGES_DIR.mkdir(parents=True, exist_ok=True)
    problems = []
    for name, path in _paths(shopper):
        if locale == "en" and name not in ENGLISH:
            continue
        _open(phone_page, live_server, shopper, locale, path)
        phone_page.screenshot(path=str(PAGES_DIR / f"{locale}-{name}.png"))
        try:
            assert_readable(phone_page)
        except AssertionError as error:
            problems.append(f"{name}: {error}")
        text = phone_page.locator("body").inner_text()
        if MESSAGE_KEY.search(text):
            problems.append(f"{name}: a message key shows instead of words: {MESSAGE_KEY.search(text).group(0)}")
        if phone_page.url.split("#")[-1].startswith("/pages/login/index"):
            problems.append(f"{name}: sent to the login page although logged in")
    assert not problems, "\n".join(problems)

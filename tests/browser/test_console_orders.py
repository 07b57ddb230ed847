"""The merchant console's order tools in Chromium at 1440x900: the owner finds orders by the receiver's full mobile
(a partial number is refused with a clear message), prints the picking list of two selected orders, ships them
together from the selection, and ships two more from a CSV saved by Excel (GBK) in which one unpaid order and an
unknown carrier are refused in their rows. Screenshots of the list, the CSV results and the picking list are kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.shop import DemoShopper
from tests.browser.test_console import CONSOLE_DIR, shot, sign_in


@pytest.fixture(autouse=True)
def _console_built() -> None:
    if not (CONSOLE_DIR / "index.html").is_file():
        pytest.fail(f"the console is not built at {CONSOLE_DIR}: run `make console` (make test does it)")


def _select(page: Page, order_no: str) -> None:
    page.locator(f'.order-row[data-order-no="{order_no}"] .el-checkbox').click()


def test_the_owner_searches_by_phone_prints_a_picking_list_and_ships_in_bulk(
    desktop_page: Page, live_server: LiveServer
) -> None:
    with live_server.api() as client:
        demo = DemoShopper.create(client, live_server)
        unpaid = demo.place()
        picked = [demo.pay(demo.place()) for _ in range(2)]
        from_csv = [demo.pay(demo.place()) for _ in range(2)]
        detail = client.get(f"/api/admin/v1/orders/{picked[0]}", headers=demo.staff).raise_for_status().json()
    phone = detail["address"]["phone"]
    page = desktop_page
    sign_in(page, live_server, "demo_owner")
    page.locator(".menu-orders").click()

    # a partial number is refused with the server's reason, next to the filters
    page.locator(".filter-phone input").fill(phone[:7])
    page.locator(".filter-phone input").press("Enter")
    expect(page.locator(".phone-error")).to_contain_text("完整的 11 位手机号")
    # the full number finds the orders, and the filter survives a reload
    page.locator(".filter-phone input").fill(phone)
    page.locator(".filter-phone input").press("Enter")
    expect(page.locator(".phone-error")).to_have_count(0)
    expect(page.locator(f'.order-row[data-order-no="{picked[0]}"]')).to_be_visible()
    assert f"phone={phone}" in page.url
    page.reload()
    expect(page.locator(".filter-phone input")).to_have_value(phone)
    expect(page.locator(f'.order-row[data-order-no="{unpaid}"]')).to_be_visible()

    # select two paid orders and print their picking list
    for order_no in picked:
        _select(page, order_no)
    expect(page.locator(".selection-count")).to_contain_text("已选 2 单")
    shot(page, "console-orders")
    page.locator(".print-picking").click()
    sheet = page.locator(".picking-sheet")
    expect(sheet.locator(".picking-order")).to_have_count(2)
    for order_no in picked:
        expect(sheet.locator(f'.picking-order[data-order-no="{order_no}"]')).to_contain_text("共 1 件")
    expect(sheet.locator(".picking-sku")).to_have_count(1)
    expect(sheet.locator(".picking-sku").first).to_have_attribute("data-quantity", "2")
    expect(sheet.locator(".picking-total")).to_have_text("2")
    expect(sheet).not_to_contain_text(phone)  # the phone is masked on paper
    expect(sheet).to_contain_text(phone[:3] + "****" + phone[-4:])
    shot(page, "console-picking-list")
    page.emulate_media(media="print")
    expect(page.locator(".console-aside")).to_be_hidden()
    expect(page.locator(".picking-print")).to_be_hidden()
    expect(sheet).to_be_visible()
    page.emulate_media(media="screen")
    page.locator(".picking-back").click()

    # ship the two picked orders from the selection: one carrier filled down, one tracking number each
    expect(page.locator(".filter-phone input")).to_have_value(phone)
    for order_no in picked:
        _select(page, order_no)
    page.locator(".bulk-ship").click()
    dialog = page.locator(".bulk-ship-dialog")
    expect(dialog.locator(".bulk-tracking")).to_have_count(2)
    dialog.locator(".bulk-carrier").first.click()
    page.get_by_role("option", name="中通快递").click()
    dialog.locator(".bulk-fill-down").first.click()
    dialog.locator(".bulk-tracking input").nth(0).fill("ZT5000000001")
    dialog.locator(".bulk-tracking input").nth(0).press("Enter")  # a scanner's Enter moves to the next row
    page.keyboard.type("ZT5000000002")
    dialog.locator(".bulk-confirm").click()
    expect(dialog.locator('.bulk-status[data-status="shipped"]')).to_have_count(2)
    expect(dialog.locator(".bulk-summary")).to_contain_text("发货成功 2 单")
    dialog.locator(".bulk-close").click()
    expect(page.locator(f'.order-row[data-order-no="{picked[0]}"]')).to_have_attribute("data-status", "shipped")

    # ship two more from a CSV saved by Excel on Chinese Windows (GBK), with a bad row and an unknown carrier
    sheet_text = (
        "\r\n".join(
            [
                "订单号,快递公司,运单号",
                f"{from_csv[0]},顺丰,SF5000000003",
                f"{unpaid},圆通速递,YT5000000004",
                f"{from_csv[1]},ZTO,ZT5000000005",
                f"{from_csv[1]}0,德邦,DB5000000006",
            ]
        )
        + "\r\n"
    )
    page.locator(".csv-ship").click()
    page.locator(".bulk-ship-dialog .csv-file").set_input_files(
        files=[{"name": "发货单.csv", "mimeType": "text/csv", "buffer": sheet_text.encode("gbk")}]
    )
    expect(dialog.locator(".csv-info")).to_contain_text("共 4 行，可提交 3 行")
    expect(dialog.locator('.bulk-status[data-status="invalid"]')).to_have_count(1)
    dialog.locator(".bulk-confirm").click()
    expect(dialog.locator(".bulk-summary")).to_contain_text("发货成功 2 单")
    for order_no in from_csv:
        expect(dialog.locator(f'.bulk-status[data-order-no="{order_no}"]').first).to_have_attribute(
            "data-status", "shipped"
        )
    refused = dialog.locator(".bulk-row--refused")
    expect(refused).to_contain_text(unpaid)
    expect(refused).to_contain_text("订单未付款，不能发货")
    expect(dialog.locator(".bulk-row--invalid")).to_contain_text("无法识别的快递公司：德邦")
    shot(page, "console-bulk-ship")
    dialog.locator(".bulk-close").click()

    with live_server.api() as client:
        states = {
            no: client.get(f"/api/admin/v1/orders/{no}", headers=demo.staff).json()
            for no in [*picked, *from_csv, unpaid]
        }
    shipped = {no: (o["status"], (o.get("logistics") or {}).get("tracking_no", "")) for no, o in states.items()}
    assert shipped == {
        picked[0]: ("shipped", "ZT5000000001"),
        picked[1]: ("shipped", "ZT5000000002"),
        from_csv[0]: ("shipped", "SF5000000003"),
        from_csv[1]: ("shipped", "ZT5000000005"),
        unpaid: ("pending_payment", ""),
    }
    assert states[picked[1]]["logistics"]["carrier_code"] == "ZTO"

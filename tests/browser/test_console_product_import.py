"""Product CSV export and import in the console (Chromium, 1440x900): the owner exports the product list (a CSV
with the import's header), then imports a file with two good products and two bad rows; the progress bar runs to
100%, the two bad rows are listed with their reasons, and the two good products are in the product list."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from qingmall.catalog.transfer import COLUMNS
from tests.browser.conftest import LiveServer
from tests.browser.test_console import CONSOLE_DIR, shot, sign_in


@pytest.fixture(autouse=True)
def _console_built() -> None:
    if not (CONSOLE_DIR / "index.html").is_file():
        pytest.fail(f"the console is not built at {CONSOLE_DIR}: run `make console` (make test does it)")


def _import_file(folder: Path, tag: str) -> Path:
    rows = [
        {
            "商品名称": f"导入衬衫{tag}",
            "类目": "服饰鞋包/男装",
            "规格名": "尺码",
            "规格值": "M",
            "售价(元)": "129",
            "库存": "5",
            "上架": "是",
        },
        {"规格值": "L", "售价(元)": "139", "库存": "3"},
        {"商品名称": f"导入袜子{tag}", "类目": "男装", "售价(元)": "19.9", "库存": "50"},
        {"商品名称": f"价格写错{tag}", "类目": "男装", "售价(元)": "十二块"},
        {"商品名称": f"类目写错{tag}", "类目": "不存在的类目", "售价(元)": "10"},
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([[row.get(column, "") for column in COLUMNS] for row in rows])
    path = folder / "products.csv"
    path.write_bytes(buffer.getvalue().encode("gbk"))  # as Excel saves "CSV" on a Chinese Windows
    return path


def test_the_owner_exports_and_imports_products(desktop_page: Page, live_server: LiveServer, tmp_path: Path) -> None:
    page = desktop_page
    sign_in(page, live_server, "demo_owner")
    page.locator(".menu-products").click()
    expect(page.locator(".product-row").first).to_be_visible()

    with page.expect_download() as download_info:
        page.locator(".products-export").click()
    download = download_info.value
    assert download.suggested_filename.startswith("products-") and download.suggested_filename.endswith(".csv")
    exported = Path(download.path()).read_bytes()
    assert exported.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"), newline="")))
    assert lines[0] == list(COLUMNS)
    assert len(lines) > 1  # the demo shop's products, one row per SKU

    tag = uuid.uuid4().hex[:6]
    page.locator(".products-import").click()
    dialog = page.locator(".product-import-dialog")
    expect(dialog).to_be_visible()
    dialog.locator(".import-file").set_input_files(str(_import_file(tmp_path, tag)))

    expect(dialog.locator('.import-job[data-status="done"]')).to_be_visible(timeout=30_000)
    expect(dialog.locator(".import-progress")).to_have_attribute("aria-valuenow", "100")
    expect(dialog.locator(".count--created b")).to_have_text("2")
    expect(dialog.locator(".count--failed b")).to_have_text("2")
    errors = dialog.locator(".import-error-row")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("5")
    expect(errors.nth(0)).to_contain_text("售价(元)")
    expect(errors.nth(0)).to_contain_text("「十二块」不是有效的金额")
    expect(errors.nth(1)).to_contain_text("6")
    expect(errors.nth(1)).to_contain_text("类目「不存在的类目」不存在")
    shot(page, "console-product-import")

    with page.expect_download() as report_info:
        dialog.locator(".import-errors-download").click()
    report = Path(report_info.value.path()).read_bytes().decode("utf-8-sig")
    assert report.splitlines()[0] == "行号,列,原因" and len(report.splitlines()) == 3

    dialog.locator(".import-close").click()
    page.locator(".filter-keyword input").fill(tag)
    page.locator(".filter-keyword input").press("Enter")
    titles = page.locator(".product-row .title")
    expect(titles).to_have_count(2)
    expect(titles).to_have_text([f"导入袜子{tag}", f"导入衬衫{tag}"])

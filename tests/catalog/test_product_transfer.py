"""Product CSV export and import: the file format, round trips, per-row errors, encodings, limits, the job's
lease and the sweep that resumes a lost import, and who may do what."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from qingmall import jobs
from qingmall.catalog import service as catalog_service
from qingmall.catalog import transfer_imports
from qingmall.catalog.models import Category, Spu
from qingmall.catalog.transfer import COLUMNS
from qingmall.catalog.transfer_models import ProductImport
from qingmall.core import clock
from qingmall.inventory.models import StockMovement
from tests.catalog.conftest import simple_payload, staff_with_role, tee_payload

PRODUCTS = "/api/admin/v1/products"
EXPORT = f"{PRODUCTS}/export.csv"
IMPORTS = f"{PRODUCTS}/imports"


@pytest.fixture
def huey():
    queue = jobs.get_huey()
    queue.flush()
    yield queue
    queue.flush()


@pytest.fixture
async def menswear(session) -> Category:
    """服饰鞋包 / 男装: a two-level category, written as a path in the file."""
    top = Category(name="服饰鞋包")
    session.add(top)
    await session.flush()
    leaf = Category(name="男装", parent_id=top.id)
    session.add(leaf)
    await session.commit()
    return leaf


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def file_rows(*rows: dict[str, str]) -> list[list[str]]:
    """The full header and one row per dict (missing columns blank)."""
    return [list(COLUMNS), *[[row.get(column, "") for column in COLUMNS] for row in rows]]


async def create(client, headers, payload) -> dict:
    response = await client.post(PRODUCTS, json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def upload(client, headers, data: bytes, name: str = "products.csv"):
    return await client.post(IMPORTS, files={"file": (name, data, "text/csv")}, headers=headers)


async def run_queued(huey, client, headers, import_id: int) -> dict:
    """Run the job the upload queued (as a huey worker would), then read the import."""
    [task] = huey.pending()
    assert (task.name, task.args) == ("run_product_import", (import_id,))
    await asyncio.to_thread(huey.execute, huey.dequeue())
    response = await client.get(f"{IMPORTS}/{import_id}", headers=headers)
    assert response.status_code == 200
    return response.json()


async def import_file(client, headers, huey, data: bytes) -> dict:
    started = await upload(client, headers, data)
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "pending"
    return await run_queued(huey, client, headers, started.json()["id"])


async def admin_detail(client, headers, spu_id: int) -> dict:
    response = await client.get(f"{PRODUCTS}/{spu_id}", headers=headers)
    assert response.status_code == 200
    return response.json()


async def count(db, model, *conditions) -> int:
    async with db.sessionmaker() as check:
        return await check.scalar(select(func.count()).select_from(model).where(*conditions))


# ---- export --------------------------------------------------------------------------------------------


async def test_export_is_one_row_per_sku_with_bom_path_and_formula_guard(client, owner, menswear):
    tee = await create(
        client, owner, tee_payload(menswear.id, title='=HYPERLINK("http://x")', subtitle='-1, "热卖"', tags=["@新品"])
    )
    await create(client, owner, simple_payload(menswear.id, title="袜子", price=1250, is_on_shelf=False))

    response = await client.get(EXPORT, headers=owner)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    day = clock.to_shanghai(clock.now()).strftime("%Y%m%d")
    assert f'filename="products-{day}-' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = parse(response.content.decode("utf-8-sig"))
    assert rows[0] == list(COLUMNS)
    assert len(rows) == 1 + 1 + 6  # newest product first: the socks, then the tee's six SKUs
    socks = dict(zip(COLUMNS, rows[1], strict=True))
    assert (socks["商品名称"], socks["规格名"], socks["规格值"], socks["售价(元)"], socks["划线价(元)"]) == (
        "袜子",
        "",
        "",
        "12.50",
        "",
    )
    assert (socks["库存"], socks["上架"], socks["启用"], socks["类目"]) == ("5", "否", "是", "服饰鞋包/男装")
    first = dict(zip(COLUMNS, rows[2], strict=True))
    assert first["商品ID"] == str(tee["id"])
    assert first["商品名称"] == '\'=HYPERLINK("http://x")'
    assert first["副标题"] == '\'-1, "热卖"'
    assert first["标签"] == "'@新品"
    assert (first["规格名"], first["售价(元)"], first["划线价(元)"], first["上架"]) == (
        "颜色|尺码",
        "99.00",
        "199.00",
        "是",
    )
    assert first["图片"] == "/media/a.jpg|https://cdn.example.com/b.jpg"
    assert [row[5] for row in rows[2:]] == ["黑|S", "黑|M", "黑|L", "白|S", "白|M", "白|L"]
    assert [row[6] for row in rows[2:]] == ["99.00", "100.00", "101.00", "102.00", "103.00", "104.00"]


async def test_export_takes_the_list_filters_and_the_template_is_the_header(client, owner, menswear):
    await create(client, owner, simple_payload(menswear.id, title="在售", is_on_shelf=True))
    await create(client, owner, simple_payload(menswear.id, title="下架", is_on_shelf=False))

    on_shelf = parse((await client.get(EXPORT, params={"is_on_shelf": "true"}, headers=owner)).text.lstrip("\ufeff"))
    by_keyword = parse((await client.get(EXPORT, params={"keyword": "下架"}, headers=owner)).text.lstrip("\ufeff"))
    template = await client.get(EXPORT, params={"template": "true"}, headers=owner)

    assert [row[1] for row in on_shelf[1:]] == ["在售"]
    assert [row[1] for row in by_keyword[1:]] == ["下架"]
    assert template.content == b"\xef\xbb\xbf" + ",".join(COLUMNS).encode() + b"\r\n"
    assert 'filename="products-template.csv"' in template.headers["content-disposition"]


async def test_export_streams_in_batches(client, owner, category, session, monkeypatch):
    from qingmall.catalog import transfer

    monkeypatch.setattr(transfer, "EXPORT_BATCH", 2)
    for n in range(5):
        await create(client, owner, simple_payload(category.id, title=f"商品{n}"))

    rows = parse((await client.get(EXPORT, headers=owner)).text.lstrip("\ufeff"))

    assert [row[1] for row in rows[1:]] == ["商品4", "商品3", "商品2", "商品1", "商品0"]


# ---- import: round trip, create, update ------------------------------------------------------------


async def test_export_then_import_changes_nothing(client, owner, menswear, db, huey):
    tee = await create(client, owner, tee_payload(menswear.id, title="=1+1", tags=["-特价"]))
    socks = await create(client, owner, simple_payload(menswear.id, title="袜子", is_on_shelf=False))
    before = [await admin_detail(client, owner, spu["id"]) for spu in (tee, socks)]
    movements = await count(db, StockMovement)
    exported = (await client.get(EXPORT, headers=owner)).content

    result = await import_file(client, owner, huey, exported)

    assert (result["status"], result["percent"], result["errors"]) == ("done", 100, [])
    assert (result["total"], result["done"], result["created"], result["updated"], result["failed"]) == (2, 2, 0, 2, 0)
    assert result["encoding"] == "utf-8"
    after = [await admin_detail(client, owner, spu["id"]) for spu in (tee, socks)]
    for old, new in zip(before, after, strict=True):
        old.pop("updated_at"), new.pop("updated_at")
        assert new == old
    assert after[0]["title"] == "=1+1" and after[0]["tags"] == ["-特价"]
    assert await count(db, Spu) == 2
    assert await count(db, StockMovement) == movements


async def test_import_creates_products_with_initial_stock(client, owner, menswear, db, huey):
    data = csv_bytes(
        file_rows(
            {
                "商品名称": "亚麻衬衫",
                "副标题": "透气",
                "类目": "服饰鞋包/男装",
                "规格名": "颜色|尺码",
                "规格值": "白|M",
                "售价(元)": "129",
                "划线价(元)": "199.5",
                "库存": "8",
                "重量(克)": "300",
                "条码": "690001",
                "上架": "是",
                "图片": "/media/s1.jpg|/media/s2.jpg",
                "标签": "新品|夏季",
            },
            {"规格值": "白|L", "售价(元)": "139.00", "库存": "4"},
            {"商品名称": "亚麻衬衫", "规格值": "蓝|M", "售价(元)": "129", "库存": "0"},
            {"规格值": "蓝|L", "售价(元)": "1,139.9", "库存": "2", "启用": "否"},
            {"商品名称": "手帕", "类目": "男装", "售价(元)": "9.9"},
        )
    )

    result = await import_file(client, owner, huey, data)

    assert (result["created"], result["updated"], result["failed"], result["errors"]) == (2, 0, 0, [])
    assert result["row_count"] == 5 and result["total"] == 2
    listed = (await client.get(PRODUCTS, headers=owner)).json()["items"]
    assert [item["title"] for item in listed] == ["手帕", "亚麻衬衫"]
    shirt = await admin_detail(client, owner, listed[1]["id"])
    assert shirt["spec_dimensions"] == [
        {"name": "颜色", "values": ["白", "蓝"]},
        {"name": "尺码", "values": ["M", "L"]},
    ]
    assert [(s["spec_key"], s["price"], s["original_price"], s["stock"], s["is_enabled"]) for s in shirt["skus"]] == [
        ("白/M", 12900, 19950, 8, True),
        ("白/L", 13900, 0, 4, True),
        ("蓝/M", 12900, 0, 0, True),
        ("蓝/L", 113990, 0, 2, False),
    ]
    assert (shirt["skus"][0]["weight_grams"], shirt["skus"][0]["barcode"]) == (300, "690001")
    assert (shirt["is_on_shelf"], shirt["main_image_url"], shirt["tags"]) == (True, "/media/s1.jpg", ["新品", "夏季"])
    assert shirt["category_id"] == menswear.id
    handkerchief = await admin_detail(client, owner, listed[0]["id"])
    assert [(s["spec_key"], s["price"], s["stock"]) for s in handkerchief["skus"]] == [("", 990, 0)]
    assert handkerchief["is_on_shelf"] is False
    assert await count(db, StockMovement, StockMovement.reason == "initial") == 3  # 8 + 4 + 2; zero is not ledgered


async def test_import_update_keeps_stock_and_unlisted_fields(client, owner, menswear, db, huey):
    tee = await create(client, owner, tee_payload(menswear.id))
    rows = parse((await client.get(EXPORT, headers=owner)).text.lstrip("\ufeff"))
    rows[1][1] = "纯棉短袖T恤（新版）"  # 商品名称
    rows[1][6] = "88.8"  # 黑|S 售价
    rows[1][8] = "999"  # 库存: ignored on update
    rows[2][11] = "否"  # 黑|M 停用
    for row in rows[2:]:
        row[1] = row[12] = ""  # product columns may be left blank on a product's later rows
    rows[1][12] = "否"  # 下架

    result = await import_file(client, owner, huey, csv_bytes(rows))

    assert (result["updated"], result["failed"], result["errors"]) == (1, 0, [])
    after = await admin_detail(client, owner, tee["id"])
    assert after["title"] == "纯棉短袖T恤（新版）"
    assert [(s["price"], s["stock"], s["is_enabled"]) for s in after["skus"][:2]] == [
        (8880, 10, True),
        (10000, 10, False),
    ]
    assert after["is_on_shelf"] is False
    assert after["detail"] == tee["detail"] and after["images"] == tee["images"]
    assert await count(db, StockMovement) == 6  # the initial stock only


async def test_only_the_columns_in_the_file_are_changed(client, owner, menswear, huey):
    tee = await create(client, owner, tee_payload(menswear.id))
    data = csv_bytes(
        [
            ["商品ID", "规格值", "售价(元)"],
            *[[str(tee["id"]), f"{c}|{s}", "50"] for c in ("黑", "白") for s in ("S", "M", "L")],
        ]
    )

    result = await import_file(client, owner, huey, data)

    assert (result["updated"], result["errors"]) == (1, [])
    after = await admin_detail(client, owner, tee["id"])
    assert {s["price"] for s in after["skus"]} == {5000}
    assert [s["original_price"] for s in after["skus"]] == [19900] * 6
    assert (after["title"], after["subtitle"], after["tags"], after["is_on_shelf"]) == (
        "纯棉短袖T恤",
        "夏季新款",
        ["新品"],
        True,
    )


# ---- import: per-row errors ------------------------------------------------------------------------


async def test_bad_rows_are_reported_and_good_products_still_import(client, owner, menswear, db, huey):
    data = csv_bytes(
        file_rows(
            {"商品名称": "好商品一", "类目": "服饰鞋包/男装", "售价(元)": "10"},
            {"商品名称": "价格不对", "类目": "服饰鞋包/男装", "售价(元)": "12.345"},  # row 3
            {"商品名称": "类目不对", "类目": "服饰鞋包/女装", "售价(元)": "10", "库存": "-1"},  # row 4
            {"商品名称": "规格缺值", "类目": "男装", "规格名": "颜色|尺码", "规格值": "黑|M", "售价(元)": "10"},  # 5
            {"商品名称": "规格缺值", "规格值": "黑", "售价(元)": "10"},  # row 6
            {"商品名称": "缺组合", "类目": "男装", "规格名": "颜色|尺码", "规格值": "黑|M", "售价(元)": "10"},  # 7
            {"商品名称": "缺组合", "规格值": "白|L", "售价(元)": "10"},  # row 8
            {"商品ID": "999999", "商品名称": "没有这个商品", "售价(元)": "10"},  # row 9
            {"商品名称": "划线价低", "类目": "男装", "售价(元)": "10", "划线价(元)": "9"},  # row 10
            {"商品名称": "不一致", "类目": "男装", "售价(元)": "10", "上架": "是"},  # row 11
            {"商品名称": "不一致", "类目": "服饰鞋包", "售价(元)": "10", "规格值": ""},  # row 12
            {"商品名称": "好商品二", "类目": "男装", "售价(元)": "20", "上架": "也许"},  # row 13
            {"商品名称": "好商品三", "类目": "男装", "售价(元)": "20000000"},  # row 14: 2e7 yuan is above the cap
            {"商品名称": "好商品四", "类目": "男装", "售价(元)": "20"},
        )
    )

    result = await import_file(client, owner, huey, data)

    assert result["status"] == "done"
    assert (result["total"], result["created"], result["updated"], result["failed"]) == (11, 2, 0, 9)
    assert result["errors"] == [
        {"row": 3, "column": "售价(元)", "message": "「12.345」不是有效的金额（元，最多两位小数）"},
        {"row": 4, "column": "类目", "message": "类目「服饰鞋包/女装」不存在"},
        {"row": 4, "column": "库存", "message": "「-1」不是有效的非负整数"},
        {"row": 6, "column": "规格值", "message": "应为 2 个规格值（用“|”分隔），实际为「黑」"},
        {"row": 7, "column": "规格值", "message": "缺少规格组合：黑/L、白/M（共 2 个）"},
        {"row": 9, "column": "商品ID", "message": "商品ID 999999 不存在（新建商品请留空商品ID）"},
        {"row": 10, "column": "划线价(元)", "message": "划线价不能低于售价"},
        {"row": 12, "column": "类目", "message": "与本商品第一行（第 11 行）的「类目」不一致"},
        {"row": 13, "column": "上架", "message": "「也许」应为 是 或 否"},
        {"row": 14, "column": "售价(元)", "message": "不能大于 10000000.00 元"},
    ]
    titles = sorted((await client.get(PRODUCTS, headers=owner)).json()["items"], key=lambda i: i["id"])
    assert [item["title"] for item in titles] == ["好商品一", "好商品四"]

    report = await client.get(f"{IMPORTS}/{result['id']}/errors.csv", headers=owner)
    assert report.status_code == 200 and report.content.startswith(b"\xef\xbb\xbf")
    lines = parse(report.content.decode("utf-8-sig"))
    assert lines[0] == ["行号", "列", "原因"]
    assert lines[1] == ["3", "售价(元)", "「12.345」不是有效的金额（元，最多两位小数）"]
    assert len(lines) == 11


async def test_a_spec_value_duplicated_in_the_file_is_reported_on_its_row(client, owner, category, huey):
    data = csv_bytes(
        file_rows(
            {"商品名称": "杯子", "类目": "手机", "规格名": "颜色", "规格值": "红", "售价(元)": "10"},
            {"规格值": "蓝", "售价(元)": "10"},
            {"规格值": "红", "售价(元)": "11"},
        )
    )

    result = await import_file(client, owner, huey, data)

    assert result["errors"] == [{"row": 4, "column": "规格值", "message": "规格组合「红」重复"}]
    assert result["failed"] == 1


# ---- encodings and limits ------------------------------------------------------------------------------


async def test_a_gbk_file_from_excel_is_read(client, owner, menswear, huey):
    data = csv_bytes(file_rows({"商品名称": "羊毛围巾", "类目": "服饰鞋包/男装", "售价(元)": "59", "库存": "3"}), "gbk")

    result = await import_file(client, owner, huey, data)

    assert (result["encoding"], result["created"], result["errors"]) == ("gbk", 1, [])
    assert (await client.get(PRODUCTS, headers=owner)).json()["items"][0]["title"] == "羊毛围巾"


async def test_utf8_with_bom_and_fullwidth_header_brackets(client, owner, menswear, huey):
    text = "\ufeff商品名称,类目,售价（元）\r\n手套,男装,19.9\r\n"

    result = await import_file(client, owner, huey, text.encode("utf-8"))

    assert (result["created"], result["errors"]) == (1, [])


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 422, "empty_file"),
        (b"\xff\xfe\x00\x00\x81", 422, "import_bad_encoding"),
        ("商品名称,类目\r\n帽\x00子,男装\r\n".encode(), 422, "import_not_csv"),
        ("商品名称,价格\r\n帽子,10\r\n".encode(), 422, "import_unknown_columns"),
        ("商品名称,商品名称\r\n帽子,帽子\r\n".encode(), 422, "import_duplicate_columns"),
        ("类目,售价(元)\r\n男装,10\r\n".encode(), 422, "import_missing_columns"),
        ("商品名称,类目\r\n\r\n,\r\n".encode(), 422, "import_no_rows"),
        (("商品名称,售价(元)\r\n" + "帽子,10\r\n" * 5001).encode(), 422, "import_too_many_rows"),
        (b"\xef\xbb\xbf" + b"a" * (5 * 1024 * 1024), 413, "file_too_large"),
    ],
    ids=["empty", "encoding", "nul", "unknown-column", "repeated-column", "no-key-column", "no-rows", "rows", "size"],
)
async def test_unusable_files_are_refused_at_once(client, owner, db, huey, data, status, code):
    response = await upload(client, owner, data)

    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert await count(db, ProductImport) == 0
    assert huey.pending() == []


async def test_a_body_far_over_the_limit_is_refused_before_it_is_read(client, owner):
    response = await upload(client, owner, b"x" * (6 * 1024 * 1024))

    assert response.status_code == 413


# ---- the job: lease, crash, sweep --------------------------------------------------------------------


class Crash(BaseException):
    """The worker process dying mid-import (not an error the job could catch and record)."""


def three_products() -> bytes:
    return csv_bytes(file_rows(*[{"商品名称": f"商品{n}", "类目": "手机", "售价(元)": "1"} for n in (1, 2, 3)]))


async def test_a_crashed_import_is_resumed_by_the_sweep_without_duplicates(
    client, owner, category, db, huey, monkeypatch
):
    started = (await upload(client, owner, three_products())).json()
    huey.flush()  # the queued job is lost
    real_create = catalog_service.create_product
    calls = 0

    async def dies_right_after_the_second(session, data, staff_id):
        nonlocal calls
        calls += 1
        spu = await real_create(session, data, staff_id)
        if calls == 2:
            raise Crash  # the product is committed; had its progress not been committed with it, it would be made twice
        return spu

    monkeypatch.setattr(catalog_service, "create_product", dies_right_after_the_second)
    async with db.sessionmaker() as worker:
        with pytest.raises(Crash):
            await transfer_imports.run_import(worker, started["id"])
    monkeypatch.setattr(catalog_service, "create_product", real_create)

    halfway = (await client.get(f"{IMPORTS}/{started['id']}", headers=owner)).json()
    assert (halfway["status"], halfway["done"], halfway["created"], halfway["percent"]) == ("running", 2, 2, 66)
    assert await asyncio.to_thread(jobs.sweep_product_imports) == 0  # the dead worker's lease still runs

    clock.advance(transfer_imports.LEASE + timedelta(seconds=1))
    assert await asyncio.to_thread(jobs.sweep_product_imports) == 1

    done = (await client.get(f"{IMPORTS}/{started['id']}", headers=owner)).json()
    assert (done["status"], done["done"], done["created"], done["failed"], done["errors"]) == ("done", 3, 3, 0, [])
    assert done["finished_at"] is not None
    titles = sorted(item["title"] for item in (await client.get(PRODUCTS, headers=owner)).json()["items"])
    assert titles == ["商品1", "商品2", "商品3"]
    async with db.sessionmaker() as check:
        assert (await check.get(ProductImport, started["id"])).attempts == 2


async def test_a_pending_import_whose_job_was_lost_is_picked_up_after_a_grace(client, owner, category, huey):
    started = (await upload(client, owner, three_products())).json()
    huey.flush()

    assert await asyncio.to_thread(jobs.sweep_product_imports) == 0  # the queued job may still come
    clock.advance(transfer_imports.PENDING_GRACE + timedelta(seconds=1))
    assert await asyncio.to_thread(jobs.sweep_product_imports) == 1

    assert (await client.get(f"{IMPORTS}/{started['id']}", headers=owner)).json()["created"] == 3


async def test_a_held_import_is_not_run_twice_and_a_finished_one_not_again(client, owner, category, db, huey):
    started = (await upload(client, owner, three_products())).json()
    async with db.sessionmaker() as first:
        assert await transfer_imports._claim(first, started["id"], clock.now()) == 1
    async with db.sessionmaker() as second:
        assert await transfer_imports.run_import(second, started["id"]) is False  # leased to the first
    clock.advance(transfer_imports.LEASE + timedelta(seconds=1))
    async with db.sessionmaker() as third:
        assert await transfer_imports.run_import(third, started["id"]) is True
        assert await transfer_imports.run_import(third, started["id"]) is False
    assert await count(db, Spu) == 3


async def test_an_import_interrupted_too_often_is_marked_failed(client, owner, category, db, huey):
    started = (await upload(client, owner, three_products())).json()
    async with db.sessionmaker() as worker:
        for _ in range(transfer_imports.MAX_ATTEMPTS):
            assert await transfer_imports._claim(worker, started["id"], clock.now()) is not None
            clock.advance(transfer_imports.LEASE + timedelta(seconds=1))
        assert await transfer_imports.run_import(worker, started["id"]) is False

    job = (await client.get(f"{IMPORTS}/{started['id']}", headers=owner)).json()
    assert (job["status"], job["message"], job["percent"]) == ("failed", transfer_imports.GIVEN_UP, 100)
    assert await count(db, Spu) == 0


# ---- permissions ---------------------------------------------------------------------------------------


async def test_permissions(client, owner, support, session, category, huey):
    warehouse = await staff_with_role(session, "warehouse")  # may adjust stock, may not edit products
    data = three_products()

    assert (await client.get(EXPORT)).status_code == 401
    assert (await client.get(EXPORT, headers=support)).status_code == 200
    for headers in (support, warehouse):
        refused = await upload(client, headers, data)
        assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert (await upload(client, {}, data)).status_code == 401
    started = (await upload(client, owner, data)).json()
    assert (await client.get(f"{IMPORTS}/{started['id']}", headers=support)).status_code == 200
    assert (await client.get(f"{IMPORTS}/{started['id']}")).status_code == 401
    missing = await client.get(f"{IMPORTS}/{started['id'] + 1}", headers=owner)
    assert (missing.status_code, missing.json()["code"]) == (404, "import_not_found")
    assert (await client.get(f"{IMPORTS}/{started['id'] + 1}/errors.csv", headers=owner)).status_code == 404

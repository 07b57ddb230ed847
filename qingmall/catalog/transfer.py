"""Product CSV (商品 CSV 导入导出): the file format, the export, and reading a file into product drafts.

One row per SKU. Product columns (商品ID, 商品名称, 副标题, 类目, 规格名, 上架, 主图, 图片, 标签) repeat on every
row of a product; on the import they may be left blank on a product's later rows, and a value there that
differs from the product's first row is an error. The export is what the import reads, so export → edit →
import round trips: the import matches SKUs by their spec values and keeps every field the file has no
column for (detail, video, shipping template, SKU pictures...).

Cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR) are written with a
leading ``'``, and so is a cell that itself starts with ``'``; the import removes one leading ``'`` from
every cell, so the guard never reaches the data. Files are written UTF-8 with a BOM (Excel detects it);
uploads may be UTF-8 with or without a BOM, or GBK/GB18030 as Excel saves "CSV" on a Chinese Windows.

The rules of a product (the SKU matrix, prices, lengths, URLs) are not repeated here: drafts are validated
by ``ProductCreate``/``ProductUpdate`` and ``catalog.service``, and their errors are mapped back to the
file's row numbers and column names.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog import queries
from qingmall.catalog.matrix import expected_spec_keys
from qingmall.catalog.models import Category, Sku, Spu
from qingmall.catalog.schemas import ProductCreate, ProductUpdate
from qingmall.core.db import get_database
from qingmall.core.errors import AppError, InvalidInput
from qingmall.core.http import _chinese

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
EXPORT_BATCH = 100
LIST_SEPARATOR = "|"
BOM = "\ufeff"

COL_ID = "商品ID"
COL_TITLE = "商品名称"
COL_SUBTITLE = "副标题"
COL_CATEGORY = "类目"
COL_SPEC_NAMES = "规格名"
COL_SPEC_VALUES = "规格值"
COL_PRICE = "售价(元)"
COL_ORIGINAL_PRICE = "划线价(元)"
COL_STOCK = "库存"
COL_WEIGHT = "重量(克)"
COL_BARCODE = "条码"
COL_ENABLED = "启用"
COL_SHELF = "上架"
COL_MAIN_IMAGE = "主图"
COL_IMAGES = "图片"
COL_TAGS = "标签"

COLUMNS = (
    COL_ID,
    COL_TITLE,
    COL_SUBTITLE,
    COL_CATEGORY,
    COL_SPEC_NAMES,
    COL_SPEC_VALUES,
    COL_PRICE,
    COL_ORIGINAL_PRICE,
    COL_STOCK,
    COL_WEIGHT,
    COL_BARCODE,
    COL_ENABLED,
    COL_SHELF,
    COL_MAIN_IMAGE,
    COL_IMAGES,
    COL_TAGS,
)
PRODUCT_COLUMNS = (
    COL_ID,
    COL_TITLE,
    COL_SUBTITLE,
    COL_CATEGORY,
    COL_SPEC_NAMES,
    COL_SHELF,
    COL_MAIN_IMAGE,
    COL_IMAGES,
    COL_TAGS,
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
_YES = {"是", "y", "yes", "true", "1", "上架", "启用"}
_NO = {"否", "n", "no", "false", "0", "下架", "停用"}
_YUAN = re.compile(r"^(\d{1,9})(?:\.(\d{1,2}))?$")
_WHOLE = re.compile(r"^(\d{1,12})(?:\.0*)?$")
_MAX_ID = 2**62


class FileTooLarge(AppError):
    status_code = 413
    code = "file_too_large"


@dataclass(frozen=True)
class RowError:
    """A problem of the file, where a spreadsheet shows it: row number (header = 1) and column name."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class RowsInvalid(Exception):
    """A product of the file cannot be applied; ``errors`` say where and why."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(errors[0].message if errors else "")
        self.errors = list(errors)


# ---- writing -----------------------------------------------------------------------------------------


def guard_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: formula starts (and a leading ``'``) get a leading ``'``."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def unguard_cell(value: str) -> str:
    """The import's inverse of ``guard_cell`` (Excel never writes a leading ``'`` into a CSV itself)."""
    return value[1:] if value.startswith("'") else value


def csv_text(rows: Sequence[Sequence[str]], *, bom: bool = False) -> str:
    """Guarded cells, CRLF line ends (what Excel writes), everything quoted as needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([[guard_cell(cell) for cell in row] for row in rows])
    return (BOM if bom else "") + buffer.getvalue()


def format_yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


async def category_paths(session: AsyncSession) -> dict[int, str]:
    """``{id: "服饰鞋包/男装"}`` for every category (the tree is small: one query)."""
    rows = {c.id: c for c in (await session.scalars(select(Category))).all()}
    paths: dict[int, str] = {}
    for category_id in rows:
        names, current, steps = [], rows.get(category_id), 0
        while current is not None and steps <= len(rows):
            names.append(current.name)
            current = rows.get(current.parent_id) if current.parent_id is not None else None
            steps += 1
        paths[category_id] = "/".join(reversed(names))
    return paths


def product_rows(spu: Spu, skus: Sequence[Sku], paths: dict[int, str]) -> list[list[str]]:
    """The export rows of one product: its current matrix in matrix order (disabled SKUs flagged 启用=否)."""
    by_key = {sku.spec_key: sku for sku in skus}
    names = LIST_SEPARATOR.join(d["name"] for d in spu.spec_dimensions)
    rows = []
    for key in expected_spec_keys(spu.spec_dimensions):
        sku = by_key.get(key)
        if sku is None:
            continue
        rows.append(
            [
                str(spu.id),
                spu.title,
                spu.subtitle,
                paths.get(spu.category_id, ""),
                names,
                LIST_SEPARATOR.join(sku.spec_values),
                format_yuan(sku.price),
                format_yuan(sku.original_price) if sku.original_price else "",
                str(sku.stock),
                str(sku.weight_grams),
                sku.barcode,
                _yes_no(sku.is_enabled),
                _yes_no(spu.is_on_shelf),
                spu.main_image_url,
                LIST_SEPARATOR.join(spu.images),
                LIST_SEPARATOR.join(spu.tags),
            ]
        )
    return rows


async def export_products(filters: dict[str, Any], *, template: bool = False) -> AsyncIterator[str]:
    """The export, streamed: header, then products newest first in batches of ``EXPORT_BATCH``.

    Filters are those of the product list (``queries.list_products_admin``), paged by its keyset cursor.
    Each batch is read in its own short session, so a slow download never holds a transaction open.
    """
    yield csv_text([COLUMNS], bom=True)
    if template:
        return
    cursor: str | None = None
    while True:
        async with get_database().sessionmaker() as session:
            page = await queries.list_products_admin(session, **filters, cursor=cursor, limit=EXPORT_BATCH)
            ids = [item.id for item in page.items]
            spus = {s.id: s for s in (await session.scalars(select(Spu).where(Spu.id.in_(ids)))).all()}
            skus: dict[int, list[Sku]] = {}
            for sku in (await session.scalars(select(Sku).where(Sku.spu_id.in_(ids)).order_by(Sku.id))).all():
                skus.setdefault(sku.spu_id, []).append(sku)
            paths = await category_paths(session) if ids else {}
        rows = [row for i in ids if i in spus for row in product_rows(spus[i], skus.get(i, []), paths)]
        if rows:
            yield csv_text(rows)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


# ---- reading -----------------------------------------------------------------------------------------


def decode_upload(data: bytes) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (a BOM is dropped), else GB18030 (covers GBK); 422 if neither."""
    if not data:
        raise InvalidInput("文件为空", code="empty_file")
    if len(data) > MAX_IMPORT_BYTES:
        limit = MAX_IMPORT_BYTES // (1024 * 1024)
        raise FileTooLarge(f"文件不能超过 {limit} MB", details={"max_bytes": MAX_IMPORT_BYTES})
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError as exc:
        raise InvalidInput("无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV", code="import_bad_encoding") from exc


@dataclass
class Row:
    """One data row: its file row number and its cells by column (only columns the header has)."""

    number: int
    cells: dict[str, str]

    def get(self, column: str) -> str | None:
        """The cell, stripped and unguarded; ``None`` when the file has no such column."""
        value = self.cells.get(column)
        return None if value is None else unguard_cell(value.strip()).strip()


def _header_name(cell: str) -> str:
    return unguard_cell(cell.strip().lstrip(BOM)).replace("（", "(").replace("）", ")").replace(" ", "")


def read_rows(text: str) -> list[Row]:
    """The data rows of a CSV text; 422 for a missing or unknown header, no data, or too many rows."""
    if "\x00" in text:
        raise InvalidInput("文件不是 CSV 文本", code="import_not_csv")
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InvalidInput(f"CSV 格式有误：{exc}", code="import_not_csv") from exc
    if not records:
        raise InvalidInput("文件为空", code="empty_file")
    header = [_header_name(cell) for cell in records[0]]
    while header and header[-1] == "":
        header.pop()
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise InvalidInput(
            f"表头有无法识别的列：{'、'.join(unknown[:5])}（可用的列：{'、'.join(COLUMNS)}）",
            code="import_unknown_columns",
            details={"unknown": unknown[:20]},
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InvalidInput(f"表头有重复的列：{'、'.join(repeated)}", code="import_duplicate_columns")
    if COL_ID not in header and COL_TITLE not in header:
        raise InvalidInput(f"表头至少需要「{COL_ID}」或「{COL_TITLE}」列", code="import_missing_columns")
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            raise InvalidInput(
                f"一次最多导入 {MAX_IMPORT_ROWS} 行", code="import_too_many_rows", details={"max_rows": MAX_IMPORT_ROWS}
            )
        cells = {name: (record[i] if i < len(record) else "") for i, name in enumerate(header)}
        rows.append(Row(number, cells))
    if not rows:
        raise InvalidInput("文件中没有数据行", code="import_no_rows")
    return rows


@dataclass
class ProductGroup:
    """The rows of one product: those with the same 商品ID (update), or without one, the same 商品名称 (create).

    ``error`` is set for a row that names no product (or an unreadable 商品ID); it is a group of its own.
    """

    spu_id: int | None
    rows: list[Row]
    error: RowError | None = None


def group_rows(rows: Sequence[Row]) -> list[ProductGroup]:
    """Products in the order their first row appears (deterministic, so a resumed import skips exactly the
    products already done). A row with neither 商品ID nor 商品名称 continues the product of the row above
    (as a spreadsheet with merged product cells is saved)."""
    groups: dict[tuple[str, Any], ProductGroup] = {}
    ordered: list[ProductGroup] = []
    previous: ProductGroup | None = None
    for row in rows:
        id_text, title = row.get(COL_ID) or "", row.get(COL_TITLE) or ""
        if id_text:
            match = _WHOLE.match(id_text)
            spu_id = int(match.group(1)) if match else 0
            if not 1 <= spu_id <= _MAX_ID:
                previous = ProductGroup(None, [row], RowError(row.number, COL_ID, "商品ID必须是正整数"))
                ordered.append(previous)
                continue
            key: tuple[str, Any] = ("id", spu_id)
        elif title:
            key, spu_id = ("title", title), 0
        elif previous is not None:
            previous.rows.append(row)
            continue
        else:
            previous = ProductGroup(None, [row], RowError(row.number, COL_TITLE, "缺少商品ID或商品名称"))
            ordered.append(previous)
            continue
        group = groups.get(key)
        if group is None:
            group = groups[key] = ProductGroup(spu_id or None, [])
            ordered.append(group)
        group.rows.append(row)
        previous = group
    return ordered


# ---- a product group into a draft ------------------------------------------------------------------------


@dataclass
class Draft:
    """What a product group asks for: the data for ``create_product``/``update_product`` and the shelf state
    (``None`` = leave as is)."""

    data: ProductCreate | ProductUpdate
    on_shelf: bool | None
    rows: list[Row] = field(default_factory=list)


class _Collector:
    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def add(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))


def _parse_yuan(text: str) -> int | None:
    match = _YUAN.match(text.replace(",", "").removeprefix("¥").removeprefix("￥"))
    if match is None:
        return None
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def _parse_bool(text: str) -> bool | None:
    folded = text.casefold()
    return True if folded in _YES else False if folded in _NO else None


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR)] if text else []


class CategoryIndex:
    """Categories by path (``服饰鞋包/男装``); a bare name is accepted when exactly one category has it."""

    def __init__(self, paths: dict[int, str]) -> None:
        self.by_path: dict[str, list[int]] = {}
        self.by_name: dict[str, list[int]] = {}
        for category_id, path in paths.items():
            self.by_path.setdefault(path, []).append(category_id)
            self.by_name.setdefault(path.rsplit("/", 1)[-1], []).append(category_id)

    def resolve(self, text: str) -> tuple[int | None, str]:
        wanted = "/".join(part.strip() for part in text.split("/"))
        found = self.by_path.get(wanted) or ([] if "/" in wanted else self.by_name.get(wanted, []))
        if len(found) == 1:
            return found[0], ""
        if found:
            return None, f"类目「{text}」有 {len(found)} 个同名，请写完整路径（如 服饰鞋包/男装）"
        return None, f"类目「{text}」不存在"


def _first_row_rules(group: ProductGroup, out: _Collector) -> None:
    """Product columns on later rows: blank, or the same as on the product's first row."""
    first = group.rows[0]
    for row in group.rows[1:]:
        for column in PRODUCT_COLUMNS:
            value = row.get(column)
            if value and value != first.get(column):
                out.add(row.number, column, f"与本商品第一行（第 {first.number} 行）的「{column}」不一致")


@dataclass
class _SkuCells:
    row: Row
    spec_values: list[str]
    values: dict[str, Any]


def _sku_cells(row: Row, dimensions: int, out: _Collector) -> _SkuCells:
    """The SKU fields a row sets (only the columns it has; blanks of optional columns are their empty value)."""
    values: dict[str, Any] = {}
    spec_text = row.get(COL_SPEC_VALUES) or ""
    spec_values = _split(spec_text)
    if len(spec_values) != dimensions:
        if dimensions:
            message = f"应为 {dimensions} 个规格值（用“{LIST_SEPARATOR}”分隔），实际为「{spec_text}」"
        else:
            message = f"该商品没有规格名，规格值应为空，实际为「{spec_text}」"
        out.add(row.number, COL_SPEC_VALUES, message)
    for column, name in ((COL_PRICE, "price"), (COL_ORIGINAL_PRICE, "original_price")):
        text = row.get(column)
        if text is None:
            continue
        if text == "":
            if column == COL_ORIGINAL_PRICE:
                values[name] = 0
            else:
                out.add(row.number, column, "不能为空")
            continue
        fen = _parse_yuan(text)
        if fen is None:
            out.add(row.number, column, f"「{text}」不是有效的金额（元，最多两位小数）")
        else:
            values[name] = fen
    for column, name in ((COL_STOCK, "stock"), (COL_WEIGHT, "weight_grams")):
        text = row.get(column)
        if text is None:
            continue
        match = _WHOLE.match(text or "0")
        if match is None:
            out.add(row.number, column, f"「{text}」不是有效的非负整数")
        else:
            values[name] = int(match.group(1))
    barcode = row.get(COL_BARCODE)
    if barcode is not None:
        values["barcode"] = barcode
    enabled = row.get(COL_ENABLED)
    if enabled:
        flag = _parse_bool(enabled)
        if flag is None:
            out.add(row.number, COL_ENABLED, f"「{enabled}」应为 是 或 否")
        else:
            values["is_enabled"] = flag
    return _SkuCells(row, spec_values, values)


_SKU_COLUMN = {
    "price": COL_PRICE,
    "original_price": COL_ORIGINAL_PRICE,
    "stock": COL_STOCK,
    "weight_grams": COL_WEIGHT,
    "barcode": COL_BARCODE,
    "is_enabled": COL_ENABLED,
    "spec_values": COL_SPEC_VALUES,
}
_PRODUCT_COLUMN = {
    "title": COL_TITLE,
    "subtitle": COL_SUBTITLE,
    "category_id": COL_CATEGORY,
    "main_image_url": COL_MAIN_IMAGE,
    "images": COL_IMAGES,
    "tags": COL_TAGS,
    "spec_dimensions": COL_SPEC_NAMES,
    "skus": COL_SPEC_VALUES,
}


def _validation_errors(
    exc: ValidationError,
    skus: list[_SkuCells],
    value_rows: dict[tuple[int, str], int],
    dimensions: list[dict[str, Any]],
    first: Row,
) -> list[RowError]:
    """Pydantic errors of a draft, placed on the file's rows and columns (prices said in yuan)."""
    errors = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        row, column, message = first.number, "", _chinese(dict(err))
        if loc[:1] == ["skus"] and len(loc) >= 2 and isinstance(loc[1], int) and loc[1] < len(skus):
            row = skus[loc[1]].row.number
            column = _SKU_COLUMN.get(str(loc[2]), "") if len(loc) >= 3 else COL_ORIGINAL_PRICE
            if column in (COL_PRICE, COL_ORIGINAL_PRICE) and err.get("type") == "less_than_equal":
                message = f"不能大于 {format_yuan(int((err.get('ctx') or {}).get('le', 0)))} 元"
        elif loc[:1] == ["spec_dimensions"] and len(loc) >= 2 and isinstance(loc[1], int):
            column = COL_SPEC_NAMES
            if len(loc) >= 4 and loc[2] == "values" and isinstance(loc[3], int) and loc[1] < len(dimensions):
                value = dimensions[loc[1]]["values"][loc[3]]
                row, column = value_rows.get((loc[1], value), first.number), COL_SPEC_VALUES
            elif len(loc) == 2:  # the dimension's own check (a repeated value or one containing "/")
                column = COL_SPEC_VALUES
        elif loc:
            column = _PRODUCT_COLUMN.get(str(loc[0]), "")
        else:
            column = COL_TAGS if "标签" in message else COL_SPEC_NAMES if "规格" in message else ""
        errors.append(RowError(row, column, message))
    return errors


def service_errors(exc: AppError, draft: Draft) -> list[RowError]:
    """A ``catalog.service`` refusal, placed on the file: a SKU's own problem on its row, the rest on the
    product's first row."""
    first = draft.rows[0]
    details = exc.details if isinstance(exc.details, dict) else {}
    index = details.get("sku_index")
    if isinstance(index, int) and 0 <= index < len(draft.rows):
        return [RowError(draft.rows[index].number, COL_SPEC_VALUES, exc.message)]
    column = {
        "category_not_found": COL_CATEGORY,
        "product_has_no_enabled_sku": COL_ENABLED,
        "product_not_found": COL_ID,
        "too_many_skus": COL_SPEC_VALUES,
        "sku_matrix_invalid": COL_SPEC_VALUES,
        "sku_combination_missing": COL_SPEC_VALUES,
        "sku_duplicate": COL_SPEC_VALUES,
    }.get(exc.code, "")
    return [RowError(first.number, column, exc.message)]


def build_draft(
    group: ProductGroup, categories: CategoryIndex, existing: Spu | None, existing_skus: Sequence[Sku]
) -> Draft:
    """The create or update a product group asks for, or ``RowsInvalid`` with every problem found.

    On update a column the file does not have keeps the product's value, and so do the fields the format
    has no column for; the 库存 column is ignored (stock of existing SKUs changes only through stock
    adjustments, and a file exported earlier would undo the sales made since). On create, absent columns
    take the defaults of the product editor.
    """
    out = _Collector()
    first = group.rows[0]
    if group.error is not None:
        raise RowsInvalid([group.error])
    if group.spu_id is not None and existing is None:
        raise RowsInvalid([RowError(first.number, COL_ID, f"商品ID {group.spu_id} 不存在（新建商品请留空商品ID）")])
    _first_row_rules(group, out)

    payload: dict[str, Any] = {}
    if existing is not None:
        payload = {
            "category_id": existing.category_id,
            "title": existing.title,
            "subtitle": existing.subtitle,
            "main_image_url": existing.main_image_url,
            "images": list(existing.images),
            "video_url": existing.video_url,
            "detail": list(existing.detail),
            "tags": list(existing.tags),
            "shipping_template_id": existing.shipping_template_id,
            "sort_weight": existing.sort_weight,
            "virtual_sales": existing.virtual_sales,
        }
    for column, name in ((COL_TITLE, "title"), (COL_SUBTITLE, "subtitle"), (COL_MAIN_IMAGE, "main_image_url")):
        value = first.get(column)
        if value is not None and (value or column != COL_TITLE):
            payload[name] = value
    for column, name in ((COL_IMAGES, "images"), (COL_TAGS, "tags")):
        value = first.get(column)
        if value is not None:
            payload[name] = [part for part in _split(value) if part]
    category_text = first.get(COL_CATEGORY)
    if category_text:
        category_id, problem = categories.resolve(category_text)
        if problem:
            out.add(first.number, COL_CATEGORY, problem)
        payload["category_id"] = category_id
    elif existing is None:
        out.add(first.number, COL_CATEGORY, "新建商品需要填写类目")
    on_shelf: bool | None = None
    shelf_text = first.get(COL_SHELF)
    if shelf_text:
        on_shelf = _parse_bool(shelf_text)
        if on_shelf is None:
            out.add(first.number, COL_SHELF, f"「{shelf_text}」应为 是 或 否")

    names_text = first.get(COL_SPEC_NAMES)
    if names_text is None and existing is not None:
        names = [d["name"] for d in existing.spec_dimensions]
    else:
        names = _split(names_text or "")
    skus = [_sku_cells(row, len(names), out) for row in group.rows]
    dimensions: list[dict[str, Any]] = [{"name": name, "values": []} for name in names]
    value_rows: dict[tuple[int, str], int] = {}
    for cells in skus:
        if len(cells.spec_values) != len(names):
            continue
        for index, value in enumerate(cells.spec_values):
            if (index, value) not in value_rows:
                value_rows[(index, value)] = cells.row.number
                dimensions[index]["values"].append(value)
    payload["spec_dimensions"] = dimensions

    old = {sku.spec_key: sku for sku in existing_skus}
    sku_payloads = []
    for cells in skus:
        sku: dict[str, Any] = {"spec_values": cells.spec_values}
        previous = old.get("/".join(cells.spec_values)) if existing is not None else None
        if previous is not None:
            sku.update(
                price=previous.price,
                original_price=previous.original_price,
                weight_grams=previous.weight_grams,
                barcode=previous.barcode,
                image_url=previous.image_url,
                max_per_order=previous.max_per_order,
                is_enabled=previous.is_enabled,
            )
        sku.update(cells.values)
        if existing is not None:
            sku.pop("stock", None)
        reported = any(e.row == cells.row.number and e.column == COL_PRICE for e in out.errors)
        if "price" not in sku and not reported:
            out.add(cells.row.number, COL_PRICE, "新建商品需要填写售价" if existing is None else "新规格需要填写售价")
        sku_payloads.append(sku)
    payload["skus"] = sku_payloads
    if out.errors:
        raise RowsInvalid(sorted(out.errors, key=lambda e: (e.row, COLUMNS.index(e.column) if e.column else -1)))

    try:
        if existing is None:
            data: ProductCreate | ProductUpdate = ProductCreate.model_validate(
                {**payload, "is_on_shelf": bool(on_shelf)}
            )
        else:
            data = ProductUpdate.model_validate(payload)
    except ValidationError as exc:
        raise RowsInvalid(_validation_errors(exc, skus, value_rows, dimensions, first)) from exc
    return Draft(data=data, on_shelf=on_shelf, rows=list(group.rows))


def error_report(errors: Sequence[dict[str, Any]]) -> str:
    """The per-row errors as a CSV (UTF-8 with BOM): 行号, 列, 原因."""
    return csv_text([("行号", "列", "原因"), *[(str(e["row"]), e["column"], e["message"]) for e in errors]], bom=True)

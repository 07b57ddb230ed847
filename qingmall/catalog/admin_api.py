"""Merchant routes of the catalog area (mounted under /api/admin/v1): categories, products, image upload."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile
from fastapi.responses import StreamingResponse

from qingmall.catalog import categories, media, queries, service, transfer, transfer_imports
from qingmall.catalog.schemas import (
    SINGLE_LINE_PATTERN,
    BulkShelfResult,
    BulkShelfUpdate,
    CategoryCreate,
    CategoryPublic,
    CategoryUpdate,
    MediaPublic,
    ProductAdminDetail,
    ProductAdminListItem,
    ProductCreate,
    ProductUpdate,
    ShelfUpdate,
)
from qingmall.catalog.transfer_schemas import ProductImportPublic
from qingmall.core import clock
from qingmall.core.db import SessionDep
from qingmall.core.pagination import Page
from qingmall.staff.deps import require_permission
from qingmall.staff.models import Staff

router = APIRouter(tags=["admin:catalog"])

Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Keyword = Annotated[
    str | None, Query(min_length=1, max_length=64, pattern=SINGLE_LINE_PATTERN, description="标题、条码或商品 ID")
]
read = [Depends(require_permission("catalog.read"))]
write = [Depends(require_permission("catalog.write"))]
Writer = Annotated[Staff, Depends(require_permission("catalog.write"))]
Uploader = Annotated[Staff, Depends(require_permission("media.upload"))]


@router.get("/categories", dependencies=read)
async def list_categories(session: SessionDep) -> list[CategoryPublic]:
    return [CategoryPublic.model_validate(c) for c in await categories.list_categories(session)]


@router.get("/categories/{category_id}", dependencies=read)
async def get_category(category_id: Id, session: SessionDep) -> CategoryPublic:
    return CategoryPublic.model_validate(await categories.get_category(session, category_id))


@router.post("/categories", status_code=201, dependencies=write)
async def create_category(body: CategoryCreate, session: SessionDep) -> CategoryPublic:
    return CategoryPublic.model_validate(await categories.create_category(session, body))


@router.patch("/categories/{category_id}", dependencies=write)
async def update_category(category_id: Id, body: CategoryUpdate, session: SessionDep) -> CategoryPublic:
    return CategoryPublic.model_validate(await categories.update_category(session, category_id, body))


@router.delete("/categories/{category_id}", status_code=204, dependencies=write)
async def delete_category(category_id: Id, session: SessionDep) -> Response:
    await categories.delete_category(session, category_id)
    return Response(status_code=204)


def product_filters(
    keyword: Keyword = None,
    category_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    is_on_shelf: bool | None = None,
    low_stock: bool = False,
    low_stock_threshold: Annotated[int, Query(ge=0, le=10**7)] = 10,
) -> dict[str, Any]:
    """The product list's filters, shared by the list and the CSV export."""
    return {
        "keyword": keyword, "category_id": category_id, "is_on_shelf": is_on_shelf, "low_stock": low_stock,
        "low_stock_threshold": low_stock_threshold,
    }


ProductFilters = Annotated[dict[str, Any], Depends(product_filters)]


@router.get("/products", dependencies=read)
async def list_products(
    session: SessionDep,
    filters: ProductFilters,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[ProductAdminListItem]:
    return await queries.list_products_admin(session, **filters, cursor=cursor, limit=limit)


@router.get("/products/export.csv", dependencies=read, response_class=StreamingResponse)
async def export_products(
    session: SessionDep,
    filters: ProductFilters,
    template: Annotated[bool, Query(description="只要表头（导入模板）")] = False,
) -> StreamingResponse:
    """One row per SKU, UTF-8 with BOM, the product list's filters; the import reads the same columns."""
    stamp = clock.to_shanghai(clock.now()).strftime("%Y%m%d-%H%M")
    name = "products-template.csv" if template else f"products-{stamp}.csv"
    await session.close()  # the permission check's transaction must not hold SQLite's lock while streaming
    return StreamingResponse(
        transfer.export_products(filters, template=template),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/products/imports", status_code=202)
async def start_product_import(
    staff: Writer, session: SessionDep, file: Annotated[UploadFile, File(description="CSV，UTF-8 或 GBK，≤5 MB")]
) -> ProductImportPublic:
    job = await transfer_imports.start_import(session, file, filename=file.filename or "", staff_id=staff.id)
    return ProductImportPublic.model_validate(job)


@router.get("/products/imports/{import_id}", dependencies=read)
async def get_product_import(import_id: Id, session: SessionDep) -> ProductImportPublic:
    return ProductImportPublic.model_validate(await transfer_imports.get_import(session, import_id))


@router.get("/products/imports/{import_id}/errors.csv", dependencies=read)
async def get_product_import_errors(import_id: Id, session: SessionDep) -> Response:
    job = await transfer_imports.get_import(session, import_id)
    return Response(
        transfer.error_report(job.errors).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job.id}-errors.csv"'},
    )


@router.post("/products", status_code=201)
async def create_product(body: ProductCreate, staff: Writer, session: SessionDep) -> ProductAdminDetail:
    spu = await service.create_product(session, body, staff.id)
    return await queries.get_product_admin(session, spu.id)


@router.get("/products/{spu_id}", dependencies=read)
async def get_product(spu_id: Id, session: SessionDep) -> ProductAdminDetail:
    return await queries.get_product_admin(session, spu_id)


@router.put("/products/{spu_id}")
async def update_product(spu_id: Id, body: ProductUpdate, staff: Writer, session: SessionDep) -> ProductAdminDetail:
    await service.update_product(session, spu_id, body, staff.id)
    return await queries.get_product_admin(session, spu_id)


@router.post("/products/shelf", dependencies=write)
async def set_shelf_bulk(body: BulkShelfUpdate, session: SessionDep) -> BulkShelfResult:
    return await service.set_shelf_bulk(session, body.ids, body.is_on_shelf)


@router.post("/products/{spu_id}/shelf", dependencies=write)
async def set_shelf(spu_id: Id, body: ShelfUpdate, session: SessionDep) -> ProductAdminDetail:
    await service.set_on_shelf(session, spu_id, body.is_on_shelf)
    return await queries.get_product_admin(session, spu_id)


@router.post("/media/images", status_code=201)
async def upload_image(
    staff: Uploader, session: SessionDep, file: Annotated[UploadFile, File(description="JPEG/PNG/WebP/GIF")]
) -> MediaPublic:
    return MediaPublic.model_validate(await media.upload_image(session, file, staff_id=staff.id))


@router.post("/media/videos", status_code=201)
async def upload_video(
    staff: Uploader, session: SessionDep, file: Annotated[UploadFile, File(description="MP4（H.264），≤20 MB")]
) -> MediaPublic:
    return MediaPublic.model_validate(await media.upload_video(session, file, staff_id=staff.id))

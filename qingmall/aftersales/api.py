"""Shopper routes of the after-sales area (mounted under /api/v1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from qingmall.aftersales import queries, service
from qingmall.aftersales.schemas import (
    AfterSaleActionPublic,
    AfterSaleCreate,
    AfterSaleDetailPublic,
    AfterSaleQuotePublic,
    AfterSaleQuoteRequest,
    AfterSaleSummaryPublic,
    ReturnShipping,
)
from qingmall.core.db import SessionDep
from qingmall.core.pagination import Page
from qingmall.shoppers.deps import CurrentShopper

router = APIRouter(tags=["aftersales"])

OrderNoPath = Annotated[str, Path(pattern=r"^\d{8,32}$")]
AfterSaleNoPath = Annotated[str, Path(pattern=r"^\d{8,32}$")]


@router.post("/orders/{order_no}/after-sales/preview", summary="售后退款金额预览")
async def preview_after_sale(
    order_no: OrderNoPath, body: AfterSaleQuoteRequest, session: SessionDep, shopper: CurrentShopper
) -> AfterSaleQuotePublic:
    return await service.preview(session, shopper.id, order_no, body)


@router.post("/orders/{order_no}/after-sales", status_code=201, summary="申请售后（仅退款 / 退货退款）")
async def create_after_sale(
    order_no: OrderNoPath, body: AfterSaleCreate, session: SessionDep, shopper: CurrentShopper, response: Response
) -> AfterSaleDetailPublic:
    """Create the after-sale (201), or return the one this idempotency key already created (200)."""
    after_sale, created = await service.create_after_sale(session, shopper.id, order_no, body)
    response.status_code = 201 if created else 200
    return after_sale


@router.get("/after-sales", summary="我的售后")
async def list_after_sales(
    session: SessionDep,
    shopper: CurrentShopper,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Page[AfterSaleSummaryPublic]:
    return await queries.list_shopper_after_sales(session, shopper.id, cursor=cursor, limit=limit)


@router.get("/after-sales/{after_sale_no}")
async def get_after_sale(
    after_sale_no: AfterSaleNoPath, session: SessionDep, shopper: CurrentShopper
) -> AfterSaleDetailPublic:
    return await queries.get_shopper_after_sale(session, shopper.id, after_sale_no)


@router.post("/after-sales/{after_sale_no}/withdraw", summary="撤销售后申请")
async def withdraw_after_sale(
    after_sale_no: AfterSaleNoPath, session: SessionDep, shopper: CurrentShopper
) -> AfterSaleActionPublic:
    return await service.withdraw(session, shopper.id, after_sale_no)


@router.post("/after-sales/{after_sale_no}/return-shipping", summary="填写退货物流")
async def submit_return_shipping(
    after_sale_no: AfterSaleNoPath, body: ReturnShipping, session: SessionDep, shopper: CurrentShopper
) -> AfterSaleActionPublic:
    return await service.submit_return(session, shopper.id, after_sale_no, body)

"""Merchant routes of the after-sales area (mounted under /api/admin/v1), all behind ``aftersales.manage``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from qingmall.aftersales import queries, service
from qingmall.aftersales.schemas import (
    AdminAfterSaleFilters,
    AfterSaleAdminActionPublic,
    AfterSaleAdminDetailPublic,
    AfterSaleAdminSummaryPublic,
    AfterSaleApprove,
    AfterSaleReceive,
    AfterSaleReject,
    AfterSaleRetryRefund,
)
from qingmall.core.db import SessionDep
from qingmall.core.pagination import Page
from qingmall.payments.gateways import GatewaysDep
from qingmall.staff.deps import require_permission
from qingmall.staff.models import Staff

router = APIRouter(prefix="/after-sales", tags=["admin:aftersales"])

AfterSaleNoPath = Annotated[str, Path(pattern=r"^\d{8,32}$")]
Handler = Annotated[Staff, Depends(require_permission("aftersales.manage"))]


@router.get("")
async def list_after_sales(
    _staff: Handler, session: SessionDep, filters: Annotated[AdminAfterSaleFilters, Query()]
) -> Page[AfterSaleAdminSummaryPublic]:
    return await queries.list_admin_after_sales(session, filters)


@router.get("/{after_sale_no}")
async def get_after_sale(
    after_sale_no: AfterSaleNoPath, _staff: Handler, session: SessionDep
) -> AfterSaleAdminDetailPublic:
    return await queries.get_admin_after_sale(session, after_sale_no)


@router.post("/{after_sale_no}/approve", summary="同意售后（仅退款立即退款）")
async def approve_after_sale(
    after_sale_no: AfterSaleNoPath,
    staff: Handler,
    session: SessionDep,
    gateways: GatewaysDep,
    body: AfterSaleApprove | None = None,
) -> AfterSaleAdminActionPublic:
    body = body or AfterSaleApprove()
    return await service.approve(
        session, staff.id, after_sale_no, note=body.note, gateways=gateways, to_balance=body.refund_to == "balance"
    )


@router.post("/{after_sale_no}/reject", summary="拒绝售后")
async def reject_after_sale(
    after_sale_no: AfterSaleNoPath, body: AfterSaleReject, staff: Handler, session: SessionDep
) -> AfterSaleAdminActionPublic:
    return await service.reject(session, staff.id, after_sale_no, body.reason)


@router.post("/{after_sale_no}/confirm-received", summary="确认收到退货并退款")
async def confirm_received(
    after_sale_no: AfterSaleNoPath,
    staff: Handler,
    session: SessionDep,
    gateways: GatewaysDep,
    body: AfterSaleReceive | None = None,
) -> AfterSaleAdminActionPublic:
    body = body or AfterSaleReceive()
    return await service.confirm_received(
        session, staff.id, after_sale_no, note=body.note, gateways=gateways, to_balance=body.refund_to == "balance"
    )


@router.post("/{after_sale_no}/retry-refund", summary="重试退款")
async def retry_refund(
    after_sale_no: AfterSaleNoPath,
    staff: Handler,
    session: SessionDep,
    gateways: GatewaysDep,
    body: AfterSaleRetryRefund | None = None,
) -> AfterSaleAdminActionPublic:
    """Retry a failed or stuck refund; ``refund_to: "balance"`` sends what is left to the payer's balance."""
    to_balance = body is not None and body.refund_to == "balance"
    return await service.retry_refund(session, staff.id, after_sale_no, gateways=gateways, to_balance=to_balance)

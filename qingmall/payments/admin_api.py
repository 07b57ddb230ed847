"""Merchant routes of the payments area (mounted under /api/admin/v1): an order's payment records, asking
the gateways about an order, and the daily reconciliation report."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from qingmall.core.db import SessionDep
from qingmall.core.pagination import bounded_day
from qingmall.payments import reconciliation
from qingmall.payments.gateways import GatewaysDep
from qingmall.payments.schemas import OrderPaymentsAdminPublic, ReconcileOrderPublic, ReconciliationReport
from qingmall.staff.deps import require_permission

router = APIRouter(tags=["admin:payments"])

OrderNoPath = Annotated[str, Path(pattern=r"^\d{8,32}$")]


@router.get("/orders/{order_no}/payments", dependencies=[Depends(require_permission("orders.read"))])
async def get_order_payments(session: SessionDep, order_no: OrderNoPath) -> OrderPaymentsAdminPublic:
    return await reconciliation.order_payments(session, order_no)


@router.post("/orders/{order_no}/payments/reconcile", dependencies=[Depends(require_permission("payments.reconcile"))])
async def reconcile_order_payments(
    session: SessionDep, gateways: GatewaysDep, order_no: OrderNoPath
) -> ReconcileOrderPublic:
    return await reconciliation.reconcile_order(session, gateways, order_no)


@router.get("/payments/reconciliation", dependencies=[Depends(require_permission("payments.reconcile"))])
async def get_reconciliation_report(
    session: SessionDep, day: Annotated[date, Query(alias="date", description="北京时间的日期，如 2026-11-27")]
) -> ReconciliationReport:
    return await reconciliation.build_report(session, bounded_day(day, "date"))

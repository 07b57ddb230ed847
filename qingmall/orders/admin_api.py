"""Merchant routes of the orders area (mounted under /api/admin/v1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from qingmall.core.db import SessionDep
from qingmall.core.pagination import Page
from qingmall.orders import queries, service, shipments
from qingmall.orders.schemas import (
    AdminOrderFilters,
    BulkShip,
    BulkShipPublic,
    OrderAdminActionPublic,
    OrderAdminDetailPublic,
    OrderAdminSummaryPublic,
    OrderShip,
    PickingListFilters,
    PickingListPublic,
    StaffOrderCancel,
)
from qingmall.payments import refunds
from qingmall.payments.gateways import GatewaysDep
from qingmall.staff import audit
from qingmall.staff.deps import require_permission
from qingmall.staff.models import Staff

router = APIRouter(prefix="/orders", tags=["admin:orders"])

OrderNoPath = Annotated[str, Path(pattern=r"^\d{8,32}$")]
SHIP_ROUTE = "/api/admin/v1/orders/{order_no}/ship"


@router.get("", dependencies=[Depends(require_permission("orders.read"))])
async def list_orders(
    session: SessionDep,
    filters: Annotated[AdminOrderFilters, Query()],
) -> Page[OrderAdminSummaryPublic]:
    return await queries.list_admin_orders(session, filters)


@router.get("/picking-list", dependencies=[Depends(require_permission("orders.read"))])
async def picking_list(
    session: SessionDep,
    filters: Annotated[PickingListFilters, Query()],
) -> PickingListPublic:
    """拣货单: ``order_no`` repeated for the chosen orders, or else the list filters (a page of at most 200)."""
    return await queries.picking_list(session, filters)


@router.post("/bulk-ship")
async def bulk_ship(
    body: BulkShip,
    request: Request,
    session: SessionDep,
    staff: Annotated[Staff, Depends(require_permission("orders.ship"))],
) -> BulkShipPublic:
    """批量发货: each row shipped (or refused) on its own; every shipped row is audited like a single ship."""
    result = await shipments.ship_orders(session, staff.id, body)
    await audit.record_item_writes(request.scope, SHIP_ROUTE, shipments.shipped_rows(body, result))
    return result


@router.get("/{order_no}", dependencies=[Depends(require_permission("orders.read"))])
async def get_order(order_no: OrderNoPath, session: SessionDep) -> OrderAdminDetailPublic:
    return await queries.get_admin_order(session, order_no)


@router.post("/{order_no}/ship")
async def ship_order(
    order_no: OrderNoPath,
    body: OrderShip,
    session: SessionDep,
    staff: Annotated[Staff, Depends(require_permission("orders.ship"))],
) -> OrderAdminActionPublic:
    return await service.ship_for_staff(session, staff.id, order_no, body)


@router.post("/{order_no}/cancel")
async def cancel_order(
    order_no: OrderNoPath,
    body: StaffOrderCancel,
    session: SessionDep,
    staff: Annotated[Staff, Depends(require_permission("orders.cancel"))],
    gateways: GatewaysDep,
) -> OrderAdminActionPublic:
    """Cancel before shipping; a paid order is refunded in full through the channel that paid it."""
    result = await service.cancel_for_staff(session, staff.id, order_no, body.reason)
    if result.order.refund_required and await refunds.refund_cancelled_order(session, gateways, result.order.id):
        result.order = await queries.admin_order_detail(session, result.order.id)
    return result

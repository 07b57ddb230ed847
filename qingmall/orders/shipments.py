"""Bulk shipping (批量发货): many waybills in one request, each row its own unit of work.

Every row goes through the single-ship rule (``service.ship_order``): one conditional UPDATE decides who
ships an order, the same waybill again is a no-op and another waybill is 409 ``already_shipped``. A row
that fails for any domain reason (unknown order, cancelled or unpaid order, malformed waybill) is rolled
back and reported in its row; it never blocks the rows after it, and the rows before it stay committed.
"""

from __future__ import annotations

import structlog
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core.errors import AppError
from qingmall.orders import queries, service
from qingmall.orders.schemas import BulkShip, BulkShipPublic, BulkShipResult, BulkShipRow, OrderNo, OrderShip

log = structlog.get_logger("qingmall.orders")

_FIELD_NAMES = {"carrier_code": "快递公司编码", "carrier_name": "快递公司名称", "tracking_no": "运单号"}
OrderNoCheck = TypeAdapter(OrderNo)


def _invalid_waybill(error: ValidationError) -> str:
    fields = [str(item["loc"][0]) for item in error.errors() if item.get("loc")]
    if "tracking_no" in fields:
        return "运单号为 4–40 位字母、数字或短横线"
    names = "、".join(_FIELD_NAMES.get(name, name) for name in dict.fromkeys(fields))
    return f"{names}不正确"


async def _ship_row(session: AsyncSession, staff_id: int, index: int, row: BulkShipRow) -> BulkShipResult:
    def refused(code: str, message: str) -> BulkShipResult:
        return BulkShipResult(row=index, order_no=row.order_no, status="refused", code=code, message=message)

    try:
        OrderNoCheck.validate_python(row.order_no)
    except ValidationError:
        return refused("invalid_order_no", "订单号为 8–32 位数字")
    try:
        waybill = OrderShip(carrier_code=row.carrier_code, carrier_name=row.carrier_name, tracking_no=row.tracking_no)
    except ValidationError as exc:
        return refused("invalid_waybill", _invalid_waybill(exc))
    try:
        order_id = await queries.order_id_by_no(session, row.order_no)
        result = await service.ship_order(session, order_id, staff_id=staff_id, data=waybill)
    except AppError as exc:  # not found, unpaid / cancelled / refunding (invalid_order_state), already_shipped
        await session.rollback()
        return refused("order_not_found" if exc.code == "not_found" else exc.code, exc.message)
    return BulkShipResult(row=index, order_no=row.order_no, status="already" if result.already else "shipped")


async def ship_orders(session: AsyncSession, staff_id: int, data: BulkShip) -> BulkShipPublic:
    """Ship each row in turn (row numbers start at 1); one transaction per row, committed by the ship rule."""
    results = []
    for index, row in enumerate(data.rows, start=1):
        results.append(await _ship_row(session, staff_id, index, row))
    await session.rollback()  # end the read transaction of the last refused or already-shipped row
    counts = {status: sum(1 for r in results if r.status == status) for status in ("shipped", "already", "refused")}
    log.info("orders_bulk_shipped", staff_id=staff_id, **counts)
    return BulkShipPublic(results=results, **counts)


def shipped_rows(data: BulkShip, result: BulkShipPublic) -> list[tuple[str, dict[str, object]]]:
    """``(order_no, waybill)`` of the rows this request shipped, for the audit log (one entry per order)."""
    return [
        (
            outcome.order_no,
            {
                **data.rows[outcome.row - 1].model_dump(include={"carrier_code", "carrier_name", "tracking_no"}),
                "bulk_ship_row": outcome.row,
            },
        )
        for outcome in result.results
        if outcome.status == "shipped"
    ]

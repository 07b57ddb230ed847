"""Stock rules: never oversell, explain every change.

Each change is ONE conditional statement per SKU (``stock = stock - n WHERE stock >= n ... RETURNING``);
its result is checked, so two buyers can never both take the last unit, on SQLite or PostgreSQL, without
reading first. Multi-SKU reservations lock rows in SKU-id order so concurrent orders cannot deadlock.
Every change writes a ``StockMovement`` with the stock right after it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog.models import Sku, Spu
from qingmall.core import clock
from qingmall.core.errors import Conflict, InvalidInput, NotFound
from qingmall.core.pagination import Page, cursor_id, decode_cursor, encode_cursor
from qingmall.inventory.models import StockMovement
from qingmall.inventory.schemas import StockMovementPublic

REASONS = {
    "initial": "初始库存",
    "order_reserved": "下单占用",
    "order_released": "订单取消释放",
    "adjust_in": "入库",
    "adjust_out": "出库",
    "stocktake": "盘点调整",
    "damaged": "报损",
    "return_in": "退货入库",
    "return": "售后退回",
}
ADJUST_REASONS = ("adjust_in", "adjust_out", "stocktake", "damaged", "return_in")


class OutOfStock(Conflict):
    code = "out_of_stock"


def _merge(lines: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    totals: dict[int, int] = defaultdict(int)
    for sku_id, quantity in lines:
        if quantity <= 0:
            raise InvalidInput("数量必须大于 0", code="invalid_quantity")
        totals[sku_id] += quantity
    return sorted(totals.items())


async def _apply(
    session: AsyncSession,
    sku_id: int,
    delta: int,
    *,
    reason: str,
    ref_type: str,
    ref_id: str,
    staff_id: int | None = None,
    note: str = "",
) -> int:
    """Change one SKU's stock by ``delta`` if it stays >= 0; write the ledger row. Returns the new stock."""
    statement = (
        update(Sku)
        .where(Sku.id == sku_id, Sku.stock + delta >= 0)
        .values(stock=Sku.stock + delta, updated_at=clock.now())
        .returning(Sku.stock, Sku.spu_id)
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        exists = await session.scalar(select(Sku.id).where(Sku.id == sku_id))
        if exists is None:
            raise NotFound("商品规格不存在", code="sku_not_found", details={"sku_id": sku_id})
        raise OutOfStock("库存不足", details={"sku_id": sku_id, "requested": -delta})
    stock_after, spu_id = row
    session.add(
        StockMovement(
            sku_id=sku_id,
            spu_id=spu_id,
            delta=delta,
            stock_after=stock_after,
            reason=reason,
            ref_type=ref_type,
            ref_id=str(ref_id),
            staff_id=staff_id,
            note=note,
        )
    )
    return stock_after


async def reserve_stock(
    session: AsyncSession, lines: Sequence[tuple[int, int]], *, ref_type: str, ref_id: str | int
) -> None:
    """Take stock for ``(sku_id, quantity)`` lines, all or nothing; raises ``OutOfStock`` naming the SKU.

    Does not commit: call inside the caller's transaction (the order insert), which rolls back on failure.
    """
    for sku_id, quantity in _merge(lines):
        await _apply(session, sku_id, -quantity, reason="order_reserved", ref_type=ref_type, ref_id=str(ref_id))


async def release_stock(
    session: AsyncSession, lines: Sequence[tuple[int, int]], *, ref_type: str, ref_id: str | int
) -> None:
    """Give stock back (a cancelled order). Does not commit."""
    for sku_id, quantity in _merge(lines):
        await _apply(session, sku_id, quantity, reason="order_released", ref_type=ref_type, ref_id=str(ref_id))


async def return_stock(
    session: AsyncSession, lines: Sequence[tuple[int, int]], *, ref_type: str, ref_id: str | int
) -> None:
    """Put goods an after-sale took back on sale again: a received return, or a refund before shipping
    (the goods never left). Adds the stock (one conditional UPDATE per SKU, in id order, ledgered as
    ``return``) and takes back the units ``record_sales`` counted, so sales only count goods that stayed
    sold. Does not commit."""
    for sku_id, quantity in _merge(lines):
        await _apply(session, sku_id, quantity, reason="return", ref_type=ref_type, ref_id=str(ref_id))
    await _count_sales(session, lines, -1)


async def _count_sales(session: AsyncSession, lines: Sequence[tuple[int, int]], sign: int) -> None:
    """Add (``sign=1``) or take back (``sign=-1``) units sold on SKUs and their SPUs. Locks SPU rows first,
    then SKU rows, both in id order: the same order as product edits, so the two never deadlock."""
    merged = _merge(lines)
    owners = dict((await session.execute(select(Sku.id, Sku.spu_id).where(Sku.id.in_([s for s, _ in merged])))).all())
    spu_totals: dict[int, int] = defaultdict(int)
    for sku_id, quantity in merged:
        if sku_id in owners:
            spu_totals[owners[sku_id]] += quantity
    for spu_id, quantity in sorted(spu_totals.items()):
        await session.execute(
            update(Spu)
            .where(Spu.id == spu_id)
            .values(sales_count=Spu.sales_count + sign * quantity)
            .execution_options(synchronize_session=False)
        )
    for sku_id, quantity in merged:
        await session.execute(
            update(Sku)
            .where(Sku.id == sku_id)
            .values(sales_count=Sku.sales_count + sign * quantity)
            .execution_options(synchronize_session=False)
        )


async def record_sales(session: AsyncSession, lines: Sequence[tuple[int, int]]) -> None:
    """Count units sold on SKUs and their SPUs (atomic increments) when an order is paid. Does not commit."""
    await _count_sales(session, lines, 1)


async def revoke_sales(session: AsyncSession, lines: Sequence[tuple[int, int]]) -> None:
    """Take back units counted by ``record_sales`` (a paid order cancelled before shipping). Does not commit."""
    await _count_sales(session, lines, -1)


async def set_initial_stock(session: AsyncSession, sku: Sku, *, staff_id: int | None = None) -> None:
    """Ledger the stock a new SKU was created with (the SKU row already holds it). Does not commit."""
    if sku.stock:
        session.add(
            StockMovement(
                sku_id=sku.id, spu_id=sku.spu_id, delta=sku.stock, stock_after=sku.stock,
                reason="initial", ref_type="sku", ref_id=str(sku.id), staff_id=staff_id,
            )
        )


_INBOUND = ("adjust_in", "return_in")
_OUTBOUND = ("adjust_out", "damaged")


async def adjust_stock(
    session: AsyncSession, *, sku_id: int, delta: int, reason: str, staff_id: int | None, note: str = ""
) -> int:
    """A staff member's stock adjustment (goods in, out, stocktake, damage); commits. Returns the new stock.

    The sign must agree with the reason (goods in are positive, out and damage negative, a stocktake either
    way), so the ledger always explains itself.
    """
    if reason not in ADJUST_REASONS:
        raise InvalidInput("调整原因无效", code="invalid_reason")
    if delta == 0:
        raise InvalidInput("调整数量不能为 0", code="invalid_quantity")
    if (reason in _INBOUND and delta < 0) or (reason in _OUTBOUND and delta > 0):
        message = f"「{REASONS[reason]}」的数量方向不对：入库为正数，出库和报损为负数"
        raise InvalidInput(message, code="invalid_quantity")
    stock_after = await _apply(
        session, sku_id, delta, reason=reason, ref_type="adjustment", ref_id="", staff_id=staff_id, note=note
    )
    await session.commit()
    from qingmall.catalog.cache import invalidate_catalog

    await invalidate_catalog()
    return stock_after


async def list_movements(
    session: AsyncSession, *, sku_id: int | None = None, spu_id: int | None = None,
    cursor: str | None = None, limit: int = 50,
) -> Page[StockMovementPublic]:
    """The ledger, newest first, for one SKU or one SPU (or all)."""
    query = select(StockMovement).order_by(StockMovement.id.desc()).limit(limit + 1)
    if sku_id is not None:
        query = query.where(StockMovement.sku_id == sku_id)
    if spu_id is not None:
        query = query.where(StockMovement.spu_id == spu_id)
    after = decode_cursor(cursor, 1)
    if after is not None:
        query = query.where(StockMovement.id < cursor_id(after[0]))
    rows = list((await session.scalars(query)).all())
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    items = [
        StockMovementPublic.model_validate(row).model_copy(update={"reason_label": REASONS.get(row.reason, row.reason)})
        for row in rows[:limit]
    ]
    return Page[StockMovementPublic](items=items, next_cursor=next_cursor)

"""Cart rules: one line per SKU per shopper, quantities 1..999, at most 100 lines, checked against the
SKU's limit and stock when added (checkout checks again: stock is only ever taken by an order).

Every query is scoped by ``shopper_id``: another shopper's line is indistinguishable from a missing one
(404). Adding to an existing line is a conditional UPDATE on the quantity read, retried if a concurrent
add got there first; a new line is inserted in a savepoint so a concurrent insert of the same SKU turns
into an increment instead of an error.

The 100-line limit is a count followed by an insert, so new lines of one shopper are serialised: the
shopper's row is locked first (``FOR NO KEY UPDATE`` on PostgreSQL, which makes other adds of that
shopper wait but not foreign-key checks of inserts elsewhere), then the lines are counted. On SQLite,
``BEGIN IMMEDIATE`` already serialises writers and the lock clause is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.cart.availability import OK, STATUS_TEXT, SkuView, load_sku_views
from qingmall.cart.models import CartItem
from qingmall.cart.schemas import MAX_LINES, MAX_QUANTITY, CartGroupPublic, CartLinePublic, CartPublic
from qingmall.core import clock
from qingmall.core.errors import Conflict, InvalidInput, NotFound
from qingmall.core.money import fen_to_yuan
from qingmall.shoppers.models import Shopper

AVAILABLE_STATUSES = (OK, "insufficient_stock")
_ATTEMPTS = 5


def price_change_note(current: int, when_added: int) -> str | None:
    """``"比加入时降价 ¥2.00"`` / ``"比加入时涨价 ¥2.00"``, or ``None`` when the price has not moved."""
    if current < when_added:
        return f"比加入时降价 ¥{fen_to_yuan(when_added - current)}"
    if current > when_added:
        return f"比加入时涨价 ¥{fen_to_yuan(current - when_added)}"
    return None


def _check_quantity(view: SkuView, quantity: int) -> None:
    """Refuse a cart quantity that could not be bought now: 422 for limits, 409 for shelf and stock."""
    if quantity > MAX_QUANTITY:
        raise InvalidInput(f"单个商品最多购买 {MAX_QUANTITY} 件", code="quantity_too_large")
    if view.exceeds_limit(quantity):
        raise InvalidInput(
            view.limit_text, code="exceeds_max_per_order", details={"sku_id": view.sku_id, "limit": view.max_per_order}
        )
    status, reason = view.check(quantity)
    if status != OK:
        raise Conflict(reason, code=status, details={"sku_id": view.sku_id, "available": max(view.stock, 0)})


async def _view(session: AsyncSession, sku_id: int) -> SkuView:
    view = (await load_sku_views(session, [sku_id])).get(sku_id)
    if view is None:
        raise NotFound("商品不存在", code="sku_not_found", details={"sku_id": sku_id})
    return view


def _not_found() -> NotFound:
    return NotFound("购物车中没有这件商品")


async def _lock_lines(session: AsyncSession, shopper_id: int) -> None:
    """Hold the shopper's row until commit, so no other transaction adds a line to this cart meanwhile.
    Read-only on the shoppers table (a row lock, nothing written). Does not commit."""
    await session.execute(select(Shopper.id).where(Shopper.id == shopper_id).with_for_update(key_share=True))


async def get_cart(session: AsyncSession, shopper_id: int) -> CartPublic:
    """The shopper's cart, newest line first, each line checked against current price, shelf and stock."""
    items = list(
        (
            await session.scalars(
                select(CartItem)
                .where(CartItem.shopper_id == shopper_id)
                .order_by(CartItem.id.desc())
                .execution_options(populate_existing=True)
            )
        ).all()
    )
    views = await load_sku_views(session, [item.sku_id for item in items])
    available: list[CartLinePublic] = []
    unavailable: list[CartLinePublic] = []
    selected_quantity = selected_amount = total_quantity = 0
    for item in items:
        view = views.get(item.sku_id)
        if view is None:
            continue
        status, reason = view.check(item.quantity)
        line = CartLinePublic(
            id=item.id,
            sku_id=item.sku_id,
            spu_id=view.spu_id,
            title=view.title,
            spec_text=view.spec_text,
            image_url=view.image_url,
            price=view.price,
            price_when_added=item.price_when_added,
            price_change=view.price - item.price_when_added,
            price_changed=price_change_note(view.price, item.price_when_added),
            quantity=item.quantity,
            selected=item.selected,
            stock=max(view.stock, 0),
            max_per_order=view.max_per_order,
            status=status,
            status_text=reason or STATUS_TEXT[OK],
        )
        total_quantity += item.quantity
        if status in AVAILABLE_STATUSES:
            available.append(line)
        else:
            unavailable.append(line)
        if item.selected and status == OK:
            selected_quantity += item.quantity
            selected_amount += view.price * item.quantity
    return CartPublic(
        groups=[
            CartGroupPublic(key="available", title="", lines=available),
            CartGroupPublic(key="unavailable", title="失效商品", lines=unavailable),
        ],
        line_count=len(items),
        total_quantity=total_quantity,
        selected_quantity=selected_quantity,
        selected_amount=selected_amount,
        all_selected=bool(available) and all(line.selected for line in available),
    )


async def add_item(session: AsyncSession, shopper_id: int, sku_id: int, quantity: int) -> CartPublic:
    """Put ``quantity`` of a SKU in the cart (adding to its line if there is one); commits.

    404 ``sku_not_found``; 422 over 999 or the SKU's per-order limit; 409 off shelf, disabled, sold out,
    short of stock (``details.available``) or a full cart (``cart_full``).
    """
    view = await _view(session, sku_id)
    for _ in range(_ATTEMPTS):
        existing = (
            await session.execute(
                select(CartItem.id, CartItem.quantity).where(
                    CartItem.shopper_id == shopper_id, CartItem.sku_id == sku_id
                )
            )
        ).one_or_none()
        new_quantity = (existing.quantity if existing else 0) + quantity
        _check_quantity(view, new_quantity)
        if existing is not None:
            result = await session.execute(
                update(CartItem)
                .where(CartItem.id == existing.id, CartItem.quantity == existing.quantity)
                .values(quantity=new_quantity, selected=True, updated_at=clock.now())
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                break
            continue
        await _lock_lines(session, shopper_id)
        lines = await session.scalar(select(func.count()).where(CartItem.shopper_id == shopper_id))
        if (lines or 0) >= MAX_LINES:
            raise Conflict(f"购物车最多放 {MAX_LINES} 种商品，请先清理", code="cart_full")
        try:
            async with session.begin_nested():
                session.add(
                    CartItem(
                        shopper_id=shopper_id, sku_id=sku_id, quantity=new_quantity, selected=True,
                        price_when_added=view.price,
                    )
                )
        except IntegrityError:
            continue
        break
    else:
        raise Conflict("购物车正忙，请稍后重试", code="cart_busy")
    await session.commit()
    return await get_cart(session, shopper_id)


async def update_item(
    session: AsyncSession, shopper_id: int, item_id: int, *, quantity: int | None = None, selected: bool | None = None
) -> CartPublic:
    """Set a line's quantity and/or tick; commits. A larger quantity is checked like an add (a smaller one
    never is: lowering the quantity is how a shopper fixes a line that is short of stock)."""
    item = (
        await session.execute(
            select(CartItem.sku_id, CartItem.quantity).where(CartItem.id == item_id, CartItem.shopper_id == shopper_id)
        )
    ).one_or_none()
    if item is None:
        raise _not_found()
    values: dict[str, object] = {"updated_at": clock.now()}
    if quantity is not None:
        if quantity > item.quantity:
            _check_quantity(await _view(session, item.sku_id), quantity)
        values["quantity"] = quantity
    if selected is not None:
        values["selected"] = selected
    await session.execute(
        update(CartItem)
        .where(CartItem.id == item_id, CartItem.shopper_id == shopper_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return await get_cart(session, shopper_id)


async def _require_owned(session: AsyncSession, shopper_id: int, item_ids: Sequence[int]) -> list[int]:
    wanted = sorted(set(item_ids))
    owned = (
        await session.scalars(select(CartItem.id).where(CartItem.shopper_id == shopper_id, CartItem.id.in_(wanted)))
    ).all()
    if len(owned) != len(wanted):
        raise _not_found()
    return wanted


async def select_items(
    session: AsyncSession, shopper_id: int, *, selected: bool, item_ids: Sequence[int] | None
) -> CartPublic:
    """Tick or untick the given lines (all of them when ``item_ids`` is None); commits.

    Any id that is not one of the shopper's lines makes the whole request a 404 and changes nothing.
    """
    condition = CartItem.shopper_id == shopper_id
    if item_ids is not None:
        condition = condition & CartItem.id.in_(await _require_owned(session, shopper_id, item_ids))
    await session.execute(
        update(CartItem)
        .where(condition)
        .values(selected=selected, updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return await get_cart(session, shopper_id)


async def remove_items(session: AsyncSession, shopper_id: int, item_ids: Sequence[int]) -> CartPublic:
    """Delete lines; commits. Any id that is not one of the shopper's lines is a 404 and nothing is deleted."""
    wanted = await _require_owned(session, shopper_id, item_ids)
    await session.execute(
        delete(CartItem)
        .where(CartItem.shopper_id == shopper_id, CartItem.id.in_(wanted))
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return await get_cart(session, shopper_id)


async def selected_lines(session: AsyncSession, shopper_id: int) -> list[tuple[int, int]]:
    """``(sku_id, quantity)`` of the shopper's ticked lines, for checkout. Does not commit."""
    rows = await session.execute(
        select(CartItem.sku_id, CartItem.quantity)
        .where(CartItem.shopper_id == shopper_id, CartItem.selected.is_(True))
        .order_by(CartItem.id.desc())
    )
    return [(sku_id, quantity) for sku_id, quantity in rows.all()]


async def remove_ordered_skus(session: AsyncSession, shopper_id: int, sku_ids: Sequence[int]) -> None:
    """Drop the lines of SKUs that were just ordered (inside the order's transaction). Does not commit."""
    if not sku_ids:
        return
    await session.execute(
        delete(CartItem)
        .where(CartItem.shopper_id == shopper_id, CartItem.sku_id.in_(sorted(set(sku_ids))))
        .execution_options(synchronize_session=False)
    )

"""Checkout: price what a shopper is about to buy, list every reason it can't be bought, place the order.

The preview and the order use the same ``build_quote``: prices, stock, shipping and discounts are always
recomputed on the server, never taken from the client. ``place_order`` is one transaction: quote, refuse
on any problem (409 with the problems), insert the order, its line snapshots and the "created" event,
reserve stock all-or-nothing (``inventory.reserve_stock``, a conditional UPDATE per SKU), redeem the
applied discounts, drop the ordered cart lines, commit. Only then is the auto-cancel timer scheduled.

Bounds: one SKU at most 999 units in an order and the whole order at most ``MAX_ORDER_UNITS`` units (422
otherwise), checked on the lines as they will be ordered (after merging), so no amount or per-piece
shipping fee can approach BIGINT. An optional ``expected_payable_amount`` that differs from the server's
payable refuses the order with 409 ``price_changed`` before anything is written.

Idempotency: ``(shopper_id, idempotency_key)`` is unique. A retry finds the first order and gets it back
(200) if the request body is the same, or 409 ``idempotency_key_reused`` if it differs. Two concurrent
duplicates both pass the first lookup; the loser trips the unique index, rolls back and returns the
winner's order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall import jobs
from qingmall.cart import service as cart_service
from qingmall.cart.availability import INSUFFICIENT_STOCK, OK, SOLD_OUT, SkuView, load_sku_views
from qingmall.checkout.adjustments import PricingContext, registered_adjusters
from qingmall.checkout.pricing import Discount, LineInput, PriceBreakdown, price_order
from qingmall.checkout.schemas import (
    MAX_ORDER_UNITS,
    MAX_QUANTITY,
    CheckoutLinePublic,
    CheckoutPreview,
    CheckoutRequest,
    DiscountPublic,
    OrderCreate,
    ProblemPublic,
)
from qingmall.core import clock
from qingmall.core.errors import Conflict, InvalidInput, NotFound
from qingmall.core.ids import new_order_no
from qingmall.core.money import fen_to_yuan
from qingmall.inventory import service as inventory
from qingmall.inventory.service import OutOfStock
from qingmall.orders import queries as order_queries
from qingmall.orders import snapshots, states
from qingmall.orders.models import Order, OrderEvent, OrderLine
from qingmall.orders.schemas import OrderDetailPublic
from qingmall.shipping import service as shipping_service
from qingmall.shipping.rules import ShippingLine, ShippingQuote
from qingmall.shop import service as shop_service
from qingmall.shoppers import service as shoppers_service
from qingmall.shoppers.models import Address

log = structlog.get_logger("qingmall.checkout")

STOCK_PROBLEMS = (SOLD_OUT, INSUFFICIENT_STOCK)
_ORDER_NO_ATTEMPTS = 3  # a unique-index hit that is not our idempotency key is an order-number collision


@dataclass
class Quote:
    """Everything a preview shows and an order stores, computed server-side."""

    items: list[tuple[SkuView, int]]
    breakdown: PriceBreakdown
    shipping: ShippingQuote
    address: dict[str, Any] | None
    problems: list[ProblemPublic] = field(default_factory=list)


def _merge(items: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """One line per SKU, quantities added (order of first appearance). The request schema already refuses a
    repeated SKU; this keeps service callers that skip the schema from splitting a SKU over two lines."""
    totals: dict[int, int] = {}
    for sku_id, quantity in items:
        totals[sku_id] = totals.get(sku_id, 0) + quantity
    return list(totals.items())


def check_order_size(lines: list[tuple[int, int]]) -> None:
    """Refuse (422) a line over ``MAX_QUANTITY`` units or an order over ``MAX_ORDER_UNITS`` units in all.

    Checked on the merged lines, whatever their source: "buy now" items or the ticked cart lines.
    """
    for sku_id, quantity in lines:
        if quantity > MAX_QUANTITY:
            raise InvalidInput(
                f"单个商品每单最多购买 {MAX_QUANTITY} 件", code="quantity_too_large",
                details={"sku_id": sku_id, "quantity": quantity, "limit": MAX_QUANTITY},
            )
    total = sum(quantity for _, quantity in lines)
    if total > MAX_ORDER_UNITS:
        raise InvalidInput(
            f"每单最多购买 {MAX_ORDER_UNITS} 件商品（当前 {total} 件），请减少数量或分开下单",
            code="order_too_large", details={"units": total, "limit": MAX_ORDER_UNITS},
        )


async def _requested_lines(session: AsyncSession, shopper_id: int, request: CheckoutRequest) -> list[tuple[int, int]]:
    if request.from_cart:
        lines = _merge(await cart_service.selected_lines(session, shopper_id))
        if not lines:
            raise InvalidInput("请先在购物车中勾选要结算的商品", code="nothing_selected")
    else:
        assert request.items is not None
        lines = _merge([(item.sku_id, item.quantity) for item in request.items])
    check_order_size(lines)
    return lines


async def _address(session: AsyncSession, shopper_id: int, address_id: int | None) -> Address | None:
    if address_id is not None:
        return await shoppers_service.get_address(session, shopper_id, address_id)
    return await shoppers_service.get_default_address(session, shopper_id)


def _line_problems(view: SkuView, quantity: int) -> list[ProblemPublic]:
    problems = []
    status, reason = view.check(quantity)
    if status != OK:
        available = max(view.stock, 0) if status in STOCK_PROBLEMS else None
        problems.append(ProblemPublic(sku_id=view.sku_id, code=status, message=reason, available=available))
    if view.exceeds_limit(quantity):
        problems.append(
            ProblemPublic(sku_id=view.sku_id, code="exceeds_max_per_order", message=view.limit_text,
                          available=view.max_per_order)
        )
    return problems


async def build_quote(session: AsyncSession, shopper_id: int, request: CheckoutRequest) -> Quote:
    """Price ``request`` for ``shopper_id`` now and list its problems. Read-only; does not commit.

    404 ``sku_not_found`` for an unknown SKU and 404 ``address_not_found`` for an address that is not the
    shopper's; 422 ``quantity_too_large`` / ``order_too_large`` past the size limits (``check_order_size``);
    everything else that stops an order is a problem in the list, so the page can show it (including a
    merged quantity over the SKU's ``max_per_order``).
    """
    requested = await _requested_lines(session, shopper_id, request)
    views = await load_sku_views(session, [sku_id for sku_id, _ in requested])
    for sku_id, _ in requested:
        if sku_id not in views:
            raise NotFound("商品不存在", code="sku_not_found", details={"sku_id": sku_id})
    items = [(views[sku_id], quantity) for sku_id, quantity in requested]

    address_row = await _address(session, shopper_id, request.address_id)
    address = snapshots.snapshot_address(address_row) if address_row is not None else None
    region_codes = snapshots.region_codes(address)

    problems: list[ProblemPublic] = []
    for view, quantity in items:
        problems.extend(_line_problems(view, quantity))

    shipping = await shipping_service.quote_shipping(
        session,
        [
            ShippingLine(
                sku_id=view.sku_id, quantity=quantity, unit_weight_grams=view.weight_grams,
                goods_amount=view.price * quantity, template_id=view.shipping_template_id,
            )
            for view, quantity in items
        ],
        region_codes,
    )
    for sku_id in shipping.unshippable_sku_ids:
        problems.append(ProblemPublic(sku_id=sku_id, code="unshippable_region", message="该商品不支持配送到所选地区"))
    if address is None:
        problems.append(ProblemPublic(sku_id=None, code="address_missing", message="请选择收货地址"))

    lines = [LineInput(sku_id=view.sku_id, unit_price=view.price, quantity=quantity) for view, quantity in items]
    breakdown = price_order(lines, shipping.fee)
    discounts: list[Discount] = []
    for adjuster in registered_adjusters():
        context = PricingContext(shopper_id=shopper_id, breakdown=breakdown, region_codes=region_codes)
        discounts.extend(await adjuster.propose(session, context))
        breakdown = price_order(lines, shipping.fee, discounts)
    return Quote(items=items, breakdown=breakdown, shipping=shipping, address=address, problems=problems)


def _preview(quote: Quote, request: CheckoutRequest) -> CheckoutPreview:
    lines = []
    for (view, _quantity), priced in zip(quote.items, quote.breakdown.lines, strict=True):
        status, _ = view.check(priced.quantity)
        lines.append(
            CheckoutLinePublic(
                sku_id=view.sku_id, spu_id=view.spu_id, title=view.title, spec_text=view.spec_text,
                image_url=view.image_url, unit_price=priced.unit_price, quantity=priced.quantity,
                goods_amount=priced.goods_amount, discount_amount=priced.discount_amount,
                payable_amount=priced.payable_amount, weight_grams=view.weight_grams,
                total_weight_grams=view.weight_grams * priced.quantity, status=status,
            )
        )
    breakdown = quote.breakdown
    return CheckoutPreview(
        lines=lines,
        goods_amount=breakdown.goods_amount,
        shipping_fee=breakdown.shipping_fee,
        discounts=[DiscountPublic(type=d.type, title=d.title, amount=d.amount) for d in breakdown.discounts],
        discount_amount=breakdown.discount_amount,
        payable_amount=breakdown.payable_amount,
        item_count=breakdown.item_count,
        address=snapshots.shopper_address(quote.address),
        delivery_method=request.delivery_method,
        remark=request.remark,
        problems=quote.problems,
        can_submit=not quote.problems,
    )


async def preview(session: AsyncSession, shopper_id: int, request: CheckoutRequest) -> CheckoutPreview:
    """The checkout page: full breakdown, problems and ``can_submit``. Read-only."""
    quote = await build_quote(session, shopper_id, request)
    await session.rollback()
    return _preview(quote, request)


# ---- placing the order -----------------------------------------------------------------------------------

def request_fingerprint(request: OrderCreate) -> str:
    """SHA-256 of the request without its idempotency key: equal bodies, equal fingerprints."""
    body = request.model_dump(exclude={"idempotency_key"}, mode="json")
    if body.get("expected_payable_amount") is None:  # fingerprints of orders made before the field existed
        body.pop("expected_payable_amount", None)
    if body.get("items"):
        body["items"] = sorted(body["items"], key=lambda item: (item["sku_id"], item["quantity"]))
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _refusal(problems: list[ProblemPublic]) -> Conflict:
    """One 409 for a list of problems; its code is ``out_of_stock`` when stock is among the reasons."""
    details = {"problems": [p.model_dump() for p in problems]}
    if any(p.code in STOCK_PROBLEMS for p in problems):
        first = next(p for p in problems if p.code in STOCK_PROBLEMS)
        return Conflict(first.message, code="out_of_stock", details={**details, "sku_id": first.sku_id})
    return Conflict(problems[0].message, code=problems[0].code, details=details)


def _price_change(request: OrderCreate, quote: Quote) -> Conflict | None:
    """409 ``price_changed`` when the shopper saw another payable amount than the server computes now."""
    expected, actual = request.expected_payable_amount, quote.breakdown.payable_amount
    if expected is None or expected == actual:
        return None
    return Conflict(
        f"商品价格或运费有变动，应付金额由 ¥{fen_to_yuan(expected)} 变为 ¥{fen_to_yuan(actual)}，请确认后重新提交",
        code="price_changed",
        details={"expected": expected, "actual": actual},
    )


async def _existing(session: AsyncSession, shopper_id: int, key: str) -> tuple[int, str] | None:
    row = (
        await session.execute(
            select(Order.id, Order.request_hash).where(Order.shopper_id == shopper_id, Order.idempotency_key == key)
        )
    ).one_or_none()
    return (row.id, row.request_hash) if row else None


async def _replay(session: AsyncSession, found: tuple[int, str], fingerprint: str) -> OrderDetailPublic:
    order_id, request_hash = found
    if request_hash != fingerprint:
        raise Conflict("该幂等键已用于另一笔内容不同的下单请求", code="idempotency_key_reused")
    return await order_queries.order_detail(session, order_id)


async def _insert_order(
    session: AsyncSession, shopper_id: int, request: OrderCreate, quote: Quote, fingerprint: str
) -> Order:
    now = clock.now()
    breakdown = quote.breakdown
    order = Order(
        order_no=new_order_no(),
        shopper_id=shopper_id,
        status=states.PENDING_PAYMENT,
        idempotency_key=request.idempotency_key,
        request_hash=fingerprint,
        goods_amount=breakdown.goods_amount,
        shipping_fee=breakdown.shipping_fee,
        discount_amount=breakdown.discount_amount,
        payable_amount=breakdown.payable_amount,
        item_count=breakdown.item_count,
        discounts=[{"type": d.type, "title": d.title, "amount": d.amount, "ref": d.ref} for d in breakdown.discounts],
        address=quote.address or {},
        receiver_phone_hash=snapshots.receiver_phone_hash(quote.address),
        delivery_method=request.delivery_method,
        remark=request.remark,
        pay_deadline=now + timedelta(minutes=await shop_service.unpaid_timeout_minutes(session)),
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    await session.flush()
    for (view, _quantity), priced in zip(quote.items, breakdown.lines, strict=True):
        session.add(
            OrderLine(
                order_id=order.id, spu_id=view.spu_id, sku_id=view.sku_id, title=view.title,
                spec_text=view.spec_text, image_url=view.image_url, unit_price=priced.unit_price,
                quantity=priced.quantity, goods_amount=priced.goods_amount, discount_amount=priced.discount_amount,
                payable_amount=priced.payable_amount, weight_grams=view.weight_grams,
            )
        )
    session.add(
        OrderEvent(
            order_id=order.id, event="created", from_status="", to_status=states.PENDING_PAYMENT,
            actor_type=states.SHOPPER, actor_id=shopper_id, note="", created_at=now,
        )
    )
    return order


async def place_order(session: AsyncSession, shopper_id: int, request: OrderCreate) -> tuple[OrderDetailPublic, bool]:
    """Create the order in one transaction; returns ``(order, created)`` (``created`` False on a replay).

    409 with ``details.problems`` if anything stops it (code ``out_of_stock`` when stock is why);
    409 ``price_changed`` when ``expected_payable_amount`` is given and differs from the computed payable;
    409 ``idempotency_key_reused`` for the same key with a different body. Commits once.
    """
    fingerprint = request_fingerprint(request)
    found = await _existing(session, shopper_id, request.idempotency_key)
    if found is not None:
        return await _replay(session, found, fingerprint), False

    for attempt in range(_ORDER_NO_ATTEMPTS):
        quote = await build_quote(session, shopper_id, request)
        if quote.problems:
            await session.rollback()
            raise _refusal(quote.problems)
        changed = _price_change(request, quote)
        if changed is not None:
            await session.rollback()
            raise changed
        try:
            order = await _insert_order(session, shopper_id, request, quote, fingerprint)
            break
        except IntegrityError:
            await session.rollback()
            found = await _existing(session, shopper_id, request.idempotency_key)
            if found is not None:
                return await _replay(session, found, fingerprint), False
            if attempt == _ORDER_NO_ATTEMPTS - 1:
                raise
            log.warning("order_no_collision", shopper_id=shopper_id)
    order_id, order_no, deadline = order.id, order.order_no, order.pay_deadline
    try:
        await inventory.reserve_stock(
            session, [(view.sku_id, quantity) for view, quantity in quote.items], ref_type="order", ref_id=order_no
        )
    except OutOfStock as exc:
        await session.rollback()
        sku_id = (exc.details or {}).get("sku_id")
        problem = ProblemPublic(sku_id=sku_id, code=INSUFFICIENT_STOCK, message="库存不足，请减少购买数量或稍后再试")
        raise _refusal([problem]) from exc
    for adjuster in registered_adjusters():
        for discount in quote.breakdown.discounts:
            if discount.type == adjuster.type:
                await adjuster.redeem(session, shopper_id=shopper_id, order_id=order_id, discount=discount)
    if request.from_cart:
        await cart_service.remove_ordered_skus(session, shopper_id, [view.sku_id for view, _ in quote.items])
    await session.commit()
    jobs.schedule_order_timeout(order_id, deadline)
    return await order_queries.order_detail(session, order_id), True

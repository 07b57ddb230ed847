"""Reviewed orders of the demo shoppers, made the way real ones are.

Each order goes through the real lifecycle: ``checkout.service.place_order`` (prices, shipping and stock
reserved from the server's own quote), a balance payment from money the demo gives for it
(``payments.balance``: ledger entries, a payment attempt, ``mark_paid`` with sales counted), ``ship_order``,
``complete_order``; then each line is reviewed with ``reviews.service.submit_review`` and some get a
merchant reply through ``reply_to_review``. So product pages show real sales, ratings, counts and good
rates, and every number agrees with the stock ledger.

Choices are deterministic (an RNG seeded by the batch): the most prominent products get the most
reviews, ratings are mostly 4-5 with a few 3 and lower, about a quarter carry generated photos, some
are anonymous, and every review of 3 stars or less gets a reply. Fresh food is never ordered to a
region the fresh template does not ship to.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog.models import Sku
from qingmall.checkout import service as checkout_service
from qingmall.checkout.schemas import OrderCreate
from qingmall.core import clock
from qingmall.core.errors import AppError
from qingmall.core.storage import Storage
from qingmall.demo import data
from qingmall.demo.assets import store_review_photo
from qingmall.demo.data import DemoProduct, category_of
from qingmall.orders import queries as order_queries
from qingmall.orders import service as order_service
from qingmall.orders import states
from qingmall.orders.schemas import OrderShip
from qingmall.payments import balance as balance_payments
from qingmall.reviews import service as review_service
from qingmall.reviews.schemas import ReviewCreate
from qingmall.shipping.models import ShippingTemplate
from qingmall.shoppers import address_service
from qingmall.staff.models import Staff
from qingmall.wallet import service as wallet_service

if TYPE_CHECKING:
    from qingmall.demo.seed import SeedReport

RATING_WEIGHTS = {5: 68, 4: 20, 3: 7, 2: 3, 1: 2}
LINES_PER_ORDER = 3
PHOTO_SHARE = 0.25
ANONYMOUS_SHARE = 0.15
REPLY_SHARE_GOOD = 0.3
REPLY_STAFF = "demo_service"


def reviews_wanted(item: DemoProduct) -> int:
    """How many reviews a product gets: the more prominent, the more (0 for unsellable products)."""
    if not item.on_shelf or item.sold_out:
        return 0
    for weight, count in ((85, 4), (65, 2), (50, 1)):
        if item.sort_weight >= weight:
            return count
    return 0


@dataclass(frozen=True)
class PlannedLine:
    item: DemoProduct
    rating: int


async def _unshippable(session: AsyncSession, report: SeedReport) -> dict[str, set[str]]:
    """Province codes each demo template refuses, by template kind."""
    refused: dict[str, set[str]] = {}
    for kind, template_id in report.template_ids.items():
        template = await session.get(ShippingTemplate, template_id)
        refused[kind] = set(template.unshippable_regions) if template is not None else set()
    return refused


def plan_orders(batch: int, refused_fresh: set[str]) -> dict[str, list[list[PlannedLine]]]:
    """shopper key -> orders -> lines, chosen deterministically for ``batch``."""
    rng = random.Random(f"demo-reviews/{batch}")
    shoppers = list(data.SHOPPERS)
    by_shopper: dict[str, list[PlannedLine]] = defaultdict(list)
    for item in data.PRODUCTS:
        wanted = reviews_wanted(item)
        if not wanted:
            continue
        fresh = category_of(item).name == "生鲜水果"
        eligible = [s for s in shoppers if not (fresh and s.province_code in refused_fresh)]
        for person in rng.sample(eligible, min(wanted, len(eligible))):
            rating = rng.choices(list(RATING_WEIGHTS), weights=list(RATING_WEIGHTS.values()))[0]
            by_shopper[person.key].append(PlannedLine(item, rating))
    plan: dict[str, list[list[PlannedLine]]] = {}
    for key, lines in by_shopper.items():
        rng.shuffle(lines)
        plan[key] = [lines[i : i + LINES_PER_ORDER] for i in range(0, len(lines), LINES_PER_ORDER)]
    return plan


async def _pick_sku(session: AsyncSession, spu_id: int, rng: random.Random) -> int | None:
    ids = (
        await session.scalars(
            select(Sku.id).where(Sku.spu_id == spu_id, Sku.is_enabled.is_(True), Sku.stock > 0).order_by(Sku.id)
        )
    ).all()
    return rng.choice(ids) if ids else None


async def _reply_staff_id(session: AsyncSession) -> int | None:
    return await session.scalar(select(Staff.id).where(Staff.username == REPLY_STAFF))


async def seed_reviews(session: AsyncSession, report: SeedReport, storage: Storage) -> int:
    """Place, pay, ship and complete the planned orders, then review every line; returns reviews made."""
    refused = await _unshippable(session, report)
    plan = plan_orders(report.batch, refused.get("fresh", set()))
    rng = random.Random(f"demo-review-details/{report.batch}")
    when = random.Random(f"demo-order-times/{report.batch}")  # its own stream: the picks above stay as they were
    planned, placed_so_far = sum(len(orders) for orders in plan.values()), 0
    reply_staff = await _reply_staff_id(session)
    count = 0
    for shopper_key, orders in sorted(plan.items()):
        shopper_id = report.shopper_ids.get(shopper_key)
        address = await address_service.get_default_address(session, shopper_id) if shopper_id else None
        if shopper_id is None or address is None:
            continue
        address_id = address.id
        for number, lines in enumerate(orders, start=1):
            items = []
            for line in lines:
                sku_id = await _pick_sku(session, report.product_ids[line.item.key], rng)
                if sku_id is not None:
                    items.append((line, sku_id))
            if not items:
                continue
            # the shop's history: orders spread over the last 30 days (the dashboard's trend), the newest today
            # (later orders nearer today, denser lately: the order at fraction f of the plan is 29 * (1 - f)² days ago)
            placed_so_far += 1
            days_ago = round(29 * (1 - placed_so_far / planned) ** 2)
            placed = -timedelta(days=days_ago, hours=when.randint(0, 9), minutes=when.randint(0, 59))
            with clock.shifted(placed):
                try:
                    order_no = await _complete_order(session, report.batch, shopper_key, number, shopper_id,
                                                     address_id, [sku for _, sku in items])
                except AppError as exc:  # one refused order must not cost the shop its other reviews
                    await session.rollback()
                    report.notes.append(f"演示订单未能完成（{shopper_key} #{number}）：{exc.message}")
                    continue
                detail = await order_queries.get_shopper_order(session, shopper_id, order_no)
                line_ids = {line.sku_id: line.id for line in detail.lines}
                for line, sku_id in items:
                    await _review(session, storage, rng, shopper_id, line_ids[sku_id], line, reply_staff)
                    count += 1
    return count


async def _complete_order(session: AsyncSession, batch: int, shopper_key: str, number: int, shopper_id: int,
                          address_id: int, sku_ids: list[int]) -> str:
    request = OrderCreate.model_validate({
        "items": [{"sku_id": sku_id, "quantity": 1} for sku_id in sku_ids],
        "address_id": address_id,
        "idempotency_key": f"demo-seed-{batch}-{shopper_key}-{number}",
    })
    order, _ = await checkout_service.place_order(session, shopper_id, request)
    order_id = await order_queries.order_id_by_no(session, order.order_no)
    # paid from the balance the demo gives for it, so payment records, ledger and reconciliation all agree
    await wallet_service.credit(
        session, shopper_id, order.payable_amount, reason="adjustment", ref_type="demo", ref_id=order.order_no,
        note="演示店铺赠送",
    )
    await balance_payments.pay_order_with_balance(session, order.order_no, payer_id=shopper_id, owner_id=shopper_id)
    waybill = f"SF{batch}{order.order_no[-10:]}"
    await order_service.ship_order(
        session, order_id, staff_id=None,
        data=OrderShip(carrier_code="SF", carrier_name="顺丰速运", tracking_no=waybill),
    )
    await order_service.complete_order(
        session, order_id, actor=order_service.Actor(states.SHOPPER, shopper_id), note="确认收货"
    )
    return order.order_no


async def _review(session: AsyncSession, storage: Storage, rng: random.Random, shopper_id: int, line_id: int,
                  line: PlannedLine, reply_staff: int | None) -> None:
    texts = data.REVIEW_TEXTS[line.rating]
    content = rng.choice(texts).format(short=line.item.short_name)
    photos: list[str] = []
    if rng.random() < PHOTO_SHARE:
        for _ in range(rng.randint(1, 2)):
            photos.append((await store_review_photo(storage, line.item.key, rng.randrange(1000))).url)
    review = await review_service.submit_review(session, shopper_id, ReviewCreate(
        order_line_id=line_id, rating=line.rating, content=content, photos=photos,
        is_anonymous=rng.random() < ANONYMOUS_SHARE,
    ))
    if reply_staff is not None and (line.rating <= 3 or rng.random() < REPLY_SHARE_GOOD):
        await review_service.reply_to_review(session, review.id, reply_staff, data.MERCHANT_REPLIES[line.rating])

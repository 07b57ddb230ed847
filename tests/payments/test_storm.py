"""A storm of WeChat Pay notifications over HTTP: every order is paid exactly once and nothing else gets in.

1,000 orders on PostgreSQL (60 on SQLite, whose writers queue on one lock). Each order gets an attempt
through the pay route and is paid in the sandbox. Its notification is delivered three times at once (a burst),
a share of the orders also get a second notification of the same payment (with a new notification id), and
among them come forged, stale and probe deliveries, verified ones claiming another amount and ones for a
trade this shop never created, some inside an order's burst and some on their own. The units (bursts and lone
deliveries) are shuffled and posted to the notify route ``UNITS_IN_FLIGHT`` at a time, every request of a unit
at once and on its own session: on PostgreSQL the copies of one payment really race on separate connections.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import resource
import secrets
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

import qingmall.sandbox.wechatpay as sandbox_module
from qingmall.catalog.models import Sku, Spu
from qingmall.checkout.schemas import CheckoutItem, OrderCreate
from qingmall.checkout.service import place_order
from qingmall.core.crypto import encrypt, mask_phone
from qingmall.inventory.models import StockMovement
from qingmall.orders.models import Order, OrderEvent
from qingmall.payments.models import PaymentAttempt, PaymentNotification, Refund
from qingmall.sandbox.wechatpay import SandboxNotification, WeChatPaySandbox
from qingmall.shoppers.models import Address, Shopper
from tests.factories import shopper_headers
from tests.orders.orders_testkit import make_sku
from tests.payments.paykit import NOTIFY

ORDERS = {"postgresql": 1000, "sqlite": 60}
# About 20 requests in flight: the test database keeps 20 pooled connections (tests/conftest.py), and more
# requests than that open and close connections all the time, which measured slower without racing harder.
UNITS_IN_FLIGHT = 8
PREPAYS_IN_FLIGHT = 20
PLACING = 8  # orders placed at once while setting up
SKUS = 40  # sales counters are hot rows: every paid order of a SKU updates its SKU and SPU

# each kind of delivery: the answer it must get, and the log outcome it leaves (None: a genuine notification,
# logged once per notification id as applied or duplicate)
ANSWERS: dict[str, tuple[int, str | None]] = {
    "valid": (204, None),
    "again": (204, None),
    "forged": (401, "rejected_signature"),
    "forged_amount": (401, "rejected_signature"),
    "forged_unknown": (401, "rejected_signature"),
    "stale": (401, "rejected_stale"),
    "probe": (401, "rejected_probe"),
    "wrong_amount": (400, "rejected_amount"),
    "unknown_trade": (404, "rejected_unknown_trade"),
}
# (kind, every n-th order, offset): the share of orders that get this delivery as well
SHARES = (("again", 5, 0), ("forged", 6, 1), ("stale", 10, 2), ("probe", 10, 7))
RARE = ("wrong_amount", "forged_amount", "unknown_trade", "forged_unknown")  # 1% of orders each, at least 2


@dataclass(frozen=True)
class PaidOrder:
    order_no: str
    sku_id: int
    quantity: int
    payable: int
    out_trade_no: str
    transaction_id: str


@dataclass(frozen=True)
class Delivery:
    kind: str
    out_trade_no: str
    notification: SandboxNotification


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _buyers(session, count: int) -> list[tuple[int, dict, int]]:
    shoppers = [Shopper(openid=f"storm-openid-{i}", nickname=f"风暴{i}") for i in range(count)]
    session.add_all(shoppers)
    await session.flush()
    addresses = [
        Address(
            shopper_id=s.id,
            recipient_name="王五",
            phone_cipher=encrypt("13700137000", purpose="address.phone"),
            phone_masked=mask_phone("13700137000"),
            province_code="310000",
            city_code="310100",
            district_code="310101",
            province="上海市",
            city="上海市",
            district="黄浦区",
            detail="人民大道 200 号",
            is_default=True,
        )
        for s in shoppers
    ]
    session.add_all(addresses)
    await session.commit()
    return [(s.id, shopper_headers(s), a.id) for s, a in zip(shoppers, addresses, strict=True)]


async def _paid_orders(db, session, client, sandbox: WeChatPaySandbox, count: int) -> list[PaidOrder]:
    """``count`` orders placed by the checkout service, each given an attempt by the pay route and paid."""
    sku_ids = [await make_sku(session, price=990 + 100 * i, stock=10_000) for i in range(SKUS)]
    buyers = await _buyers(session, count)
    placing = asyncio.Semaphore(PLACING)

    async def place(i: int, shopper_id: int, address_id: int) -> tuple[str, int, int, int]:
        sku_id, quantity = sku_ids[i % SKUS], 1 + i % 3
        request = OrderCreate(
            items=[CheckoutItem(sku_id=sku_id, quantity=quantity)],
            address_id=address_id,
            idempotency_key=f"storm-{i:06d}",
        )
        async with placing, db.sessionmaker() as own:
            order, created = await place_order(own, shopper_id, request)
        assert created
        return order.order_no, sku_id, quantity, order.payable_amount

    placed = await asyncio.gather(*(place(i, shopper, address) for i, (shopper, _, address) in enumerate(buyers)))
    in_flight = asyncio.Semaphore(PREPAYS_IN_FLIGHT)

    async def prepay(order_no: str, headers: dict) -> str:
        async with in_flight:
            response = await client.post(f"/api/v1/orders/{order_no}/pay/wechat", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["package"].removeprefix("prepay_id=")

    prepay_ids = await asyncio.gather(
        *(prepay(order_no, headers) for (order_no, *_), (_, headers, _) in zip(placed, buyers, strict=True))
    )
    at_gateway = {o.prepay_id: o for o in sandbox.orders.values()}
    orders = []
    for (order_no, sku_id, quantity, payable), prepay_id in zip(placed, prepay_ids, strict=True):
        assert at_gateway[prepay_id].total == payable
        paid = sandbox.pay(at_gateway[prepay_id].out_trade_no)
        orders.append(PaidOrder(order_no, sku_id, quantity, payable, paid.out_trade_no, paid.transaction_id))
    return orders


def _claiming(sandbox: WeChatPaySandbox, of: str, variant: str, **changes) -> SandboxNotification:
    """A notification of the sandbox's order ``of`` as it would read with ``changes`` (another amount, another
    ``out_trade_no``), signed by the sandbox (``valid``) or by someone else (``forged``)."""
    real = sandbox.orders[of]
    claimed = dataclasses.replace(real, **changes)
    sandbox.orders[claimed.out_trade_no] = claimed
    try:
        return sandbox.build_notification(claimed.out_trade_no, variant=variant)
    finally:
        sandbox.orders[of] = real
        if claimed.out_trade_no != of:
            del sandbox.orders[claimed.out_trade_no]


def _extra_delivery(sandbox: WeChatPaySandbox, kind: str, i: int, out: str) -> Delivery:
    if kind in ("again", "forged", "stale", "probe"):
        return Delivery(kind, out, sandbox.build_notification(out, variant="valid" if kind == "again" else kind))
    variant = "forged" if kind.startswith("forged") else "valid"
    if kind.endswith("amount"):
        return Delivery(kind, out, _claiming(sandbox, out, variant, total=1))
    unknown = f"ELSEWHERE{i:06d}"
    return Delivery(
        kind,
        unknown,
        _claiming(sandbox, out, variant, out_trade_no=unknown, transaction_id="4200" + secrets.token_hex(12)),
    )


def _units(sandbox: WeChatPaySandbox, orders: list[PaidOrder], rng: random.Random) -> list[list[Delivery]]:
    """Every order's burst (its notification three times, plus some of its extras) and the other extras on
    their own, shuffled."""
    rare = {kind: set(rng.sample(range(len(orders)), max(2, len(orders) // 100))) for kind in RARE}
    units: list[list[Delivery]] = []
    for i, order in enumerate(orders):
        out = order.out_trade_no
        burst = [Delivery("valid", out, sandbox.build_notification(out))] * 3
        kinds = [kind for kind, every, at in SHARES if i % every == at] + [k for k in RARE if i in rare[k]]
        for kind in kinds:
            extra = _extra_delivery(sandbox, kind, i, out)
            if kind != "again" and rng.random() < 0.5:
                burst.append(extra)
            else:
                units.append([extra])
        rng.shuffle(burst)
        units.append(burst)
    rng.shuffle(units)
    return units


async def test_notification_storm_pays_every_order_exactly_once(db, session, client, sandbox, monkeypatch):
    # given paid orders (1,000 on PostgreSQL) and their notifications mixed with forgeries, shuffled
    count = ORDERS[db.dialect]
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    monkeypatch.setattr(sandbox_module, "_new_key", lambda: forger)  # one forger's key, not a keygen per forgery
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    orders = await _paid_orders(db, session, client, sandbox, count)
    units = _units(sandbox, orders, random.Random(20240607))
    deliveries = [delivery for unit in units for delivery in unit]
    setup, setup_cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started

    # when all of them are posted to the notify route, a unit's requests at once, UNITS_IN_FLIGHT units at a time
    in_flight = asyncio.Semaphore(UNITS_IN_FLIGHT)

    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)  # the three copies' (sent, answered)

    async def post(delivery: Delivery) -> tuple[int, str | None]:
        sent = time.perf_counter()
        response = await client.post(NOTIFY, content=delivery.notification.body, headers=delivery.notification.headers)
        if delivery.kind == "valid":
            spans[delivery.out_trade_no].append((sent, time.perf_counter()))
        return response.status_code, (response.json()["code"] if response.status_code != 204 else None)

    async def post_unit(unit: list[Delivery]) -> list[tuple[int, str | None]]:
        async with in_flight:
            return await asyncio.gather(*(post(d) for d in unit))

    started, cpu_started = time.perf_counter(), _cpu_seconds()
    answers = [answer for unit in await asyncio.gather(*(post_unit(u) for u in units)) for answer in unit]
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    raced = sum(1 for s in spans.values() if max(sent for sent, _ in s) < min(answered for _, answered in s))
    print(
        f"\nstorm on {db.dialect}: {count} orders placed, prepaid and paid in {setup:.1f}s (cpu {setup_cpu:.1f}s); "
        f"{len(deliveries)} deliveries in {elapsed:.1f}s (cpu {cpu:.1f}s) = {len(deliveries) / elapsed:.0f}/s; "
        f"all three copies in flight together for {raced} of {count} orders"
    )

    # then the copies of a notification really were in flight together
    assert raced >= 0.9 * count
    # and every delivery got its answer: genuine ones 204, everything else a 4xx naming why
    assert Counter((d.kind, answer) for d, answer in zip(deliveries, answers, strict=True)) == Counter(
        (d.kind, ANSWERS[d.kind]) for d in deliveries
    )
    kinds = Counter(d.kind for d in deliveries)
    assert kinds["valid"] == 3 * count and set(kinds) == set(ANSWERS)

    async with db.sessionmaker() as check:
        # every order is paid once, with the amount due and the gateway's transaction id
        rows = (
            await check.execute(
                select(Order.order_no, Order.status, Order.paid_amount, Order.payable_amount, Order.payment_ref)
            )
        ).all()
        assert {r.order_no: (r.status, r.paid_amount, r.payable_amount, r.payment_ref) for r in rows} == {
            o.order_no: ("paid", o.payable, o.payable, o.transaction_id) for o in orders
        }
        paid_events = Counter(await check.scalars(select(OrderEvent.order_id).where(OrderEvent.event == "paid")))
        assert len(paid_events) == count and set(paid_events.values()) == {1}

        # one attempt per order, paid by its transaction; nothing refunded or closed
        attempts = (
            await check.execute(
                select(
                    PaymentAttempt.out_trade_no,
                    PaymentAttempt.status,
                    PaymentAttempt.transaction_id,
                    PaymentAttempt.amount,
                )
            )
        ).all()
        assert {a.out_trade_no: (a.status, a.transaction_id, a.amount) for a in attempts} == {
            o.out_trade_no: ("paid", o.transaction_id, o.payable) for o in orders
        }
        assert len(attempts) == count
        assert await check.scalar(select(func.count()).select_from(Refund)) == 0
        assert (sandbox.refunds, sandbox.calls["refund"], sandbox.calls["close"]) == ({}, 0, 0)
        assert sandbox.calls["jsapi"] == count

        # the log: one applied row per order, a duplicate per second notification id, every forgery rejected
        logged = (
            await check.execute(
                select(
                    PaymentNotification.outcome, PaymentNotification.out_trade_no, PaymentNotification.transaction_id
                )
            )
        ).all()
        expected = Counter({"applied": count, "duplicate": kinds["again"]})
        for kind, (_status, outcome) in ANSWERS.items():
            if outcome is not None:
                expected[outcome] += kinds[kind]
        assert Counter(r.outcome for r in logged) == expected
        assert {r.out_trade_no: r.transaction_id for r in logged if r.outcome == "applied"} == {
            o.out_trade_no: o.transaction_id for o in orders
        }
        assert sorted(r.out_trade_no for r in logged if r.outcome == "rejected_unknown_trade") == sorted(
            d.out_trade_no for d in deliveries if d.kind == "unknown_trade"
        )

        # the ledger balances: attempts paid == orders paid == what the gateway took
        paid_attempts = await check.scalar(
            select(func.sum(PaymentAttempt.amount)).where(PaymentAttempt.status == "paid")
        )
        paid_orders = await check.scalar(select(func.sum(Order.paid_amount)))
        taken = sum(o.total for o in sandbox.orders.values() if o.trade_state == "SUCCESS")
        assert paid_attempts == paid_orders == taken == sum(o.payable for o in orders)

        # sales counted once per order (per SKU and SPU: its orders' units); stock reserved once, never released
        units: dict[int, int] = defaultdict(int)
        for o in orders:
            units[o.sku_id] += o.quantity
        sales = (
            await check.execute(
                select(Sku.id, Sku.sales_count, Spu.sales_count.label("spu_sales"))
                .join(Spu, Spu.id == Sku.spu_id)
                .where(Sku.id.in_(units))
            )
        ).all()
        assert {s.id: (s.sales_count, s.spu_sales) for s in sales} == {k: (v, v) for k, v in units.items()}
        movements = Counter((await check.execute(select(StockMovement.reason, StockMovement.ref_id))).all())
        assert movements == Counter({("order_reserved", o.order_no): 1 for o in orders})

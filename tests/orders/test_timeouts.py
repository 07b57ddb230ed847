"""Timers by the database clock: unpaid orders cancel after 30 minutes, shipped ones complete after 7 days,
and a shopper's cancel racing the sweep gives the stock back exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from structlog.testing import capture_logs

from qingmall.core import clock
from qingmall.core.errors import Conflict
from qingmall.inventory import service as inventory
from qingmall.orders import service
from qingmall.orders.models import Order, OrderEvent
from tests.factories import make_staff, staff_headers
from tests.orders.orders_testkit import create_order, make_buyer, make_sku, movements, order_id_of, stock_of


async def test_unpaid_order_is_cancelled_after_30_minutes_and_stock_comes_back(client, session, db):
    sku_id = await make_sku(session, stock=4)
    _, headers, address_id = await make_buyer(session)
    order = await create_order(client, headers, address_id, [(sku_id, 3)])
    order_id = await order_id_of(db, order["order_no"])
    assert await stock_of(db, sku_id) == 1
    # not yet at 29 minutes
    clock.advance(timedelta(minutes=29, seconds=59))
    assert await service.cancel_expired_orders(session, clock.now()) == 0
    # past the deadline the sweep cancels it, once
    clock.advance(timedelta(seconds=2))
    assert await service.cancel_expired_orders(session, clock.now()) == 1
    assert await service.cancel_expired_orders(session, clock.now()) == 0
    assert await stock_of(db, sku_id) == 4
    async with db.sessionmaker() as check:
        cancelled = await check.get(Order, order_id)
        assert (cancelled.status, cancelled.cancelled_by, cancelled.cancel_reason) == (
            "cancelled", "system", "超时未支付，系统自动取消",
        )
        event = (await check.scalars(select(OrderEvent).where(OrderEvent.event == "cancelled"))).one()
        assert (event.from_status, event.actor_type) == ("pending_payment", "system")
    detail = (await client.get(f"/api/v1/orders/{order['order_no']}", headers=headers)).json()
    assert (detail["status"], detail["pay_countdown_seconds"]) == ("cancelled", 0)


async def test_shipped_order_completes_after_7_days(client, session, db):
    sku_id = await make_sku(session, price=800)
    _, headers, address_id = await make_buyer(session)
    staff = staff_headers(await make_staff(session))
    order = await create_order(client, headers, address_id, [(sku_id, 1)])
    order_id = await order_id_of(db, order["order_no"])
    await service.mark_paid(session, order_id, paid_amount=800, payment_ref="wx-700")
    shipped = await client.post(
        f"/api/admin/v1/orders/{order['order_no']}/ship", headers=staff,
        json={"carrier_code": "YTO", "carrier_name": "圆通速递", "tracking_no": "YT0000000001"},
    )
    assert shipped.status_code == 200
    # the payment deadline passing changes nothing for a paid order
    clock.advance(timedelta(days=6, hours=23))
    assert await service.cancel_expired_orders(session, clock.now()) == 0
    assert await service.complete_due_orders(session, clock.now()) == 0
    clock.advance(timedelta(hours=1, seconds=1))
    assert await service.complete_due_orders(session, clock.now()) == 1
    assert await service.complete_due_orders(session, clock.now()) == 0
    async with db.sessionmaker() as check:
        done = await check.get(Order, order_id)
        assert done.status == "completed"
        last = (await check.scalars(select(OrderEvent).order_by(OrderEvent.id.desc()).limit(1))).one()
        assert (last.event, last.actor_type, last.note) == ("completed", "system", "超时未确认收货，系统自动确认")


async def test_cancel_racing_the_timeout_sweep_releases_stock_exactly_once(client, session, db):
    # given five overdue unpaid orders of one SKU
    sku_id = await make_sku(session, stock=10)
    buyers = [await make_buyer(session) for _ in range(5)]
    orders = [await create_order(client, h, a, [(sku_id, 2)]) for _, h, a in buyers]
    assert await stock_of(db, sku_id) == 0
    clock.advance(timedelta(minutes=31))

    async def sweep() -> int:
        async with db.sessionmaker() as own:
            return await service.cancel_expired_orders(own, clock.now())

    async def timer(order_no: str) -> bool:
        async with db.sessionmaker() as own:
            return await service.cancel_unpaid_order(own, await order_id_of(db, order_no), now=clock.now())

    # when each shopper cancels while two sweeps and each order's timer job run at the same time
    shopper_cancels = [
        client.post(f"/api/v1/orders/{o['order_no']}/cancel", headers=h, json={"reason": "等太久了"})
        for o, (_, h, _) in zip(orders, buyers, strict=True)
    ]
    results = await asyncio.gather(sweep(), sweep(), *[timer(o["order_no"]) for o in orders], *shopper_cancels)
    swept = results[0] + results[1]
    timed = sum(results[2:7])
    responses = results[7:]
    # then every order is cancelled once: one winner per order, the others saw "already"
    assert all(r.status_code == 200 for r in responses)
    by_shopper = sum(not r.json()["already"] for r in responses)
    assert swept + timed + by_shopper == 5
    assert await stock_of(db, sku_id) == 10
    assert await movements(db, sku_id, "order_released") == 5
    async with db.sessionmaker() as check:
        statuses = (await check.scalars(select(Order.status))).all()
        assert statuses == ["cancelled"] * 5
        assert len((await check.scalars(select(OrderEvent).where(OrderEvent.event == "cancelled"))).all()) == 5


async def test_payment_racing_the_timeout_either_pays_or_cancels_never_both(client, session, db):
    sku_id = await make_sku(session, stock=6, price=100)
    buyers = [await make_buyer(session) for _ in range(3)]
    orders = [await create_order(client, h, a, [(sku_id, 2)]) for _, h, a in buyers]
    ids = [await order_id_of(db, o["order_no"]) for o in orders]
    clock.advance(timedelta(minutes=30, seconds=1))

    async def pay(order_id: int) -> str:
        async with db.sessionmaker() as own:
            try:
                await service.mark_paid(own, order_id, paid_amount=200, payment_ref=f"late-{order_id}")
            except Conflict as exc:
                return exc.code
            return "paid"

    async def sweep() -> int:
        async with db.sessionmaker() as own:
            return await service.cancel_expired_orders(own, clock.now())

    results = await asyncio.gather(*[pay(i) for i in ids], sweep())
    outcomes, cancelled = results[:3], results[3]
    assert set(outcomes) <= {"invalid_order_state", "paid"}
    paid = outcomes.count("paid")
    assert paid + cancelled == 3
    async with db.sessionmaker() as check:
        statuses = sorted((await check.scalars(select(Order.status))).all())
        assert statuses == sorted(["paid"] * paid + ["cancelled"] * cancelled)
    assert await stock_of(db, sku_id) == 2 * cancelled
    assert await movements(db, sku_id, "order_released") == cancelled


async def _overdue_orders(client, session, db, count: int, *, stock: int = 10) -> tuple[int, list[int], list[str]]:
    sku_id = await make_sku(session, stock=stock, price=100)
    numbers = []
    for _ in range(count):
        _, headers, address_id = await make_buyer(session)
        numbers.append((await create_order(client, headers, address_id, [(sku_id, 1)]))["order_no"])
    ids = [await order_id_of(db, n) for n in numbers]
    clock.advance(timedelta(minutes=31))
    return sku_id, ids, numbers


async def _statuses(db, ids: list[int]) -> list[str]:
    async with db.sessionmaker() as check:
        rows = dict((await check.execute(select(Order.id, Order.status))).all())
    return [rows[i] for i in ids]


async def test_an_order_that_always_fails_is_logged_and_skipped_by_the_cancel_sweep(client, session, db, monkeypatch):
    # given three overdue orders, the first of which breaks every time its stock is released
    sku_id, ids, numbers = await _overdue_orders(client, session, db, 3)
    release = inventory.release_stock

    async def broken_for_one(own, lines, *, ref_type, ref_id):
        if ref_id == numbers[0]:
            raise RuntimeError("ledger unavailable")
        await release(own, lines, ref_type=ref_type, ref_id=ref_id)

    monkeypatch.setattr(inventory, "release_stock", broken_for_one)
    monkeypatch.setattr(service, "SWEEP_BATCH", 1)
    # when the sweep runs
    with capture_logs() as logs:
        cancelled = await asyncio.wait_for(service.cancel_expired_orders(session, clock.now()), 30)
    # then the other two are cancelled, the broken one is rolled back as it was, and its failure is logged
    assert cancelled == 2
    assert await _statuses(db, ids) == ["pending_payment", "cancelled", "cancelled"]
    assert await stock_of(db, sku_id) == 9
    failures = [(e["sweep"], e["order_id"], e["log_level"]) for e in logs if e["event"] == "order_sweep_failed"]
    assert failures == [("cancel_expired", ids[0], "error")]
    # and the next sweep tries it again, on its own, without looping
    monkeypatch.setattr(inventory, "release_stock", release)
    assert await service.cancel_expired_orders(session, clock.now()) == 1
    assert await stock_of(db, sku_id) == 10


async def test_orders_that_stay_due_never_make_the_sweep_loop(client, session, db, monkeypatch):
    # given two overdue orders that lose every race (the sweep's cancel is always refused as busy)
    _, ids, _ = await _overdue_orders(client, session, db, 3)
    transition = service._transition

    async def busy_for_two(own, order_id, action, actor, **kwargs):
        if order_id in ids[:2]:
            raise Conflict("订单状态正在变化，请稍后重试", code="order_busy")
        return await transition(own, order_id, action, actor, **kwargs)

    monkeypatch.setattr(service, "_transition", busy_for_two)
    monkeypatch.setattr(service, "SWEEP_BATCH", 2)
    # when the sweep runs, it ends (a page full of orders that stay due used to be read again forever)
    cancelled = await asyncio.wait_for(service.cancel_expired_orders(session, clock.now()), 30)
    assert cancelled == 1
    assert await _statuses(db, ids) == ["pending_payment", "pending_payment", "cancelled"]


async def test_a_sweep_examines_a_bounded_number_of_orders_per_call(client, session, db, monkeypatch):
    _, ids, _ = await _overdue_orders(client, session, db, 5)
    monkeypatch.setattr(service, "SWEEP_BATCH", 2)
    monkeypatch.setattr(service, "SWEEP_MAX_ORDERS", 3)
    assert await service.cancel_expired_orders(session, clock.now()) == 3
    assert await _statuses(db, ids) == ["cancelled"] * 3 + ["pending_payment"] * 2
    assert await service.cancel_expired_orders(session, clock.now()) == 2
    assert await service.cancel_expired_orders(session, clock.now()) == 0


async def test_an_order_that_always_fails_is_skipped_by_the_complete_sweep(client, session, db, monkeypatch):
    # given three shipped orders past their auto-complete time, the second of which always fails
    staff = staff_headers(await make_staff(session))
    sku_id = await make_sku(session, price=100)
    ids = []
    for i in range(3):
        _, headers, address_id = await make_buyer(session)
        order = await create_order(client, headers, address_id, [(sku_id, 1)])
        order_id = await order_id_of(db, order["order_no"])
        await service.mark_paid(session, order_id, paid_amount=100, payment_ref=f"wx-done-{i}")
        shipped = await client.post(
            f"/api/admin/v1/orders/{order['order_no']}/ship", headers=staff,
            json={"carrier_code": "SF", "carrier_name": "顺丰速运", "tracking_no": f"SF00000000{i}"},
        )
        assert shipped.status_code == 200
        ids.append(order_id)
    clock.advance(timedelta(days=7, seconds=1))
    transition = service._transition

    async def broken_for_one(own, order_id, action, actor, **kwargs):
        result = await transition(own, order_id, action, actor, **kwargs)
        if order_id == ids[1]:
            raise ValueError("timeline full")  # after the UPDATE: the rollback must undo it
        return result

    monkeypatch.setattr(service, "_transition", broken_for_one)
    monkeypatch.setattr(service, "SWEEP_BATCH", 1)
    with capture_logs() as logs:
        completed = await asyncio.wait_for(service.complete_due_orders(session, clock.now()), 30)
    assert completed == 2
    assert await _statuses(db, ids) == ["completed", "shipped", "completed"]
    failures = [(e["sweep"], e["order_id"]) for e in logs if e["event"] == "order_sweep_failed"]
    assert failures == [("complete_due", ids[1])]

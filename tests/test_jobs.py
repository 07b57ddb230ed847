"""Jobs on huey: the backends, timer jobs enqueued after commit and executed, the periodic sweep, and an
in-process consumer that really runs them on its own threads."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from huey import MemoryHuey, RedisHuey, SqliteHuey
from structlog.testing import capture_logs

from qingmall import jobs
from qingmall.core import clock
from qingmall.inventory import service as inventory
from qingmall.orders import service
from qingmall.orders.models import Order
from qingmall.settings import Settings
from tests.factories import make_staff, staff_headers
from tests.orders.orders_testkit import create_order, make_buyer, make_sku, movements, order_id_of, stock_of


@pytest.fixture
def huey():
    queue = jobs.get_huey()
    queue.flush()
    yield queue
    queue.flush()


async def _status(db, order_id: int) -> str:
    async with db.sessionmaker() as check:
        return (await check.get(Order, order_id)).status


def test_backends_are_chosen_from_settings(tmp_path):
    sqlite = jobs._build(Settings(jobs_backend="sqlite", data_dir=tmp_path))
    assert isinstance(sqlite, SqliteHuey)
    assert sqlite.storage.filename == str(tmp_path / "jobs.db")
    memory = jobs._build(Settings(jobs_backend="memory"))
    assert isinstance(memory, MemoryHuey) and memory.immediate is False
    assert jobs._build(Settings(jobs_backend="immediate")).immediate is True
    assert isinstance(jobs._build(Settings(jobs_backend="redis", redis_url="redis://127.0.0.1:6379/15")), RedisHuey)
    with pytest.raises(RuntimeError):
        jobs._build(Settings(jobs_backend="redis", redis_url=""))
    with pytest.raises(RuntimeError):
        jobs._build(Settings(jobs_backend="carrier-pigeon"))


def test_tasks_are_registered_with_a_minute_sweep(huey):
    assert {jobs.task(name).name for name in ("cancel_unpaid_order", "complete_shipped_order", "sweep_orders")} == {
        "cancel_unpaid_order", "complete_shipped_order", "sweep_orders",
    }
    every_minute = [datetime(2026, 1, 1, 10, minute) for minute in (0, 1, 37, 59)]
    assert all(
        sorted(t.name for t in huey.read_periodic(moment)) == ["sweep_orders", "sweep_product_imports", "sweep_refunds"]
        for moment in every_minute
    )
    nightly = sorted(t.name for t in huey.read_periodic(datetime(2026, 1, 1, 3, 17)))
    assert nightly == ["purge_login_records", "sweep_orders", "sweep_product_imports", "sweep_refunds"]
    reconciliation = sorted(t.name for t in huey.read_periodic(datetime(2026, 1, 1, 18, 30)))  # 02:30 Beijing
    assert reconciliation == ["reconcile_payments", "sweep_orders", "sweep_product_imports", "sweep_refunds"]


@pytest.mark.skipif(not os.environ.get("QINGMALL_TEST_REDIS_URL"), reason="QINGMALL_TEST_REDIS_URL not set")
def test_redis_backend_round_trips_a_scheduled_job():
    settings = Settings(jobs_backend="redis", redis_url=os.environ["QINGMALL_TEST_REDIS_URL"])
    queue = jobs._build(settings)
    queue.name = f"qingmall-test-{uuid.uuid4().hex[:8]}"
    queue.storage = queue.create_storage()
    tasks = jobs._register(queue, settings)
    try:
        eta = datetime.now(UTC) + timedelta(minutes=30)
        tasks["cancel_unpaid_order"].schedule(args=(42,), eta=eta)
        [task] = queue.pending()
        assert (task.name, task.args) == ("cancel_unpaid_order", (42,))
    finally:
        queue.flush()


async def test_unpaid_timer_job_is_enqueued_at_commit_and_cancels_when_run(client, session, db, huey):
    # given an order: its timer waits in the queue for the pay deadline
    sku_id = await make_sku(session, stock=5)
    _, headers, address_id = await make_buyer(session)
    order = await create_order(client, headers, address_id, [(sku_id, 2)])
    order_id = await order_id_of(db, order["order_no"])
    [queued] = huey.pending()
    assert (queued.name, queued.args) == ("cancel_unpaid_order", (order_id,))
    # when the job runs early (clocks disagree), it changes nothing
    task = huey.dequeue()
    await asyncio.to_thread(huey.execute, task, task.eta)
    assert await _status(db, order_id) == "pending_payment"
    # when it runs after 30 minutes, the order is cancelled and the stock is back
    clock.advance(timedelta(minutes=30, seconds=1))
    await asyncio.to_thread(huey.execute, task, task.eta)
    assert await _status(db, order_id) == "cancelled"
    assert await stock_of(db, sku_id) == 5
    # and running it again (a retried job) releases nothing more
    await asyncio.to_thread(huey.execute, task, task.eta)
    assert await movements(db, sku_id, "order_released") == 1


async def test_auto_complete_job_is_enqueued_at_shipping_and_completes_after_7_days(client, session, db, huey):
    sku_id = await make_sku(session, price=500)
    _, headers, address_id = await make_buyer(session)
    staff = staff_headers(await make_staff(session))
    order = await create_order(client, headers, address_id, [(sku_id, 1)])
    order_id = await order_id_of(db, order["order_no"])
    await service.mark_paid(session, order_id, paid_amount=500, payment_ref="wx-500")
    huey.flush()
    shipped = await client.post(
        f"/api/admin/v1/orders/{order['order_no']}/ship", headers=staff,
        json={"carrier_code": "ZTO", "carrier_name": "中通快递", "tracking_no": "ZT123456789"},
    )
    assert shipped.status_code == 200
    task = huey.dequeue()
    assert (task.name, task.args) == ("complete_shipped_order", (order_id,))
    assert timedelta(days=6, hours=23) < task.eta - datetime.now(UTC).replace(tzinfo=None) <= timedelta(days=7)
    clock.advance(timedelta(days=7, seconds=1))
    await asyncio.to_thread(huey.execute, task, task.eta)
    assert await _status(db, order_id) == "completed"


async def test_periodic_sweep_task_repairs_lost_timers(client, session, db, huey):
    # given an unpaid order whose timer job was lost
    sku_id = await make_sku(session, stock=3)
    _, headers, address_id = await make_buyer(session)
    order = await create_order(client, headers, address_id, [(sku_id, 3)])
    order_id = await order_id_of(db, order["order_no"])
    huey.flush()
    # when the minute sweep runs past the deadline
    clock.advance(timedelta(minutes=31))
    [sweep] = [t for t in huey.read_periodic(datetime(2026, 1, 1, 0, 0)) if t.name == "sweep_orders"]
    await asyncio.to_thread(huey.execute, sweep)
    # then the order is cancelled, and a second sweep finds nothing left to do
    assert await _status(db, order_id) == "cancelled"
    assert await asyncio.to_thread(jobs.sweep_orders) == (0, 0)
    assert await stock_of(db, sku_id) == 3
    assert await movements(db, sku_id, "order_released") == 1


async def test_inprocess_consumer_runs_due_jobs_on_its_threads(client, session, db, huey):
    sku_id = await make_sku(session, stock=2)
    _, headers, address_id = await make_buyer(session)
    order = await create_order(client, headers, address_id, [(sku_id, 2)])
    order_id = await order_id_of(db, order["order_no"])
    huey.flush()
    clock.advance(timedelta(minutes=31))
    jobs.schedule_order_timeout(order_id, datetime.now(UTC))
    jobs.start_inprocess()
    try:
        for _ in range(100):
            if await _status(db, order_id) == "cancelled":
                break
            await asyncio.sleep(0.1)
    finally:
        await asyncio.to_thread(jobs.stop_inprocess)
    assert await _status(db, order_id) == "cancelled"
    assert await stock_of(db, sku_id) == 2
    assert await movements(db, sku_id, "order_released") == 1


async def test_immediate_backend_runs_the_timer_inline_without_failing_the_request(client, session, db, settings,
                                                                                   monkeypatch):
    monkeypatch.setattr(settings, "jobs_backend", "immediate")
    monkeypatch.setattr(settings, "order_unpaid_timeout_minutes", 0)
    jobs.reset()
    try:
        sku_id = await make_sku(session, stock=2)
        _, headers, address_id = await make_buyer(session)
        order = await create_order(client, headers, address_id, [(sku_id, 1)])
    finally:
        jobs.reset()
    # the deadline was "now", so the inline timer cancelled it right after the commit
    assert await _status(db, await order_id_of(db, order["order_no"])) == "cancelled"
    assert await stock_of(db, sku_id) == 2


async def test_a_failing_order_never_stalls_the_sweep_job_or_its_timer(client, session, db, huey, monkeypatch):
    # given two overdue unpaid orders whose timers are queued, the first of which always fails to cancel
    sku_id = await make_sku(session, stock=4)
    orders = []
    for _ in range(2):
        _, headers, address_id = await make_buyer(session)
        orders.append(await create_order(client, headers, address_id, [(sku_id, 2)]))
    poison, healthy = [await order_id_of(db, o["order_no"]) for o in orders]
    timers = {task.args[0]: task for task in huey.pending()}
    huey.flush()
    release = inventory.release_stock

    async def broken_for_one(own, lines, *, ref_type, ref_id):
        if ref_id == orders[0]["order_no"]:
            raise RuntimeError("ledger unavailable")
        await release(own, lines, ref_type=ref_type, ref_id=ref_id)

    monkeypatch.setattr(inventory, "release_stock", broken_for_one)
    clock.advance(timedelta(minutes=31))
    # when the failing order's timer job runs, it logs and reports False instead of raising
    with capture_logs() as logs:
        assert await asyncio.to_thread(jobs.cancel_unpaid_order, poison) is False
    assert [(e["task"], e["order_id"]) for e in logs if e["event"] == "job_failed"] == [("cancel_unpaid_order", poison)]
    # and the minute sweep, run by huey, cancels the healthy order and passes over the failing one
    [sweep] = [t for t in huey.read_periodic(datetime(2026, 1, 1, 0, 0)) if t.name == "sweep_orders"]
    with capture_logs() as logs:
        await asyncio.to_thread(huey.execute, sweep)
    assert (await _status(db, poison), await _status(db, healthy)) == ("pending_payment", "cancelled")
    assert [e["order_id"] for e in logs if e["event"] == "order_sweep_failed"] == [poison]
    assert await stock_of(db, sku_id) == 2
    # once the fault is gone, its own timer job cancels it
    monkeypatch.setattr(inventory, "release_stock", release)
    await asyncio.to_thread(huey.execute, timers[poison], timers[poison].eta)
    assert await _status(db, poison) == "cancelled"
    assert await stock_of(db, sku_id) == 4


async def test_the_complete_half_of_the_sweep_runs_even_when_the_cancel_half_fails(client, session, db, monkeypatch):
    sku_id = await make_sku(session, price=300)
    _, headers, address_id = await make_buyer(session)
    staff = staff_headers(await make_staff(session))
    order = await create_order(client, headers, address_id, [(sku_id, 1)])
    order_id = await order_id_of(db, order["order_no"])
    await service.mark_paid(session, order_id, paid_amount=300, payment_ref="wx-300")
    await client.post(
        f"/api/admin/v1/orders/{order['order_no']}/ship", headers=staff,
        json={"carrier_code": "STO", "carrier_name": "申通快递", "tracking_no": "ST123456789"},
    )
    clock.advance(timedelta(days=7, seconds=1))

    async def broken(own, now=None):
        raise ConnectionError("replica lag")

    monkeypatch.setattr(service, "cancel_expired_orders", broken)
    with capture_logs() as logs:
        assert await asyncio.to_thread(jobs.sweep_orders) == (0, 1)
    assert [e["task"] for e in logs if e["event"] == "job_failed"] == ["sweep_orders.cancel"]
    assert await _status(db, order_id) == "completed"

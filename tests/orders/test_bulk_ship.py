"""Bulk shipping (批量发货): every row goes through the single-ship rule on its own, a refused row never blocks
the rows after it, each shipped order is audited like a single ship, and a bulk row racing a single ship
for the same order ships it exactly once."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from qingmall.core.errors import Conflict
from qingmall.orders import service, shipments
from qingmall.orders.models import Order, OrderEvent
from qingmall.orders.schemas import BulkShip, OrderShip
from qingmall.staff.models import AuditLog
from tests.factories import make_staff, staff_headers
from tests.orders.orders_testkit import create_order, make_buyer, make_sku, order_id_of

URL = "/api/admin/v1/orders/bulk-ship"


def waybill(tracking_no: str, carrier: tuple[str, str] = ("SF", "顺丰速运")) -> dict:
    return {"carrier_code": carrier[0], "carrier_name": carrier[1], "tracking_no": tracking_no}


def row(order_no: str, tracking_no: str, carrier: tuple[str, str] = ("SF", "顺丰速运")) -> dict:
    return {"order_no": order_no, **waybill(tracking_no, carrier)}


async def _orders(client, session, db, count: int, *, paid: int) -> list[str]:
    """``count`` orders of one shopper, oldest first; the first ``paid`` of them paid."""
    sku_id = await make_sku(session, price=1000, stock=50)
    _, headers, address_id = await make_buyer(session)
    numbers = [(await create_order(client, headers, address_id, [(sku_id, 1)]))["order_no"] for _ in range(count)]
    for order_no in numbers[:paid]:
        order_id = await order_id_of(db, order_no)
        await service.mark_paid(session, order_id, paid_amount=1000, payment_ref=f"pay-{order_no}")
    return numbers


async def test_each_row_is_shipped_or_refused_on_its_own(client, session, db):
    # given four paid orders (one already shipped with SF1000000002) and an unpaid one
    a, b, c, d, unpaid = await _orders(client, session, db, 5, paid=4)
    warehouse = await make_staff(session, role="warehouse")
    headers = {**staff_headers(warehouse), "X-Request-ID": "bulk-req-1"}
    first = await client.post(f"/api/admin/v1/orders/{b}/ship", headers=headers, json=waybill("SF1000000002"))
    assert first.status_code == 200
    # when the warehouse uploads a sheet with good rows around bad ones
    response = await client.post(
        URL,
        headers=headers,
        json={
            "rows": [
                row(a, "SF1000000001"),
                row(b, "SF1000000002"),  # the same waybill again: fine, nothing changes
                row(c, "YT9"),  # too short
                row(unpaid, "SF1000000004"),
                row("20990101000000000001", "SF1000000005"),
                row("12-34", "SF1000000006"),
                row(b, "ZT1000000007", ("ZTO", "中通快递")),  # another waybill for a shipped order
                row(d, "ZT1000000008", ("ZTO", "中通快递")),
                row(c, "YT1000000003", ("YTO", "圆通速递")),
            ]
        },
    )
    # then every row has its own answer, in order
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(r["row"], r["order_no"], r["status"], r["code"]) for r in body["results"]] == [
        (1, a, "shipped", ""),
        (2, b, "already", ""),
        (3, c, "refused", "invalid_waybill"),
        (4, unpaid, "refused", "invalid_order_state"),
        (5, "20990101000000000001", "refused", "order_not_found"),
        (6, "12-34", "refused", "invalid_order_no"),
        (7, b, "refused", "already_shipped"),
        (8, d, "shipped", ""),
        (9, c, "shipped", ""),
    ]
    messages = [r["message"] for r in body["results"]]
    assert messages[2] == "运单号为 4–40 位字母、数字或短横线"
    assert messages[3] == "订单未付款，不能发货"
    assert messages[4] == "订单不存在"
    assert messages[6] == "订单已发货（运单号 SF1000000002）"
    assert (body["shipped"], body["already"], body["refused"]) == (3, 1, 5)
    # and the database says the same: refused rows changed nothing, later rows went through
    async with db.sessionmaker() as check:
        rows = (await check.execute(select(Order.order_no, Order.status, Order.carrier_code, Order.tracking_no))).all()
        state = {r.order_no: (r.status, r.carrier_code, r.tracking_no) for r in rows}
        assert state == {
            a: ("shipped", "SF", "SF1000000001"),
            b: ("shipped", "SF", "SF1000000002"),
            c: ("shipped", "YTO", "YT1000000003"),
            d: ("shipped", "ZTO", "ZT1000000008"),
            unpaid: ("pending_payment", "", ""),
        }
        ships = (
            await check.execute(
                select(Order.order_no, OrderEvent.actor_type, OrderEvent.actor_id, OrderEvent.note)
                .join(Order, Order.id == OrderEvent.order_id)
                .where(OrderEvent.to_status == "shipped")
                .order_by(OrderEvent.id)
            )
        ).all()
        assert [tuple(s) for s in ships] == [
            (b, "staff", warehouse.id, "顺丰速运 SF1000000002"),
            (a, "staff", warehouse.id, "顺丰速运 SF1000000001"),
            (d, "staff", warehouse.id, "中通快递 ZT1000000008"),
            (c, "staff", warehouse.id, "圆通速递 YT1000000003"),
        ]


async def test_each_shipped_row_is_audited_like_a_single_ship(client, session, db):
    a, b, c = await _orders(client, session, db, 3, paid=2)
    owner = await make_staff(session, role="owner")
    headers = {**staff_headers(owner), "X-Request-ID": "bulk-req-2", "User-Agent": "console/1.0"}
    await client.post(f"/api/admin/v1/orders/{a}/ship", headers=headers, json=waybill("SF2000000001"))
    response = await client.post(
        URL,
        headers=headers,
        json={
            "rows": [
                row(a, "SF2000000001"),
                row(c, "SF2000000003"),
                row(b, "SF2000000002"),
            ]
        },
    )
    assert [r["status"] for r in response.json()["results"]] == ["already", "refused", "shipped"]
    async with db.sessionmaker() as check:
        logs = list((await check.scalars(select(AuditLog).order_by(AuditLog.id))).all())
    ship_route = "/api/admin/v1/orders/{order_no}/ship"
    # the single ship, then one entry for the order the bulk request shipped, then the bulk request itself
    assert [(log.action, log.target_id, log.status_code) for log in logs] == [
        (f"POST {ship_route}", a, 200),
        (f"POST {ship_route}", b, 200),
        ("POST /api/admin/v1/orders/bulk-ship", "", 200),
    ]
    single, shipped, bulk = logs
    assert (shipped.staff_id, shipped.username, shipped.role) == (owner.id, owner.username, "owner")
    assert (shipped.method, shipped.path, shipped.route) == ("POST", f"/api/admin/v1/orders/{b}/ship", ship_route)
    assert (shipped.request_id, shipped.user_agent, shipped.ip) == ("bulk-req-2", "console/1.0", "127.0.0.1")
    assert shipped.body_summary == {
        "carrier_code": "SF",
        "carrier_name": "顺丰速运",
        "tracking_no": "SF2000000002",
        "bulk_ship_row": 3,
    }
    assert single.body_summary == {"carrier_code": "SF", "carrier_name": "顺丰速运", "tracking_no": "SF2000000001"}
    assert bulk.request_id == "bulk-req-2"
    assert len(bulk.body_summary["rows"]) == 3


async def test_bulk_ship_needs_orders_ship_and_a_bounded_sheet(client, session, db):
    [order_no] = await _orders(client, session, db, 1, paid=1)
    service_staff = staff_headers(await make_staff(session, role="customer_service"))
    forbidden = await client.post(URL, headers=service_staff, json={"rows": [row(order_no, "SF3000000001")]})
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "permission_denied")
    warehouse = staff_headers(await make_staff(session, role="warehouse"))
    assert (await client.post(URL, headers=warehouse, json={"rows": []})).status_code == 422
    too_many = [row(order_no, f"SF{n:010d}") for n in range(201)]
    assert (await client.post(URL, headers=warehouse, json={"rows": too_many})).status_code == 422
    unknown_field = {"rows": [{**row(order_no, "SF3000000001"), "note": "x"}]}
    assert (await client.post(URL, headers=warehouse, json=unknown_field)).status_code == 422
    assert (await client.post(URL, json={"rows": [row(order_no, "SF3000000001")]})).status_code == 401
    async with db.sessionmaker() as check:
        assert await check.scalar(select(Order.status).where(Order.order_no == order_no)) == "paid"


async def test_a_bulk_row_racing_a_single_ship_ships_the_order_once(client, session, db):
    # given a paid order, shipped at the same moment by a bulk sheet (ZTO) and the detail page (SF)
    orders = await _orders(client, session, db, 3, paid=3)
    contested = orders[1]
    staff_id = (await make_staff(session, role="warehouse")).id
    contested_id = await order_id_of(db, contested)
    sheet = BulkShip.model_validate(
        {
            "rows": [
                row(orders[0], "ZT4000000001", ("ZTO", "中通快递")),
                row(contested, "ZT4000000002", ("ZTO", "中通快递")),
                row(orders[2], "ZT4000000003", ("ZTO", "中通快递")),
            ]
        }
    )

    async def bulk() -> list[str]:
        async with db.sessionmaker() as own:
            result = await shipments.ship_orders(own, staff_id, sheet)
            return [r.code or r.status for r in result.results]

    async def single() -> str:
        async with db.sessionmaker() as own:
            waybill = OrderShip(carrier_code="SF", carrier_name="顺丰速运", tracking_no="SF4000000002")
            try:
                await service.ship_order(own, contested_id, staff_id=staff_id, data=waybill)
            except Conflict as exc:
                return exc.code
            return "shipped"

    bulk_outcome, single_outcome = await asyncio.gather(bulk(), single())
    # then exactly one of them shipped it, the other was told it is already shipped with another waybill
    assert bulk_outcome[0] == bulk_outcome[2] == "shipped"
    assert sorted([bulk_outcome[1], single_outcome]) == ["already_shipped", "shipped"]
    async with db.sessionmaker() as check:
        tracking = await check.scalar(select(Order.tracking_no).where(Order.id == contested_id))
        event_count = len(
            (
                await check.scalars(
                    select(OrderEvent.id).where(OrderEvent.order_id == contested_id, OrderEvent.to_status == "shipped")
                )
            ).all()
        )
    assert event_count == 1
    assert tracking == ("ZT4000000002" if bulk_outcome[1] == "shipped" else "SF4000000002")

"""Builders shared by the payments tests: a pending order over HTTP, paying it in the WeChat Pay sandbox."""

from __future__ import annotations

from sqlalchemy import select

from qingmall.orders.models import Order
from tests.orders.orders_testkit import create_order, make_buyer, make_sku

NOTIFY = "/api/v1/payments/wechat/notify"
REFUND_NOTIFY = "/api/v1/payments/wechat/refund-notify"


async def pending_order(session, client, *, price: int = 2990, quantity: int = 1, buyer=None) -> tuple[dict, dict]:
    """A pending order of a new buyer (or ``buyer`` = (shopper, headers, address_id)); returns (order, headers)."""
    sku_id = await make_sku(session, price=price)
    _shopper, headers, address_id = buyer or await make_buyer(session)
    await session.rollback()
    order = await create_order(client, headers, address_id, [(sku_id, quantity)])
    return order, headers


async def prepay(client, order: dict, headers: dict) -> dict:
    response = await client.post(f"/api/v1/orders/{order['order_no']}/pay/wechat", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def deliver(client, notification, path: str = NOTIFY):
    return await client.post(path, content=notification.body, headers=notification.headers)


async def pay_in_sandbox(client, sandbox, out_trade_no: str):
    """The payer pays at WeChat Pay and the notification reaches the app; returns the sandbox order."""
    paid = sandbox.pay(out_trade_no)
    response = await deliver(client, sandbox.build_notification(out_trade_no))
    assert response.status_code == 204, response.text
    return paid


async def order_row(db, order_no: str) -> Order:
    async with db.sessionmaker() as s:
        return (await s.execute(select(Order).where(Order.order_no == order_no))).scalar_one()


async def rows(db, model, *where) -> list:
    async with db.sessionmaker() as s:
        return list(await s.scalars(select(model).where(*where).order_by(model.id)))

"""Builders for the after-sales tests: a paid order (by balance, optionally with shipping and a discount),
shipping and completing it over HTTP, filing an after-sale, and reading rows afresh."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from qingmall.aftersales.models import AfterSale
from qingmall.catalog.models import Sku, Spu
from qingmall.checkout import adjustments
from qingmall.checkout.pricing import Discount
from qingmall.core.db import Database
from qingmall.orders.models import Order, OrderLine
from qingmall.shipping.models import ShippingTemplate
from qingmall.shoppers.models import Shopper
from qingmall.wallet import service as wallet_service
from qingmall.wallet.models import BalanceAccount
from tests.factories import make_staff, shopper_headers, staff_headers
from tests.orders.orders_testkit import create_order, make_buyer, make_sku

SHIP = {"carrier_code": "SF", "carrier_name": "顺丰速运", "tracking_no": "SF1234567890"}
RETURN = {"carrier_code": "YTO", "carrier_name": "圆通速递", "tracking_no": "YT9876543210"}
_keys = itertools.count(1)
_funds = itertools.count(1)


def key() -> str:
    return f"as-key-{next(_keys):06d}"


class FixedDiscount:
    """A promotion of ``amount`` fen on every order (spread over lines by checkout's largest remainder)."""

    type = "promotion"

    def __init__(self, amount: int) -> None:
        self.amount = amount

    async def propose(self, session, context):
        return [Discount("promotion", "测试立减", self.amount)]

    async def redeem(self, session, *, shopper_id, order_id, discount):
        return None


def use_discount(monkeypatch: pytest.MonkeyPatch, amount: int) -> None:
    monkeypatch.setattr(adjustments, "_ADJUSTERS", [FixedDiscount(amount)])


async def flat_shipping(session, fee: int) -> int:
    """A per-order shipping template: ``fee`` fen for the first piece, nothing for more."""
    template = ShippingTemplate(
        name="固定运费",
        charge_by="piece",
        default_rule={"first_units": 1, "first_fee": fee, "additional_units": 1, "additional_fee": 0},
        region_rules=[],
        free_rules=[],
        unshippable_regions=[],
        is_default=False,
    )
    session.add(template)
    await session.commit()
    template_id = template.id
    await session.rollback()
    return template_id


@dataclass
class PaidOrder:
    shopper: Shopper
    headers: dict[str, str]
    order_no: str
    order_id: int
    sku_ids: list[int]
    lines: list[dict[str, Any]]  # the order's lines as the shopper's order detail shows them
    detail: dict[str, Any]

    @property
    def shopper_id(self) -> int:
        return self.shopper.id

    def line_id(self, index: int = 0) -> int:
        return self.lines[index]["id"]

    def refresh_token(self) -> None:
        """New headers after the test clock moved past the old token's lifetime."""
        self.headers = shopper_headers(self.shopper)


async def fund(db: Database, shopper_id: int, amount: int) -> None:
    async with db.sessionmaker() as s:
        await wallet_service.credit(
            s, shopper_id, amount, reason="refund", ref_type="refund", ref_id=f"seed-{next(_funds)}"
        )
        await s.commit()


async def paid_order(
    client: httpx.AsyncClient,
    session,
    db: Database,
    items: list[tuple[int, int]],
    *,
    stock: int = 10,
    shipping_fee: int = 0,
) -> PaidOrder:
    """Products priced ``items[i][0]`` fen, an order of ``items[i][1]`` of each, paid from the balance."""
    template_id = await flat_shipping(session, shipping_fee) if shipping_fee else None
    spu_fields = {"shipping_template_id": template_id} if template_id else {}
    sku_ids = [await make_sku(session, price=price, stock=stock, spu_fields=dict(spu_fields)) for price, _ in items]
    shopper, headers, address_id = await make_buyer(session)
    order = await create_order(
        client, headers, address_id, [(sku, qty) for sku, (_, qty) in zip(sku_ids, items, strict=True)]
    )
    await fund(db, shopper.id, order["payable_amount"])
    paid = await client.post(f"/api/v1/orders/{order['order_no']}/pay/balance", headers=headers)
    assert paid.status_code == 200, paid.text
    assert paid.json()["order"]["status"] == "paid"
    async with db.sessionmaker() as s:
        order_id = await s.scalar(select(Order.id).where(Order.order_no == order["order_no"]))
    return PaidOrder(shopper, headers, order["order_no"], order_id, sku_ids, order["lines"], order)


async def owner(session) -> dict[str, str]:
    return staff_headers(await make_staff(session, role="owner"))


async def ship(client, staff: dict, order_no: str) -> dict:
    response = await client.post(f"/api/admin/v1/orders/{order_no}/ship", headers=staff, json=SHIP)
    assert response.status_code == 200, response.text
    return response.json()["order"]


async def complete(client, order: PaidOrder) -> dict:
    response = await client.post(f"/api/v1/orders/{order.order_no}/confirm-receipt", headers=order.headers)
    assert response.status_code == 200, response.text
    return response.json()["order"]


def request_body(kind: str, lines: list[tuple[int, int]], **fields: Any) -> dict[str, Any]:
    body = {
        "kind": kind,
        "lines": [{"order_line_id": line_id, "quantity": quantity} for line_id, quantity in lines],
        "reason_code": "quality_issue" if kind == "return_refund" else "no_longer_needed",
        "description": "",
        "photos": [],
        "idempotency_key": key(),
    }
    body.update(fields)
    return body


async def file(
    client, order: PaidOrder, kind: str, lines: list[tuple[int, int]], *, expect: int = 201, **fields
) -> dict:
    response = await client.post(
        f"/api/v1/orders/{order.order_no}/after-sales", headers=order.headers, json=request_body(kind, lines, **fields)
    )
    assert response.status_code == expect, response.text
    return response.json()


async def admin(client, staff: dict, after_sale_no: str, action: str, body: dict | None = None, *, expect: int = 200):
    response = await client.post(f"/api/admin/v1/after-sales/{after_sale_no}/{action}", headers=staff, json=body)
    assert response.status_code == expect, response.text
    return response.json()


async def order_row(db: Database, order_id: int) -> Order:
    async with db.sessionmaker() as s:
        return (await s.execute(select(Order).where(Order.id == order_id))).scalar_one()


async def refunded_quantities(db: Database, order_id: int) -> list[int]:
    async with db.sessionmaker() as s:
        return list(
            (
                await s.scalars(
                    select(OrderLine.refunded_quantity).where(OrderLine.order_id == order_id).order_by(OrderLine.id)
                )
            ).all()
        )


async def balance(db: Database, shopper_id: int) -> int:
    async with db.sessionmaker() as s:
        return await s.scalar(select(BalanceAccount.balance).where(BalanceAccount.shopper_id == shopper_id)) or 0


async def sales(db: Database, sku_id: int) -> tuple[int, int, int]:
    """``(stock, sku sales_count, spu sales_count)``."""
    async with db.sessionmaker() as s:
        row = (
            await s.execute(
                select(Sku.stock, Sku.sales_count, Spu.sales_count)
                .join(Spu, Spu.id == Sku.spu_id)
                .where(Sku.id == sku_id)
            )
        ).one()
        return tuple(row)


async def after_sale_row(db: Database, after_sale_no: str) -> AfterSale:
    async with db.sessionmaker() as s:
        return (await s.execute(select(AfterSale).where(AfterSale.after_sale_no == after_sale_no))).scalar_one()


def png_bytes(size=(64, 48), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


async def upload_photo(client, headers, colour=(200, 30, 30)) -> dict:
    response = await client.post(
        "/api/v1/uploads/images", headers=headers, files={"file": ("p.png", png_bytes(colour=colour), "image/png")}
    )
    assert response.status_code == 201, response.text
    return response.json()

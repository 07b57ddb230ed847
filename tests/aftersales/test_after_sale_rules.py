"""Who may file what, when; reject and withdraw put the order back; one open after-sale per order even under
a race; a refunding order cannot be shipped; bad input is a 4xx with {code, message}."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from qingmall.aftersales.models import AfterSale
from qingmall.core import clock
from tests.aftersales.aftersales_testkit import (
    RETURN,
    SHIP,
    admin,
    after_sale_row,
    balance,
    complete,
    file,
    order_row,
    owner,
    paid_order,
    refunded_quantities,
    request_body,
    ship,
    upload_photo,
)
from tests.factories import make_staff, staff_headers
from tests.orders.orders_testkit import create_order, make_buyer, make_sku


async def test_reject_puts_the_order_back_and_the_shopper_may_file_again(client, session, db):
    # given a shipped order with a return request
    order = await paid_order(client, session, db, [(1000, 2)])
    staff = await owner(session)
    shipped = await ship(client, staff, order.order_no)
    first = await file(client, order, "return_refund", [(order.line_id(), 1)])
    # while it is open, shipping again, confirming and cancelling are all refused
    detail = (await client.get(f"/api/v1/orders/{order.order_no}", headers=order.headers)).json()
    assert (detail["status"], detail["status_label"]) == ("refunding", "售后中")
    # when the merchant rejects it, saying why
    rejected = await admin(client, staff, first["after_sale_no"], "reject", {"reason": "商品已拆封使用，不支持退货"})
    # then the after-sale is closed with the reason and the order is shipped again, its clock running
    body = rejected["after_sale"]
    assert (body["status"], body["status_label"], body["reject_reason"]) == (
        "rejected",
        "商家已拒绝",
        "商品已拆封使用，不支持退货",
    )
    assert [e["event"] for e in body["timeline"]] == ["submitted", "rejected"]
    row = await order_row(db, order.order_id)
    assert row.status == "shipped"
    assert row.auto_complete_at >= datetime.fromisoformat(shipped["auto_complete_at"])
    assert await refunded_quantities(db, order.order_id) == [0]
    # rejecting again is a no-op; approving a rejected one is refused
    again = await admin(client, staff, first["after_sale_no"], "reject", {"reason": "再次拒绝"})
    assert (again["already"], again["after_sale"]["reject_reason"]) == (True, "商品已拆封使用，不支持退货")
    late = await admin(client, staff, first["after_sale_no"], "approve", expect=409)
    assert (late["code"], late["message"]) == ("invalid_after_sale_state", "售后申请已被拒绝，不能同意")
    # and the shopper may file a new one
    second = await file(client, order, "return_refund", [(order.line_id(), 1)], reason_code="damaged")
    assert second["status"] == "pending_review"


async def test_reject_of_a_completed_order_puts_it_back_to_completed(client, session, db):
    order = await paid_order(client, session, db, [(1000, 1)])
    staff = await owner(session)
    await ship(client, staff, order.order_no)
    await complete(client, order)
    after_sale = await file(client, order, "refund_only", [(order.line_id(), 1)], reason_code="quality_issue")
    await admin(client, staff, after_sale["after_sale_no"], "reject", {"reason": "请提供照片"})
    assert (await order_row(db, order.order_id)).status == "completed"


async def test_withdraw_before_approval_lets_the_order_ship(client, session, db):
    order = await paid_order(client, session, db, [(1000, 2)])
    staff = await owner(session)
    after_sale = await file(client, order, "refund_only", [(order.line_id(), 2)])
    # while refunding the order cannot be shipped
    refused = await client.post(f"/api/admin/v1/orders/{order.order_no}/ship", headers=staff, json=SHIP)
    assert (refused.status_code, refused.json()["code"], refused.json()["message"]) == (
        409,
        "invalid_order_state",
        "订单正在退款，不能发货",
    )
    withdraw = f"/api/v1/after-sales/{after_sale['after_sale_no']}/withdraw"
    withdrawn = await client.post(withdraw, headers=order.headers)
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["already"], withdrawn.json()["after_sale"]["status"]) == (False, "withdrawn")
    assert withdrawn.json()["after_sale"]["can_withdraw"] is False
    again = await client.post(withdraw, headers=order.headers)
    assert again.json()["already"] is True
    assert (await order_row(db, order.order_id)).status == "paid"
    await ship(client, staff, order.order_no)
    # a withdrawn after-sale cannot be approved
    late = await admin(client, staff, after_sale["after_sale_no"], "approve", expect=409)
    assert late["message"] == "售后申请已撤销，不能同意"
    assert await balance(db, order.shopper_id) == 0


async def test_an_approved_return_may_be_withdrawn_until_it_is_shipped_back(client, session, db):
    order = await paid_order(client, session, db, [(1000, 1)])
    staff = await owner(session)
    await ship(client, staff, order.order_no)
    first = await file(client, order, "return_refund", [(order.line_id(), 1)])
    await admin(client, staff, first["after_sale_no"], "approve")
    withdrawn = await client.post(f"/api/v1/after-sales/{first['after_sale_no']}/withdraw", headers=order.headers)
    assert withdrawn.json()["after_sale"]["status"] == "withdrawn"
    assert (await order_row(db, order.order_id)).status == "shipped"
    second = await file(client, order, "return_refund", [(order.line_id(), 1)])
    await admin(client, staff, second["after_sale_no"], "approve")
    sent = f"/api/v1/after-sales/{second['after_sale_no']}/return-shipping"
    assert (await client.post(sent, headers=order.headers, json=RETURN)).status_code == 200
    # the same waybill again is a no-op, another one is refused, and withdrawing is too late
    assert (await client.post(sent, headers=order.headers, json=RETURN)).json()["already"] is True
    other = await client.post(sent, headers=order.headers, json={**RETURN, "tracking_no": "YT0000000001"})
    assert (other.status_code, other.json()["code"]) == (409, "return_already_shipped")
    late = await client.post(f"/api/v1/after-sales/{second['after_sale_no']}/withdraw", headers=order.headers)
    assert (late.status_code, late.json()["message"]) == (409, "退货已寄出，不能撤销售后申请")


async def test_after_sales_close_after_the_window(client, session, db, settings):
    # given an order completed now
    order = await paid_order(client, session, db, [(1000, 1)])
    staff = await owner(session)
    await ship(client, staff, order.order_no)
    await complete(client, order)
    days = getattr(settings, "after_sale_days", 7)
    # when the shopper asks just inside the window, it is accepted (and withdrawn again)
    clock.advance(timedelta(days=days) - timedelta(minutes=1))
    order.refresh_token()
    inside = await file(client, order, "return_refund", [(order.line_id(), 1)])
    await client.post(f"/api/v1/after-sales/{inside['after_sale_no']}/withdraw", headers=order.headers)
    # just past it, it is refused
    clock.advance(timedelta(minutes=2))
    order.refresh_token()
    late = await file(client, order, "return_refund", [(order.line_id(), 1)], expect=409)
    assert (late["code"], late["message"]) == ("after_sale_expired", f"订单确认收货已超过 {days} 天，不能再申请售后")


async def test_photos_must_be_this_shoppers_uploads(client, session, db):
    order = await paid_order(client, session, db, [(1000, 1)])
    staff = await owner(session)
    await ship(client, staff, order.order_no)
    other = await paid_order(client, session, db, [(500, 1)])
    theirs = await upload_photo(client, other.headers, colour=(1, 2, 3))
    mine = await upload_photo(client, order.headers, colour=(4, 5, 6))
    for url in (theirs["url"], "https://evil.example/x.png", "/media/images/../secret.png", mine["thumbnail_url"]):
        refused = await file(client, order, "return_refund", [(order.line_id(), 1)], photos=[url], expect=422)
        assert (refused["code"], refused["message"]) == ("invalid_photo_url", "凭证图片无效，请通过商城上传图片")
    assert (await order_row(db, order.order_id)).status == "shipped"
    accepted = await file(client, order, "return_refund", [(order.line_id(), 1)], photos=[mine["url"]])
    assert accepted["photos"] == [mine["url"]]


async def test_two_racing_requests_open_exactly_one_after_sale(client, session, db):
    # given a shipped order of 3 units
    order = await paid_order(client, session, db, [(1000, 3)])
    staff = await owner(session)
    await ship(client, staff, order.order_no)
    url = f"/api/v1/orders/{order.order_no}/after-sales"
    # when two different requests for 2 units each arrive at once
    first, second = await asyncio.gather(
        client.post(url, headers=order.headers, json=request_body("return_refund", [(order.line_id(), 2)])),
        client.post(url, headers=order.headers, json=request_body("refund_only", [(order.line_id(), 2)])),
    )
    # then exactly one opened, the other was told one is open
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    loser = first if first.status_code == 409 else second
    assert loser.json() == {"code": "after_sale_open", "message": "该订单有正在处理的售后，请等处理完成后再申请"}
    async with db.sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(AfterSale)) == 1
    # and the same request tapped twice at once answers one after-sale
    winner = first if first.status_code == 201 else second
    await client.post(f"/api/v1/after-sales/{winner.json()['after_sale_no']}/withdraw", headers=order.headers)
    body = request_body("return_refund", [(order.line_id(), 1)])
    tap, retap = await asyncio.gather(
        client.post(url, headers=order.headers, json=body), client.post(url, headers=order.headers, json=body)
    )
    assert sorted([tap.status_code, retap.status_code]) == [200, 201]
    assert tap.json()["after_sale_no"] == retap.json()["after_sale_no"]
    reused = await client.post(url, headers=order.headers, json={**body, "description": "不同的描述"})
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_key_reused")


async def test_two_racing_approvals_refund_once(client, session, db):
    order = await paid_order(client, session, db, [(1000, 2)])
    staff = await owner(session)
    after_sale = await file(client, order, "refund_only", [(order.line_id(), 2)])
    path = f"/api/admin/v1/after-sales/{after_sale['after_sale_no']}/approve"
    answers = await asyncio.gather(client.post(path, headers=staff, json={}), client.post(path, headers=staff, json={}))
    assert [a.status_code for a in answers] == [200, 200]
    assert sorted(a.json()["already"] for a in answers) == [False, True]
    assert await balance(db, order.shopper_id) == 2000
    assert await refunded_quantities(db, order.order_id) == [2]


async def test_quantities_beyond_what_is_left_are_refused(client, session, db):
    order = await paid_order(client, session, db, [(1000, 3)])
    staff = await owner(session)
    await ship(client, staff, order.order_no)
    first = await file(client, order, "refund_only", [(order.line_id(), 2)], reason_code="damaged")
    await admin(client, staff, first["after_sale_no"], "approve")
    too_many = await file(client, order, "refund_only", [(order.line_id(), 2)], expect=409)
    assert too_many == {
        "code": "quantity_exceeds_refundable",
        "message": "「测试商品」最多还能退 1 件",
        "details": {"order_line_id": order.line_id(), "refundable_quantity": 1},
    }
    assert await balance(db, order.shopper_id) == 2000


async def test_bad_requests_are_4xx_with_a_code_and_a_message(client, session, db):
    order = await paid_order(client, session, db, [(1000, 2), (500, 1)])
    line = order.line_id()
    other = await paid_order(client, session, db, [(100, 1)])
    cases = [
        ({"lines": [{"order_line_id": line, "quantity": 0}]}, 422, "invalid_input"),
        ({"lines": []}, 422, "invalid_input"),
        (
            {"lines": [{"order_line_id": line, "quantity": 1}, {"order_line_id": line, "quantity": 1}]},
            422,
            "invalid_input",
        ),
        ({"lines": [{"order_line_id": other.line_id(), "quantity": 1}]}, 422, "invalid_order_line"),
        ({"lines": [{"order_line_id": line, "quantity": 3}]}, 409, "quantity_exceeds_refundable"),
        ({"kind": "exchange"}, 422, "invalid_input"),
        ({"reason_code": "because"}, 422, "invalid_input"),
        ({"description": "长" * 201}, 422, "invalid_input"),
        ({"description": "bad\x00text"}, 422, "invalid_input"),
        ({"photos": ["/media/x.png"] * 7}, 422, "invalid_input"),
        ({"idempotency_key": "short"}, 422, "invalid_input"),
        ({"unknown": 1}, 422, "invalid_input"),
        ({"kind": "return_refund"}, 409, "return_not_allowed"),
        ({"kind": "return_refund", "reason_code": "not_received"}, 422, "invalid_reason"),
    ]
    for change, status, code in cases:
        body = {**request_body("refund_only", [(line, 1)]), **change}
        response = await client.post(f"/api/v1/orders/{order.order_no}/after-sales", headers=order.headers, json=body)
        assert (response.status_code, response.json()["code"]) == (status, code), (change, response.text)
        assert response.json()["message"]
    # another shopper's order and after-sales are not found; an unpaid order cannot have one
    foreign = await client.post(
        f"/api/v1/orders/{other.order_no}/after-sales",
        headers=order.headers,
        json=request_body("refund_only", [(other.line_id(), 1)]),
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
    sku_id = await make_sku(session)
    _, headers, address_id = await make_buyer(session)
    unpaid = await create_order(client, headers, address_id, [(sku_id, 1)])
    response = await client.post(
        f"/api/v1/orders/{unpaid['order_no']}/after-sales",
        headers=headers,
        json=request_body("refund_only", [(unpaid["lines"][0]["id"], 1)]),
    )
    assert response.json() == {
        "code": "invalid_order_state",
        "message": "订单未付款，不能申请售后",
        "details": {"status": "pending_payment", "action": "open_after_sale"},
    }
    mine = await file(client, order, "refund_only", [(line, 1)])
    peek = await client.get(f"/api/v1/after-sales/{mine['after_sale_no']}", headers=other.headers)
    assert (peek.status_code, peek.json()["code"]) == (404, "after_sale_not_found")
    steal = await client.post(f"/api/v1/after-sales/{mine['after_sale_no']}/withdraw", headers=other.headers)
    assert steal.status_code == 404
    assert (await client.get("/api/v1/after-sales/abc", headers=order.headers)).status_code == 422
    bad_cursor = await client.get("/api/v1/after-sales?cursor=zzz", headers=order.headers)
    assert (bad_cursor.status_code, bad_cursor.json()["code"]) == (422, "invalid_cursor")
    # return shipping for a refund only is refused
    sent = await client.post(
        f"/api/v1/after-sales/{mine['after_sale_no']}/return-shipping", headers=order.headers, json=RETURN
    )
    assert (sent.status_code, sent.json()["message"]) == (409, "仅退款无需寄回商品")
    received = await admin(client, await owner(session), mine["after_sale_no"], "confirm-received", expect=409)
    assert (received["code"], received["message"]) == ("invalid_after_sale_state", "仅退款没有退货，无需确认收货")
    unknown = await client.post("/api/admin/v1/after-sales/12345678/approve", headers=await owner(session), json={})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "after_sale_not_found")


@pytest.mark.parametrize(
    ("role", "allowed"), [("owner", True), ("operator", True), ("customer_service", True), ("warehouse", False)]
)
async def test_merchant_routes_need_the_after_sales_permission(client, session, db, role, allowed):
    order = await paid_order(client, session, db, [(1000, 1)])
    after_sale = await file(client, order, "refund_only", [(order.line_id(), 1)])
    headers = staff_headers(await make_staff(session, role=role))
    listed = await client.get("/api/admin/v1/after-sales", headers=headers)
    reject = await client.post(
        f"/api/admin/v1/after-sales/{after_sale['after_sale_no']}/reject", headers=headers, json={"reason": "不支持"}
    )
    if allowed:
        assert (listed.status_code, reject.status_code) == (200, 200)
    else:
        assert (listed.status_code, listed.json()["code"], reject.status_code) == (403, "permission_denied", 403)
    assert (await client.get("/api/admin/v1/after-sales")).status_code == 401


async def test_lists_are_newest_first_in_keyset_pages(client, session, db):
    staff = await owner(session)
    orders = [await paid_order(client, session, db, [(1000, 1)]) for _ in range(3)]
    filed = []
    for order in orders:
        filed.append(await file(client, order, "refund_only", [(order.line_id(), 1)]))
    await admin(client, staff, filed[0]["after_sale_no"], "approve")
    # the merchant pages through everything, two at a time
    first = (await client.get("/api/admin/v1/after-sales?limit=2", headers=staff)).json()
    second = (
        await client.get(f"/api/admin/v1/after-sales?limit=2&cursor={first['next_cursor']}", headers=staff)
    ).json()
    assert [a["after_sale_no"] for a in first["items"] + second["items"]] == [a["after_sale_no"] for a in filed[::-1]]
    assert second["next_cursor"] is None
    assert first["items"][0]["item_count"] == 1 and first["items"][0]["reason_label"] == "不想要了"
    # filters: still to handle, by status, by order
    open_ = (await client.get("/api/admin/v1/after-sales?status=pending_review", headers=staff)).json()
    assert [a["after_sale_no"] for a in open_["items"]] == [filed[2]["after_sale_no"], filed[1]["after_sale_no"]]
    done = (await client.get("/api/admin/v1/after-sales?status=refunded", headers=staff)).json()
    assert [a["after_sale_no"] for a in done["items"]] == [filed[0]["after_sale_no"]]
    by_order = (await client.get(f"/api/admin/v1/after-sales?order_no={orders[1].order_no}", headers=staff)).json()
    assert [a["after_sale_no"] for a in by_order["items"]] == [filed[1]["after_sale_no"]]
    typo = await client.get("/api/admin/v1/after-sales?stauts=open", headers=staff)
    assert typo.status_code == 422
    # a shopper sees only their own
    mine = (await client.get("/api/v1/after-sales", headers=orders[1].headers)).json()
    assert [a["after_sale_no"] for a in mine["items"]] == [filed[1]["after_sale_no"]]
    detail = (await client.get(f"/api/admin/v1/after-sales/{filed[0]['after_sale_no']}", headers=staff)).json()
    assert (detail["status"], detail["order_no"], detail["order_status_at_open"]) == (
        "refunded",
        orders[0].order_no,
        "paid",
    )
    assert [e["actor_id"] is not None for e in detail["timeline"]] == [True, True, False, False]


async def test_the_database_itself_refuses_a_second_open_after_sale(client, session, db):
    # given an order with an open after-sale
    order = await paid_order(client, session, db, [(1000, 2)])
    first = await file(client, order, "refund_only", [(order.line_id(), 1)])
    row = await after_sale_row(db, first["after_sale_no"])
    # when a second open row for the same order is written behind the service's back
    fields = {c.name: getattr(row, c.name) for c in AfterSale.__table__.columns if c.name != "id"}
    async with db.sessionmaker() as s:
        s.add(AfterSale(**{**fields, "after_sale_no": "99990000000000000001", "idempotency_key": "sneaky-key-1"}))
        with pytest.raises(IntegrityError):
            await s.commit()
    # but a closed one next to it is fine (history)
    async with db.sessionmaker() as s:
        s.add(
            AfterSale(
                **{
                    **fields,
                    "after_sale_no": "99990000000000000002",
                    "idempotency_key": "closed-key-1",
                    "status": "rejected",
                }
            )
        )
        await s.commit()

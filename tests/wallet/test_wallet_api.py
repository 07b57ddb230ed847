"""The wallet over HTTP: what a shopper sees of their balance, what staff see and may change, and bad input
answered with a 4xx ``{code, message}``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qingmall.staff.models import AuditLog
from qingmall.wallet import service
from tests.factories import make_shopper, make_staff, shopper_headers, staff_headers
from tests.wallet.wallet_helpers import balance_of, entries_of, fund, ledger_problems

ADMIN = "/api/admin/v1/shoppers"


async def _statement(session, db):
    """A shopper with a top-up of 100.00, an order paid for 30.00, 5.00 refunded and a staff adjustment."""
    shopper = await make_shopper(session)
    topup = await service.create_topup(session, shopper.id, 10000)
    await service.credit_topup(session, topup.id, amount=10000, payment_ref="wx-1")
    await service.debit(
        session, shopper.id, 3000, reason="order_payment", ref_type="order", ref_id="O1", note="订单 O1"
    )
    await service.credit(session, shopper.id, 500, reason="refund", ref_type="refund", ref_id="O1-1", note="少发一件")
    await session.commit()
    owner = await make_staff(session, role="owner")
    await service.adjust_balance(session, shopper.id, -100, "运费差价", owner.id)
    return shopper, topup


async def test_a_shopper_sees_their_balance_and_statement_newest_first(client, session, db):
    # given a shopper with four movements
    shopper, topup = await _statement(session, db)
    headers = shopper_headers(shopper)

    # when they open their wallet
    wallet = await client.get("/api/v1/wallet", headers=headers)
    first = await client.get("/api/v1/wallet/entries", headers=headers, params={"limit": 3})
    rest = await client.get(
        "/api/v1/wallet/entries", headers=headers, params={"limit": 3, "cursor": first.json()["next_cursor"]}
    )

    # then the balance is in fen and each line has its Chinese label, newest first, over two pages
    assert (wallet.status_code, wallet.json()) == (200, {"balance": 7400})
    lines = first.json()["items"] + rest.json()["items"]
    assert [(e["reason_label"], e["amount"], e["balance_after"], e["note"]) for e in lines] == [
        ("人工调整", -100, 7400, "运费差价"),
        ("退款", 500, 7500, "少发一件"),
        ("订单支付", -3000, 7000, "订单 O1"),
        ("充值", 10000, 10000, f"充值单 {topup.topup_no}"),
    ]
    assert lines[3]["ref_id"] == topup.topup_no
    assert "actor_id" not in lines[0]  # who in the shop booked it is for staff only
    assert rest.json()["next_cursor"] is None


async def test_a_shopper_without_an_account_has_zero_and_an_empty_statement(client, session):
    shopper = await make_shopper(session)
    headers = shopper_headers(shopper)
    assert (await client.get("/api/v1/wallet", headers=headers)).json() == {"balance": 0}
    assert (await client.get("/api/v1/wallet/entries", headers=headers)).json() == {"items": [], "next_cursor": None}


async def test_a_shopper_sees_their_own_topup_and_never_anothers(client, session):
    # given a paid top-up of one shopper and a created one of another
    mine = await make_shopper(session)
    theirs = await make_shopper(session)
    paid = await service.create_topup(session, mine.id, 5000)
    await service.credit_topup(session, paid.id, amount=5000, payment_ref="wx-9")
    await session.commit()
    foreign = await service.create_topup(session, theirs.id, 700)

    # when the first shopper looks both up
    own = await client.get(f"/api/v1/wallet/topups/{paid.topup_no}", headers=shopper_headers(mine))
    other = await client.get(f"/api/v1/wallet/topups/{foreign.topup_no}", headers=shopper_headers(mine))

    # then their own is shown paid, the other one does not exist for them
    body = own.json()
    assert (own.status_code, body["topup_no"], body["amount"], body["status"], body["status_label"]) == (
        200,
        paid.topup_no,
        5000,
        "paid",
        "已到账",
    )
    assert body["paid_at"] is not None
    assert (other.status_code, other.json()) == (404, {"code": "topup_not_found", "message": "充值单不存在"})
    created = await client.get(f"/api/v1/wallet/topups/{foreign.topup_no}", headers=shopper_headers(theirs))
    assert (created.json()["status"], created.json()["status_label"], created.json()["paid_at"]) == (
        "created",
        "待支付",
        None,
    )


SHOPPER_BAD_INPUT = [
    ("/api/v1/wallet/topups/not-a-number!", None, 422, "invalid_input"),
    ("/api/v1/wallet/topups/" + "1" * 33, None, 422, "invalid_input"),
    ("/api/v1/wallet/entries", {"limit": 0}, 422, "invalid_input"),
    ("/api/v1/wallet/entries", {"limit": 51}, 422, "invalid_input"),
    ("/api/v1/wallet/entries", {"limit": "ten"}, 422, "invalid_input"),
    ("/api/v1/wallet/entries", {"cursor": "!!!"}, 422, "invalid_cursor"),
    ("/api/v1/wallet/entries", {"cursor": "WzBd"}, 422, "invalid_cursor"),  # [0]: not an id
]


async def test_shopper_routes_refuse_bad_input(client, session):
    headers = shopper_headers(await make_shopper(session))
    for url, params, status, code in SHOPPER_BAD_INPUT:
        response = await client.get(url, headers=headers, params=params)
        assert (response.status_code, response.json()["code"]) == (status, code), (url, params)
        assert response.json()["message"]


async def test_shopper_routes_need_a_login(client):
    for url in ("/api/v1/wallet", "/api/v1/wallet/entries", "/api/v1/wallet/topups/1"):
        response = await client.get(url)
        assert response.status_code == 401, url
        assert set(response.json()) >= {"code", "message"}


async def test_the_owner_adjusts_a_balance_and_the_write_is_audited(client, session, db):
    # given a shopper with 10.00 and the shop owner
    shopper_id = (await make_shopper(session)).id
    await fund(db, shopper_id, 1000)
    owner = await make_staff(session, role="owner")
    headers = staff_headers(owner)

    # when the owner adds 5.00 and then takes 3.00 back
    added = await client.post(
        f"{ADMIN}/{shopper_id}/balance-adjustments", headers=headers, json={"amount": 500, "note": " 补偿运费 "}
    )
    taken = await client.post(
        f"{ADMIN}/{shopper_id}/balance-adjustments", headers=headers, json={"amount": -300, "note": "多补了"}
    )

    # then both are booked as adjustments by that staff member, with the note trimmed
    assert added.status_code == 201
    body = added.json()
    assert (body["shopper_id"], body["balance"]) == (shopper_id, 1500)
    entry = body["entry"]
    assert (entry["amount"], entry["balance_after"], entry["reason"], entry["reason_label"]) == (
        500,
        1500,
        "adjustment",
        "人工调整",
    )
    assert (entry["ref_type"], entry["note"], entry["actor_type"], entry["actor_id"]) == (
        "staff",
        "补偿运费",
        "staff",
        owner.id,
    )
    assert (taken.status_code, taken.json()["balance"], taken.json()["entry"]["amount"]) == (201, 1200, -300)
    assert taken.json()["entry"]["ref_id"] != entry["ref_id"]
    assert await balance_of(db, shopper_id) == 1200

    # and the staff view shows the balance with the ledger, newest first
    view = await client.get(f"{ADMIN}/{shopper_id}/balance", headers=headers, params={"limit": 2})
    assert view.status_code == 200
    assert view.json()["balance"] == 1200
    assert [e["amount"] for e in view.json()["entries"]["items"]] == [-300, 500]
    assert view.json()["entries"]["next_cursor"] is not None

    # and the audit log holds both writes against that shopper
    async with db.sessionmaker() as s:
        rows = (await s.scalars(select(AuditLog).order_by(AuditLog.id))).all()
    assert [(r.action, r.target_id, r.staff_id, r.status_code) for r in rows] == [
        ("POST /api/admin/v1/shoppers/{shopper_id}/balance-adjustments", str(shopper_id), owner.id, 201),
        ("POST /api/admin/v1/shoppers/{shopper_id}/balance-adjustments", str(shopper_id), owner.id, 201),
    ]
    assert await ledger_problems(db) == []


async def test_customer_service_may_look_but_not_adjust(client, session, db):
    # given a shopper with 10.00 and a customer-service agent
    shopper_id = (await make_shopper(session)).id
    await fund(db, shopper_id, 1000)
    agent = await make_staff(session, role="customer_service")
    headers = staff_headers(agent)

    # when the agent tries to add money, then looks
    refused = await client.post(
        f"{ADMIN}/{shopper_id}/balance-adjustments", headers=headers, json={"amount": 500, "note": "补偿"}
    )
    view = await client.get(f"{ADMIN}/{shopper_id}/balance", headers=headers)

    # then the adjustment is 403 and nothing moved; looking is allowed
    assert (refused.status_code, refused.json()) == (
        403,
        {"code": "permission_denied", "message": "当前角色没有权限：调整顾客余额"},
    )
    assert await balance_of(db, shopper_id) == 1000
    assert len(await entries_of(db, shopper_id)) == 1
    assert (view.status_code, view.json()["balance"]) == (200, 1000)


@pytest.mark.parametrize("role", ["operator", "warehouse"])
async def test_other_roles_may_not_adjust(client, session, role):
    shopper_id = (await make_shopper(session)).id
    staff = await make_staff(session, role=role)
    response = await client.post(
        f"{ADMIN}/{shopper_id}/balance-adjustments", headers=staff_headers(staff), json={"amount": 1, "note": "试"}
    )
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


async def test_the_warehouse_may_not_see_balances(client, session):
    shopper_id = (await make_shopper(session)).id
    staff = await make_staff(session, role="warehouse")
    response = await client.get(f"{ADMIN}/{shopper_id}/balance", headers=staff_headers(staff))
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


ADJUSTMENT_BAD_INPUT = [
    ({"amount": "100", "note": "字符串金额"}, 422, "invalid_input"),
    ({"amount": 1.5, "note": "小数金额"}, 422, "invalid_input"),
    ({"amount": 100.0, "note": "浮点金额"}, 422, "invalid_input"),
    ({"amount": True, "note": "布尔金额"}, 422, "invalid_input"),
    ({"amount": None, "note": "空金额"}, 422, "invalid_input"),
    ({"amount": 0, "note": "零"}, 422, "invalid_amount"),
    ({"amount": 10_000_001, "note": "太多"}, 422, "invalid_input"),
    ({"amount": -10_000_001, "note": "太多"}, 422, "invalid_input"),
    ({"amount": 2**70, "note": "溢出"}, 422, "invalid_input"),
    ({"amount": 100}, 422, "invalid_input"),
    ({"amount": 100, "note": "   "}, 422, "note_required"),
    ({"amount": 100, "note": "长" * 201}, 422, "invalid_input"),
    ({"amount": 100, "note": "含\x00控制字符"}, 422, "invalid_input"),
    ({"amount": 100, "note": "多余字段", "staff_id": 1}, 422, "invalid_input"),
    ({"amount": -1001, "note": "扣过头"}, 409, "insufficient_balance"),
]


async def test_adjustments_refuse_bad_input(client, session, db):
    # given a shopper with 10.00 and the owner
    shopper_id = (await make_shopper(session)).id
    await fund(db, shopper_id, 1000)
    headers = staff_headers(await make_staff(session, role="owner"))

    for body, status, code in ADJUSTMENT_BAD_INPUT:
        # when the owner sends a bad adjustment
        response = await client.post(f"{ADMIN}/{shopper_id}/balance-adjustments", headers=headers, json=body)

        # then it is a 4xx with a code and a Chinese message, and the balance did not move
        assert (response.status_code, response.json()["code"]) == (status, code), body
        assert response.json()["message"]
    # the messages say what is wrong in words a merchant reads
    for body, message in [
        ({"amount": "100", "note": "x"}, "参数不合法（amount）：必须是整数"),
        ({"amount": 0, "note": "x"}, "调整金额不能为 0"),
        ({"amount": 10_000_001, "note": "x"}, "参数不合法（amount）：不能大于 10000000"),
        ({"amount": 1, "note": " "}, "请填写调整说明"),
    ]:
        response = await client.post(f"{ADMIN}/{shopper_id}/balance-adjustments", headers=headers, json=body)
        assert response.json()["message"] == message
    assert await balance_of(db, shopper_id) == 1000
    assert len(await entries_of(db, shopper_id)) == 1


async def test_admin_routes_answer_404_for_an_unknown_shopper_and_422_for_a_bad_id(client, session):
    owner = await make_staff(session, role="owner")
    headers = staff_headers(owner)
    view = await client.get(f"{ADMIN}/999999/balance", headers=headers)
    adjust = await client.post(f"{ADMIN}/999999/balance-adjustments", headers=headers, json={"amount": 1, "note": "x"})
    assert (view.status_code, view.json()) == (404, {"code": "shopper_not_found", "message": "顾客不存在"})
    assert (adjust.status_code, adjust.json()["code"]) == (404, "shopper_not_found")
    for bad in ("0", "abc", str(2**63)):
        assert (await client.get(f"{ADMIN}/{bad}/balance", headers=headers)).status_code == 422, bad
    malformed = await client.post(
        f"{ADMIN}/1/balance-adjustments", headers={**headers, "Content-Type": "application/json"}, content=b"{"
    )
    assert (malformed.status_code, malformed.json()["code"]) == (400, "malformed_json")

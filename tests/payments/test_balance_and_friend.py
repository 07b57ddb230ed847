"""Balance top-up and payment, friend pays (好友代付), and refunds of merchant-cancelled paid orders."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from qingmall.core import clock
from qingmall.payments.models import PaymentAttempt, Refund
from qingmall.wallet import service as wallet_service
from qingmall.wallet.models import BalanceEntry, TopUp
from tests.factories import make_staff, staff_headers
from tests.orders.orders_testkit import make_buyer
from tests.payments.paykit import REFUND_NOTIFY, deliver, order_row, pay_in_sandbox, pending_order, prepay, rows


async def top_up(client, sandbox, headers: dict, amount: int) -> dict:
    response = await client.post("/api/v1/wallet/topups", json={"amount": amount}, headers=headers)
    assert response.status_code == 201, response.text
    topup = response.json()
    await pay_in_sandbox(client, sandbox, f"{topup['topup_no']}W1")
    return topup


async def balance_of(client, headers: dict) -> int:
    response = await client.get("/api/v1/wallet", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["balance"]


async def ledger_problems(db) -> list:
    async with db.sessionmaker() as s:
        return await wallet_service.check_ledger(s)


async def test_top_up_through_wechat_pay_credits_the_balance_once(db, session, client, sandbox):
    _shopper, headers, _ = await make_buyer(session)

    topup = await top_up(client, sandbox, headers, 5000)
    repeat = await deliver(client, sandbox.build_notification(f"{topup['topup_no']}W1"))

    assert repeat.status_code == 204
    assert await balance_of(client, headers) == 5000
    [row] = await rows(db, TopUp)
    assert (row.status, row.amount) == ("paid", 5000)
    [entry] = await rows(db, BalanceEntry)
    assert (entry.reason, entry.amount, entry.balance_after, entry.ref_id) == ("topup", 5000, 5000, topup["topup_no"])
    assert await ledger_problems(db) == []


async def test_pay_with_balance_debits_and_pays_in_one_step(db, session, client, sandbox):
    buyer = await make_buyer(session)
    headers = buyer[1]
    await top_up(client, sandbox, headers, 10000)
    order, _ = await pending_order(session, client, price=2990, quantity=2, buyer=buyer)

    response = await client.post(f"/api/v1/orders/{order['order_no']}/pay/balance", headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["order"]["status"] == "paid"
    assert await balance_of(client, headers) == 10000 - 5980
    row = await order_row(db, order["order_no"])
    [attempt] = await rows(db, PaymentAttempt, PaymentAttempt.order_id == row.id)
    assert (attempt.channel, attempt.status, attempt.amount, attempt.transaction_id) == (
        "balance", "paid", 5980, row.payment_ref,
    )
    again = await client.post(f"/api/v1/orders/{order['order_no']}/pay/balance", headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "order_not_payable")
    assert await balance_of(client, headers) == 4020
    assert await ledger_problems(db) == []


async def test_balance_short_of_the_amount_is_refused_and_changes_nothing(db, session, client, sandbox):
    buyer = await make_buyer(session)
    headers = buyer[1]
    await top_up(client, sandbox, headers, 1000)
    order, _ = await pending_order(session, client, price=2990, buyer=buyer)

    response = await client.post(f"/api/v1/orders/{order['order_no']}/pay/balance", headers=headers)

    assert (response.status_code, response.json()["code"]) == (409, "insufficient_balance")
    assert (await order_row(db, order["order_no"])).status == "pending_payment"
    assert await balance_of(client, headers) == 1000


async def test_two_racing_balance_payments_of_one_order_debit_once(db, session, client, sandbox):
    buyer = await make_buyer(session)
    headers = buyer[1]
    await top_up(client, sandbox, headers, 10000)
    order, _ = await pending_order(session, client, price=3000, buyer=buyer)
    url = f"/api/v1/orders/{order['order_no']}/pay/balance"

    responses = await asyncio.gather(*(client.post(url, headers=headers) for _ in range(4)))

    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    assert await balance_of(client, headers) == 7000
    assert len(await rows(db, BalanceEntry, BalanceEntry.reason == "order_payment")) == 1
    assert await ledger_problems(db) == []


async def test_friend_sees_a_summary_without_address_and_pays_with_their_own_wechat(db, session, client, sandbox):
    order, owner_headers = await pending_order(session, client, price=4500)
    friend, friend_headers, _ = await make_buyer(session)

    link = await client.post(f"/api/v1/orders/{order['order_no']}/friend-pay", json={"message": "帮我付下，谢谢"},
                             headers=owner_headers)
    assert link.status_code == 201, link.text
    token = link.json()["token"]
    assert link.json()["share_path"] == f"/pages/friend-pay/index?token={token}"
    summary = await client.get(f"/api/v1/friend-pay/{token}")

    assert summary.status_code == 200
    body = summary.json()
    assert (body["status"], body["payable_amount"], body["message"]) == ("pending", 4500, "帮我付下，谢谢")
    assert [line["quantity"] for line in body["lines"]] == [1]
    text = summary.text
    assert "address" not in body and "13800138000" not in text and "138****8000" not in text
    assert "建国路" not in text and order["order_no"] not in text

    params = await client.post(f"/api/v1/friend-pay/{token}/pay/wechat", headers=friend_headers)
    assert params.status_code == 200, params.text
    await pay_in_sandbox(client, sandbox, f"{order['order_no']}W1")

    row = await order_row(db, order["order_no"])
    assert (row.status, row.paid_amount) == ("paid", 4500)
    [attempt] = await rows(db, PaymentAttempt)
    assert attempt.payer_shopper_id == friend.id
    seen = (await client.get(f"/api/v1/friend-pay/{token}", headers=friend_headers)).json()
    assert (seen["status"], seen["paid_by_you"]) == ("paid", True)
    late = await client.post(f"/api/v1/friend-pay/{token}/pay/wechat", headers=friend_headers)
    assert (late.status_code, late.json()["code"]) == (409, "friend_pay_paid")


async def test_friend_pay_link_expires_with_the_order_and_a_new_link_replaces_the_old(db, session, client):
    order, owner_headers = await pending_order(session, client)
    _friend, friend_headers, _ = await make_buyer(session)
    url = f"/api/v1/orders/{order['order_no']}/friend-pay"
    first = (await client.post(url, headers=owner_headers)).json()["token"]
    second = (await client.post(url, headers=owner_headers)).json()["token"]

    replaced = await client.get(f"/api/v1/friend-pay/{first}")
    assert (replaced.status_code, replaced.json()["code"]) == (404, "friend_pay_link_not_found")
    deadline = (await order_row(db, order["order_no"])).pay_deadline
    clock.advance(deadline - clock.now() + timedelta(seconds=1))
    expired = (await client.get(f"/api/v1/friend-pay/{second}")).json()
    pay = await client.post(f"/api/v1/friend-pay/{second}/pay/balance", headers=friend_headers)

    assert (expired["status"], expired["pay_countdown_seconds"]) == ("expired", 0)
    assert (pay.status_code, pay.json()["code"]) == (409, "friend_pay_expired")
    foreign = await client.post(url, headers=friend_headers)
    assert foreign.status_code == 404
    bad = await client.get("/api/v1/friend-pay/..%2F..%2Fetc")
    assert bad.status_code in (404, 422)


async def test_merchant_cancel_of_a_friend_balance_payment_refunds_the_friend(db, session, client, sandbox):
    order, owner_headers = await pending_order(session, client, price=2500)
    _friend, friend_headers, _ = await make_buyer(session)
    await top_up(client, sandbox, friend_headers, 3000)
    token = (await client.post(f"/api/v1/orders/{order['order_no']}/friend-pay", headers=owner_headers)).json()["token"]
    paid = await client.post(f"/api/v1/friend-pay/{token}/pay/balance", headers=friend_headers)
    assert paid.status_code == 200, paid.text
    assert await balance_of(client, friend_headers) == 500
    staff = await make_staff(session, role="owner")

    cancel = await client.post(f"/api/admin/v1/orders/{order['order_no']}/cancel", json={"reason": "缺货"},
                               headers=staff_headers(staff))

    assert cancel.status_code == 200, cancel.text
    assert cancel.json()["order"]["refund_required"] is False
    assert await balance_of(client, friend_headers) == 3000
    assert await balance_of(client, owner_headers) == 0
    [refund] = await rows(db, Refund)
    assert (refund.channel, refund.amount, refund.status) == ("balance", 2500, "success")
    [attempt] = await rows(db, PaymentAttempt, PaymentAttempt.channel == "balance")
    assert (attempt.status, attempt.refunded_amount) == ("refunded", 2500)
    assert await ledger_problems(db) == []


async def test_merchant_cancel_of_a_wechat_payment_refunds_through_wechat_and_settles_on_notification(
    db, session, client, sandbox
):
    order, headers = await pending_order(session, client, price=1800)
    await prepay(client, order, headers)
    out_trade_no = f"{order['order_no']}W1"
    await pay_in_sandbox(client, sandbox, out_trade_no)
    staff = await make_staff(session, role="owner")

    cancel = await client.post(f"/api/admin/v1/orders/{order['order_no']}/cancel", json={"reason": "缺货"},
                               headers=staff_headers(staff))

    assert cancel.status_code == 200, cancel.text
    [refund] = await rows(db, Refund)
    assert (refund.out_refund_no, refund.amount, refund.status) == (f"{out_trade_no}R1", 1800, "processing")
    assert sandbox.refunds[refund.out_refund_no].refund == 1800
    sandbox.complete_refund(refund.out_refund_no)
    notification = sandbox.build_notification(out_refund_no=refund.out_refund_no)
    first, second = await asyncio.gather(deliver(client, notification, REFUND_NOTIFY),
                                         deliver(client, notification, REFUND_NOTIFY))
    assert (first.status_code, second.status_code) == (204, 204)
    [refund] = await rows(db, Refund)
    assert refund.status == "success" and refund.succeeded_at is not None
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.status, attempt.refunded_amount) == ("refunded", 1800)
    async with db.sessionmaker() as s:
        assert (await s.scalar(select(Refund.id).where(Refund.status != "success"))) is None


async def test_merchant_may_send_an_after_sale_refund_to_the_balance_instead_of_wechat(db, session, client, sandbox):
    order, headers = await pending_order(session, client, price=2200, quantity=2)
    await prepay(client, order, headers)
    await pay_in_sandbox(client, sandbox, f"{order['order_no']}W1")
    staff = staff_headers(await make_staff(session, role="owner"))
    line_id = order["lines"][0]["id"]
    filed = await client.post(f"/api/v1/orders/{order['order_no']}/after-sales", headers=headers, json={
        "kind": "refund_only", "lines": [{"order_line_id": line_id, "quantity": 1}],
        "reason_code": "no_longer_needed", "idempotency_key": "to-balance-0001",
    })
    assert filed.status_code == 201, filed.text

    approved = await client.post(f"/api/admin/v1/after-sales/{filed.json()['after_sale_no']}/approve",
                                 json={"refund_to": "balance"}, headers=staff)

    assert approved.status_code == 200, approved.text
    assert approved.json()["after_sale"]["status"] == "refunded"
    [refund] = await rows(db, Refund)
    assert (refund.channel, refund.amount, refund.status) == ("balance", 2200, "success")
    assert sandbox.refunds == {}
    assert await balance_of(client, headers) == 2200
    [attempt] = await rows(db, PaymentAttempt)
    assert (attempt.channel, attempt.status, attempt.refunded_amount) == ("wechat", "paid", 2200)
    assert await ledger_problems(db) == []
    bad = await client.post(f"/api/admin/v1/after-sales/{filed.json()['after_sale_no']}/approve",
                            json={"refund_to": "cash"}, headers=staff)
    assert bad.status_code == 422

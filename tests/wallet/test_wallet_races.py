"""Real races: every contender has its own session (its own connection and transaction) and they start
together with ``asyncio.gather``. On PostgreSQL they block on the account row and re-check the condition;
on SQLite they queue on the write lock. Either way the balance can neither go negative nor count twice."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from qingmall.core.errors import Conflict
from qingmall.wallet import service
from qingmall.wallet.models import BalanceAccount
from tests.factories import make_shopper
from tests.wallet.wallet_helpers import balance_of, entries_of, fund, ledger_problems


async def _debit_alone(db, shopper_id: int, amount: int, ref_id: str) -> str:
    async with db.sessionmaker() as s:
        try:
            await service.debit(s, shopper_id, amount, reason="order_payment", ref_type="order", ref_id=ref_id)
        except Conflict as exc:
            await s.rollback()
            return exc.code
        await s.commit()
        return "ok"


async def _credit_alone(db, shopper_id: int, amount: int, ref_id: str) -> int:
    async with db.sessionmaker() as s:
        entry = await service.credit(s, shopper_id, amount, reason="topup", ref_type="topup", ref_id=ref_id)
        await s.commit()
        return entry.id


async def test_50_concurrent_debits_of_10_fen_on_200_fen(session, db):
    # given a balance of 200 fen
    shopper_id = (await make_shopper(session)).id
    await fund(db, shopper_id, 200)

    # when 50 orders of 10 fen are paid from it at the same moment
    outcomes = await asyncio.gather(*[_debit_alone(db, shopper_id, 10, f"race-{i}") for i in range(50)])

    # then exactly 20 were paid, 30 were told the balance is short, and the balance is exactly 0
    assert outcomes.count("ok") == 20
    assert outcomes.count("insufficient_balance") == 30
    assert await balance_of(db, shopper_id) == 0
    entries = await entries_of(db, shopper_id)
    assert [e.amount for e in entries] == [200] + [-10] * 20
    assert [e.balance_after for e in entries] == [200 - 10 * i for i in range(21)]
    assert await ledger_problems(db) == []


async def test_concurrent_first_credits_create_one_account_and_all_count(session, db):
    # given a shopper who has never had a balance
    shopper_id = (await make_shopper(session)).id
    await session.rollback()

    # when 10 top-ups are credited at once, each of them the "first"
    await asyncio.gather(*[_credit_alone(db, shopper_id, 100 + i, f"first-{i}") for i in range(10)])

    # then none failed, there is one account and it holds all of them
    async with db.sessionmaker() as s:
        assert await s.scalar(select(func.count()).where(BalanceAccount.shopper_id == shopper_id)) == 1
    assert await balance_of(db, shopper_id) == sum(100 + i for i in range(10))
    assert len(await entries_of(db, shopper_id)) == 10
    assert await ledger_problems(db) == []


async def test_concurrent_repeats_of_one_credit_book_it_once(session, db):
    # given a shopper without an account
    shopper_id = (await make_shopper(session)).id
    await session.rollback()

    # when the same top-up credit arrives 8 times at once
    ids = await asyncio.gather(*[_credit_alone(db, shopper_id, 5000, "T-dup") for _ in range(8)])

    # then all 8 are answered with the one entry, booked once
    assert len(set(ids)) == 1
    assert await balance_of(db, shopper_id) == 5000
    assert [e.id for e in await entries_of(db, shopper_id)] == [ids[0]]


async def test_concurrent_repeats_of_one_debit_take_the_money_once(session, db):
    # given exactly enough for one payment of the order
    shopper_id = (await make_shopper(session)).id
    await fund(db, shopper_id, 3000)

    # when the same order payment is debited 6 times at once (a double tap, a retried request)
    outcomes = await asyncio.gather(*[_debit_alone(db, shopper_id, 3000, "O-dup") for _ in range(6)])

    # then every call is answered with the same payment and the money left once
    assert outcomes == ["ok"] * 6
    assert await balance_of(db, shopper_id) == 0
    assert [e.amount for e in await entries_of(db, shopper_id)] == [3000, -3000]
    assert await ledger_problems(db) == []


async def test_a_topup_is_credited_once_under_three_concurrent_notifications(session, db):
    # given a created top-up of 88.00
    shopper_id = (await make_shopper(session)).id
    topup = await service.create_topup(session, shopper_id, 8800)

    # when three deliveries of its payment are booked at the same moment
    async def deliver() -> bool:
        async with db.sessionmaker() as s:
            credited = await service.credit_topup(s, topup.id, amount=8800, payment_ref="wx-4200001")
            await s.commit()
            return credited

    results = await asyncio.gather(deliver(), deliver(), deliver())

    # then exactly one credited, the others saw it done, and the balance holds the top-up once
    assert sorted(results) == [False, False, True]
    assert await balance_of(db, shopper_id) == 8800
    entries = await entries_of(db, shopper_id)
    assert [(e.reason, e.ref_type, e.ref_id, e.amount) for e in entries] == [("topup", "topup", topup.topup_no, 8800)]
    assert await ledger_problems(db) == []

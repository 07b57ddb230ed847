"""Booking credits and debits: the balance moves by one conditional UPDATE, every change leaves one entry
with the balance right after it, repeats are answered not re-booked, and the ledger check notices damage."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from qingmall.core.errors import Conflict, InvalidInput
from qingmall.wallet import service
from qingmall.wallet.models import BalanceAccount, BalanceEntry
from qingmall.wallet.service import InsufficientBalance
from tests.factories import make_shopper
from tests.wallet.wallet_helpers import balance_of, entries_of, fund, ledger_problems, next_ref


async def test_credits_and_debits_keep_balance_equal_to_the_entries(session, db):
    # given a shopper without an account
    shopper_id = (await make_shopper(session)).id
    assert await balance_of(db, shopper_id) is None

    # when they top up 100.00, pay an order of 30.50 and get 5.00 of it refunded
    first = await service.credit(session, shopper_id, 10000, reason="topup", ref_type="topup", ref_id="T1")
    paid = await service.debit(
        session, shopper_id, 3050, reason="order_payment", ref_type="order", ref_id="O1", note="订单 O1"
    )
    refund = await service.credit(session, shopper_id, 500, reason="refund", ref_type="refund", ref_id="O1-R1")
    await session.commit()

    # then the account was created on first use and the ledger replays to the balance
    assert await balance_of(db, shopper_id) == 7450
    entries = await entries_of(db, shopper_id)
    assert [(e.reason, e.ref_type, e.ref_id, e.amount, e.balance_after) for e in entries] == [
        ("topup", "topup", "T1", 10000, 10000),
        ("order_payment", "order", "O1", -3050, 6950),
        ("refund", "refund", "O1-R1", 500, 7450),
    ]
    assert [first.id, paid.id, refund.id] == [e.id for e in entries]
    assert (entries[1].note, entries[1].actor_type, entries[1].actor_id) == ("订单 O1", "system", None)
    async with db.sessionmaker() as s:
        account = (await s.execute(select(BalanceAccount).where(BalanceAccount.shopper_id == shopper_id))).scalar_one()
    assert (account.balance, account.version) == (7450, 3)
    assert await ledger_problems(db) == []


async def test_debit_beyond_the_balance_is_refused_and_changes_nothing(session, db):
    # given a balance of 100 fen
    shopper_id = (await make_shopper(session)).id
    await fund(db, shopper_id, 100)

    # when 101 fen is taken
    with pytest.raises(InsufficientBalance) as refused:
        await service.debit(session, shopper_id, 101, reason="order_payment", ref_type="order", ref_id="O-big")

    # then it is 409 insufficient_balance with the facts, and nothing moved
    assert (refused.value.status_code, refused.value.code, refused.value.message) == (
        409,
        "insufficient_balance",
        "余额不足",
    )
    assert refused.value.details == {"balance": 100, "amount": 101}
    # the caller's transaction is still usable: the exact balance can still be taken in it
    entry = await service.debit(session, shopper_id, 100, reason="order_payment", ref_type="order", ref_id="O-ok")
    await session.commit()
    assert entry.balance_after == 0
    assert await balance_of(db, shopper_id) == 0
    assert [e.ref_id for e in await entries_of(db, shopper_id)][1:] == ["O-ok"]
    assert await ledger_problems(db) == []


async def test_a_debit_without_an_account_is_insufficient_and_creates_nothing(session, db):
    shopper_id = (await make_shopper(session)).id
    with pytest.raises(InsufficientBalance) as refused:
        await service.debit(session, shopper_id, 1, reason="order_payment", ref_type="order", ref_id="O-none")
    await session.rollback()
    assert refused.value.details == {"balance": 0, "amount": 1}
    assert await balance_of(db, shopper_id) is None


async def test_a_repeat_is_answered_with_the_first_entry_and_books_nothing(session, db):
    # given a top-up credited and an order paid
    shopper_id = (await make_shopper(session)).id
    credited = await service.credit(session, shopper_id, 2000, reason="topup", ref_type="topup", ref_id="T9")
    debited = await service.debit(session, shopper_id, 1500, reason="order_payment", ref_type="order", ref_id="O9")
    await session.commit()

    # when both are booked again (a retried callback), even though the balance could not pay the debit twice
    again_credit = await service.credit(session, shopper_id, 2000, reason="topup", ref_type="topup", ref_id="T9")
    again_debit = await service.debit(session, shopper_id, 1500, reason="order_payment", ref_type="order", ref_id="O9")
    await session.commit()

    # then the answers are the first entries and the balance did not move
    assert (again_credit.id, again_debit.id) == (credited.id, debited.id)
    assert await balance_of(db, shopper_id) == 500
    assert len(await entries_of(db, shopper_id)) == 2
    assert await ledger_problems(db) == []


async def test_the_same_key_with_another_amount_or_shopper_is_a_conflict(session, db):
    shopper_id = (await make_shopper(session)).id
    other_id = (await make_shopper(session)).id
    await service.credit(session, shopper_id, 2000, reason="topup", ref_type="topup", ref_id="T10")
    await session.commit()

    with pytest.raises(Conflict) as other_amount:
        await service.credit(session, shopper_id, 2001, reason="topup", ref_type="topup", ref_id="T10")
    with pytest.raises(Conflict) as other_shopper:
        await service.credit(session, other_id, 2000, reason="topup", ref_type="topup", ref_id="T10")
    await session.rollback()

    assert (other_amount.value.status_code, other_amount.value.code) == (409, "ledger_entry_mismatch")
    assert other_shopper.value.code == "ledger_entry_mismatch"
    assert other_amount.value.details == {"reason": "topup", "ref_type": "topup", "ref_id": "T10"}
    assert await balance_of(db, shopper_id) == 2000
    assert len(await entries_of(db, shopper_id)) == 1
    assert await balance_of(db, other_id) is None


@pytest.mark.parametrize(
    ("call", "amount", "reason", "code"),
    [
        ("credit", 0, "topup", "invalid_amount"),
        ("credit", -5, "topup", "invalid_amount"),
        ("credit", True, "topup", "invalid_amount"),
        ("credit", 10**11 + 1, "topup", "invalid_amount"),
        ("credit", 100, "order_payment", "invalid_reason"),
        ("debit", 100, "topup", "invalid_reason"),
        ("debit", 100, "refund", "invalid_reason"),
        ("credit", 100, "gift", "invalid_reason"),
    ],
)
async def test_bookings_that_would_not_explain_themselves_are_refused(session, db, call, amount, reason, code):
    shopper_id = (await make_shopper(session)).id
    await fund(db, shopper_id, 1000)
    with pytest.raises(InvalidInput) as refused:
        await getattr(service, call)(session, shopper_id, amount, reason=reason, ref_type="x", ref_id=next_ref())
    await session.rollback()
    assert refused.value.code == code
    assert await balance_of(db, shopper_id) == 1000


async def test_bad_references_notes_and_actors_are_refused(session, db):
    shopper_id = (await make_shopper(session)).id
    cases = [
        ({"ref_type": "", "ref_id": "1"}, "invalid_reference"),
        ({"ref_type": "x" * 17, "ref_id": "1"}, "invalid_reference"),
        ({"ref_type": "order", "ref_id": "1" * 65}, "invalid_reference"),
        ({"ref_type": "order", "ref_id": "1", "note": "长" * 201}, "invalid_note"),
        ({"ref_type": "order", "ref_id": "1", "actor_type": "robot"}, "invalid_actor"),
    ]
    for kwargs, code in cases:
        with pytest.raises(InvalidInput) as refused:
            await service.credit(session, shopper_id, 100, reason="refund", **kwargs)
        assert refused.value.code == code, kwargs
    await session.rollback()
    assert await balance_of(db, shopper_id) is None


async def test_the_ledger_check_reports_a_tampered_account_and_a_broken_chain(session, db):
    # given two healthy accounts
    healthy_id = (await make_shopper(session)).id
    damaged_id = (await make_shopper(session)).id
    await fund(db, healthy_id, 300)
    await fund(db, damaged_id, 300)
    second = await fund(db, damaged_id, 200)
    assert await ledger_problems(db) == []

    # when someone edits the balance behind the ledger's back and rewrites an entry's balance_after
    async with db.sessionmaker() as s:
        await s.execute(update(BalanceAccount).where(BalanceAccount.shopper_id == damaged_id).values(balance=999))
        await s.execute(update(BalanceEntry).where(BalanceEntry.id == second.id).values(balance_after=600))
        await s.commit()

    # then the check names the account, the entry and what disagrees; the healthy one is clean
    problems = await ledger_problems(db)
    assert [(p.shopper_id, p.code, p.details) for p in problems] == [
        (damaged_id, "balance_mismatch", {"balance": 999, "entries_total": 500}),
        (
            damaged_id,
            "chain_broken",
            {"entry_id": second.id, "expected_before": 300, "amount": 200, "balance_after": 600},
        ),
    ]
    assert problems[0].message == "余额 999 分与明细合计 500 分不符"
    assert await ledger_problems(db, healthy_id) == []
    assert [p.code for p in await ledger_problems(db, damaged_id)] == ["balance_mismatch", "chain_broken"]


async def test_the_ledger_check_reports_a_wrong_sign_and_a_lost_version(session, db):
    # given 300 then 200 fen refunded
    shopper_id = (await make_shopper(session)).id
    await fund(db, shopper_id, 300)
    entry = await fund(db, shopper_id, 200)
    async with db.sessionmaker() as s:
        # when the second refund is rewritten as money going out (balance and chain made to agree with it)
        # and the version skips a step
        await s.execute(update(BalanceEntry).where(BalanceEntry.id == entry.id).values(amount=-200, balance_after=100))
        await s.execute(
            update(BalanceAccount).where(BalanceAccount.shopper_id == shopper_id).values(balance=100, version=3)
        )
        await s.commit()
    # then only what is still wrong is reported: the sign and the version
    problems = await ledger_problems(db, shopper_id)
    assert [(p.code, p.details) for p in problems] == [
        ("version_mismatch", {"version": 3, "entries": 2}),
        ("sign_wrong", {"entry_id": entry.id, "reason": "refund", "amount": -200}),
    ]
    assert problems[1].message == f"明细 {entry.id}「退款」的方向不对"


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("credit"), st.integers(min_value=1, max_value=50_000)),
        st.tuples(st.just("debit"), st.integers(min_value=1, max_value=50_000)),
        st.tuples(st.just("repeat"), st.integers(min_value=0, max_value=10**6)),
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
async def test_any_sequence_keeps_the_balance_equal_to_its_entries_and_never_negative(session, db, operations):
    # given a fresh shopper (the database is shared by the examples, the shopper is not)
    shopper_id = (await make_shopper(session)).id
    expected = 0
    booked: list[tuple[str, int, str, int]] = []  # (call, amount, ref_id, entry id)

    # when any sequence of credits, debits and repeats of earlier bookings is applied
    for kind, number in operations:
        if kind == "repeat":
            if not booked:
                continue
            call, amount, ref_id, entry_id = booked[number % len(booked)]
        else:
            call, amount, ref_id, entry_id = kind, number, next_ref("prop"), 0
        reason = "refund" if call == "credit" else "order_payment"
        try:
            entry = await getattr(service, call)(
                session, shopper_id, amount, reason=reason, ref_type="p", ref_id=ref_id
            )
        except InsufficientBalance:
            await session.rollback()
            assert kind == "debit" and amount > expected
            continue
        await session.commit()
        if kind == "repeat":
            assert entry.id == entry_id
            continue
        expected += amount if call == "credit" else -amount
        assert entry.balance_after == expected >= 0
        booked.append((call, amount, ref_id, entry.id))

    # then the balance is what the model says, equals the sum of the entries, and never went negative
    async with db.sessionmaker() as s:
        balance = await s.scalar(select(BalanceAccount.balance).where(BalanceAccount.shopper_id == shopper_id))
        total = await s.scalar(
            select(func.coalesce(func.sum(BalanceEntry.amount), 0))
            .join(BalanceAccount, BalanceAccount.id == BalanceEntry.account_id)
            .where(BalanceAccount.shopper_id == shopper_id)
        )
    assert (balance or 0) == int(total) == expected
    assert all(e.balance_after >= 0 for e in await entries_of(db, shopper_id))
    assert len(await entries_of(db, shopper_id)) == len(booked)
    assert await ledger_problems(db, shopper_id) == []

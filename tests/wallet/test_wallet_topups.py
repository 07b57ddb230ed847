"""Top-ups: created within limits with a receipt-style number, credited once by the payment that lands,
refused when the payment does not match."""

from __future__ import annotations

import re

import pytest

from qingmall.core.errors import Conflict, InvalidInput, NotFound
from qingmall.wallet import service
from tests.factories import make_shopper
from tests.wallet.wallet_helpers import balance_of, entries_of, topup_row


async def test_create_topup_within_the_limits(session, db):
    shopper_id = (await make_shopper(session)).id

    smallest = await service.create_topup(session, shopper_id, 1)
    largest = await service.create_topup(session, shopper_id, 500_000)

    assert re.fullmatch(r"\d{20}", smallest.topup_no)
    assert smallest.topup_no != largest.topup_no
    stored = await topup_row(db, largest.id)
    assert (stored.shopper_id, stored.amount, stored.status, stored.paid_at) == (shopper_id, 500_000, "created", None)
    assert await balance_of(db, shopper_id) is None  # nothing is credited before the payment lands


@pytest.mark.parametrize(
    ("amount", "code", "message"),
    [
        (0, "invalid_amount", "充值金额至少 0.01 元"),
        (-100, "invalid_amount", "充值金额至少 0.01 元"),
        (True, "invalid_amount", "充值金额至少 0.01 元"),
        (500_001, "topup_too_large", "单次充值不能超过 5000 元"),
    ],
)
async def test_create_topup_outside_the_limits_is_refused(session, amount, code, message):
    shopper_id = (await make_shopper(session)).id
    with pytest.raises(InvalidInput) as refused:
        await service.create_topup(session, shopper_id, amount)
    assert (refused.value.status_code, refused.value.code, refused.value.message) == (422, code, message)


async def test_credit_topup_books_it_once_and_remembers_the_payment(session, db):
    # given a created top-up
    shopper_id = (await make_shopper(session)).id
    topup = await service.create_topup(session, shopper_id, 2000)

    # when its payment is booked, then booked again by a repeated notification
    first = await service.credit_topup(session, topup.id, amount=2000, payment_ref="wx-1")
    await session.commit()
    again = await service.credit_topup(session, topup.id, amount=2000, payment_ref="wx-1")
    await session.commit()

    # then it was credited once, and the top-up is paid by that payment
    assert (first, again) == (True, False)
    assert await balance_of(db, shopper_id) == 2000
    stored = await topup_row(db, topup.id)
    assert (stored.status, stored.payment_ref, stored.paid_at is not None) == ("paid", "wx-1", True)
    [entry] = await entries_of(db, shopper_id)
    assert (entry.reason, entry.ref_type, entry.ref_id, entry.note) == (
        "topup",
        "topup",
        topup.topup_no,
        f"充值单 {topup.topup_no}",
    )


async def test_a_second_payment_of_a_paid_topup_is_a_conflict_to_refund(session, db):
    shopper_id = (await make_shopper(session)).id
    topup = await service.create_topup(session, shopper_id, 2000)
    assert await service.credit_topup(session, topup.id, amount=2000, payment_ref="wx-1") is True
    await session.commit()

    with pytest.raises(Conflict) as duplicate:
        await service.credit_topup(session, topup.id, amount=2000, payment_ref="ali-2")
    await session.rollback()

    assert (duplicate.value.code, duplicate.value.details) == ("topup_already_paid", {"payment_ref": "wx-1"})
    assert await balance_of(db, shopper_id) == 2000


async def test_a_payment_of_another_amount_is_refused_and_credits_nothing(session, db):
    shopper_id = (await make_shopper(session)).id
    topup_id = (await service.create_topup(session, shopper_id, 2000)).id

    with pytest.raises(Conflict) as mismatch:
        await service.credit_topup(session, topup_id, amount=1999, payment_ref="wx-1")
    await session.rollback()

    assert (mismatch.value.code, mismatch.value.details) == (
        "amount_mismatch",
        {"topup_amount": 2000, "paid_amount": 1999},
    )
    assert (await topup_row(db, topup_id)).status == "created"
    assert await balance_of(db, shopper_id) is None


async def test_credit_topup_of_an_unknown_topup_or_without_a_reference(session):
    shopper_id = (await make_shopper(session)).id
    topup = await service.create_topup(session, shopper_id, 2000)
    with pytest.raises(NotFound) as unknown:
        await service.credit_topup(session, 999_999, amount=2000, payment_ref="wx-1")
    with pytest.raises(InvalidInput) as no_ref:
        await service.credit_topup(session, topup.id, amount=2000, payment_ref="")
    await session.rollback()
    assert (unknown.value.code, no_ref.value.code) == ("topup_not_found", "invalid_payment_ref")

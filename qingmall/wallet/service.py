"""Stored value (余额): book credits and debits on a shopper's account, top-ups, staff adjustments, the ledger check.

Invariants (see ``wallet.models``): an account's ``balance`` is the sum of its entries and never negative;
each entry carries the balance right after it. Every change is ``_book``: ONE conditional UPDATE
``balance = balance + :delta ... WHERE shopper_id = :id AND balance + :delta >= 0 RETURNING id, balance``
(no read-then-write; ``shopper_id`` is unique, so it names one row like the id does) and, while that row is
locked, the insert of the entry with the returned balance. Both run in a SAVEPOINT so a refused change
leaves the caller's transaction usable and the balance untouched.

Idempotency: ``(reason, ref_type, ref_id)`` is unique. Booking a key that is already booked answers the
existing entry and changes nothing (a retried callback, a double tap); the same key with another amount or
another shopper is 409 ``ledger_entry_mismatch``. A concurrent duplicate loses on the unique index (or, for a
debit, on the balance its twin already took) and is answered the same way.

``credit`` / ``debit`` / ``credit_topup`` do not commit: they join the caller's transaction (the payment, the
refund). ``create_topup`` and ``adjust_balance`` commit once at their end. Reads live in ``wallet.queries``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.errors import AppError, Conflict, InvalidInput, NotFound
from qingmall.core.ids import new_order_no
from qingmall.wallet import queries
from qingmall.wallet.models import ENTRY_REASONS, BalanceAccount, BalanceEntry, TopUp
from qingmall.wallet.queries import REASON_LABELS
from qingmall.wallet.schemas import MAX_ADJUSTMENT, MAX_TOPUP, MIN_TOPUP, BalanceAdjustmentPublic

CREDIT_REASONS = frozenset({"topup", "refund", "adjustment"})
DEBIT_REASONS = frozenset({"order_payment", "adjustment"})
ACTOR_TYPES = ("system", "shopper", "staff")
MAX_ENTRY_AMOUNT = 10**11  # 10 亿元 in one entry: far beyond any real payment, far below BIGINT
_TOPUP_NO_ATTEMPTS = 3  # a unique-index hit on topup_no is a number collision: draw again


class InsufficientBalance(Conflict):
    code = "insufficient_balance"


# ---- booking --------------------------------------------------------------------------------------------


def _insert(session: AsyncSession, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _check_booking(amount: Any, reason: str, ref_type: str, ref_id: str, note: str, actor_type: str) -> None:
    if type(amount) is not int or not 1 <= amount <= MAX_ENTRY_AMOUNT:
        raise InvalidInput("金额必须是正整数（单位：分）", code="invalid_amount")
    if reason not in ENTRY_REASONS:
        raise InvalidInput("记账原因无效", code="invalid_reason")
    if not (1 <= len(ref_type) <= 16 and 1 <= len(ref_id) <= 64):
        raise InvalidInput("记账单据无效", code="invalid_reference")
    if len(note) > 200:
        raise InvalidInput("备注不能超过 200 个字符", code="invalid_note")
    if actor_type not in ACTOR_TYPES:
        raise InvalidInput("操作人类型无效", code="invalid_actor")


async def _find_entry(
    session: AsyncSession, reason: str, ref_type: str, ref_id: str
) -> tuple[BalanceEntry, int] | None:
    row = (
        await session.execute(
            select(BalanceEntry, BalanceAccount.shopper_id)
            .join(BalanceAccount, BalanceAccount.id == BalanceEntry.account_id)
            .where(BalanceEntry.reason == reason, BalanceEntry.ref_type == ref_type, BalanceEntry.ref_id == ref_id)
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def _repeat(found: tuple[BalanceEntry, int], shopper_id: int, delta: int) -> BalanceEntry:
    """The answer to a key booked before: the same entry, or 409 if the repeat is not the same change."""
    entry, owner_id = found
    if owner_id != shopper_id or entry.amount != delta:
        raise Conflict(
            "该业务单据已记过一笔不同的余额变动",
            code="ledger_entry_mismatch",
            details={"reason": entry.reason, "ref_type": entry.ref_type, "ref_id": entry.ref_id},
        )
    return entry


async def _change_balance(session: AsyncSession, shopper_id: int, delta: int) -> tuple[int, int]:
    """Apply ``delta`` if the balance stays >= 0; returns ``(account_id, balance_after)``. Does not commit.

    A credit that finds no account creates it (``INSERT ... ON CONFLICT DO NOTHING``, so two first credits
    never fail: the second waits for or skips the first's row) and runs the same UPDATE again.
    """
    statement = (
        update(BalanceAccount)
        .where(BalanceAccount.shopper_id == shopper_id, BalanceAccount.balance + delta >= 0)
        .values(balance=BalanceAccount.balance + delta, version=BalanceAccount.version + 1, updated_at=clock.now())
        .returning(BalanceAccount.id, BalanceAccount.balance)
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None and delta < 0:
        current = await session.scalar(select(BalanceAccount.balance).where(BalanceAccount.shopper_id == shopper_id))
        raise InsufficientBalance("余额不足", details={"balance": current or 0, "amount": -delta})
    if row is None:
        await session.execute(
            _insert(session, BalanceAccount)
            .values(shopper_id=shopper_id, balance=0, version=0, updated_at=clock.now())
            .on_conflict_do_nothing(index_elements=["shopper_id"])
        )
        row = (await session.execute(statement)).one()
    return row[0], row[1]


async def _book(
    session: AsyncSession,
    shopper_id: int,
    delta: int,
    *,
    reason: str,
    ref_type: str,
    ref_id: str,
    note: str,
    actor_type: str,
    actor_id: int | None,
) -> BalanceEntry:
    found = await _find_entry(session, reason, ref_type, ref_id)
    if found is not None:
        return _repeat(found, shopper_id, delta)
    try:
        async with session.begin_nested():
            account_id, balance_after = await _change_balance(session, shopper_id, delta)
            entry = BalanceEntry(
                account_id=account_id,
                amount=delta,
                balance_after=balance_after,
                reason=reason,
                ref_type=ref_type,
                ref_id=ref_id,
                note=note,
                actor_type=actor_type,
                actor_id=actor_id,
                created_at=clock.now(),
            )
            session.add(entry)
            await session.flush()
    except (IntegrityError, InsufficientBalance):
        # A concurrent twin booked the same key first: the savepoint undid our change; answer the twin's.
        found = await _find_entry(session, reason, ref_type, ref_id)
        if found is None:
            raise
        return _repeat(found, shopper_id, delta)
    return entry


async def credit(
    session: AsyncSession,
    shopper_id: int,
    amount: int,
    *,
    reason: str,
    ref_type: str,
    ref_id: str,
    note: str = "",
    actor_type: str = "system",
    actor_id: int | None = None,
) -> BalanceEntry:
    """Add ``amount`` fen (> 0) to the shopper's balance for ``reason`` (topup, refund, adjustment). Does not
    commit. A key booked before answers its entry unchanged; with another amount it is 409."""
    _check_booking(amount, reason, ref_type, ref_id, note, actor_type)
    if reason not in CREDIT_REASONS:
        raise InvalidInput(f"「{REASON_LABELS[reason]}」不能增加余额", code="invalid_reason")
    return await _book(
        session,
        shopper_id,
        amount,
        reason=reason,
        ref_type=ref_type,
        ref_id=ref_id,
        note=note,
        actor_type=actor_type,
        actor_id=actor_id,
    )


async def debit(
    session: AsyncSession,
    shopper_id: int,
    amount: int,
    *,
    reason: str,
    ref_type: str,
    ref_id: str,
    note: str = "",
    actor_type: str = "system",
    actor_id: int | None = None,
) -> BalanceEntry:
    """Take ``amount`` fen (> 0; stored negative) for ``reason`` (order_payment, adjustment). Does not commit.

    409 ``insufficient_balance`` ("余额不足", details ``balance`` and ``amount``) when the balance is short;
    the balance is then unchanged and the caller's transaction still usable. Repeats as for ``credit``."""
    _check_booking(amount, reason, ref_type, ref_id, note, actor_type)
    if reason not in DEBIT_REASONS:
        raise InvalidInput(f"「{REASON_LABELS[reason]}」不能扣减余额", code="invalid_reason")
    return await _book(
        session,
        shopper_id,
        -amount,
        reason=reason,
        ref_type=ref_type,
        ref_id=ref_id,
        note=note,
        actor_type=actor_type,
        actor_id=actor_id,
    )


# ---- top-ups --------------------------------------------------------------------------------------------


async def create_topup(session: AsyncSession, shopper_id: int, amount: int) -> TopUp:
    """Open a top-up of ``amount`` fen (0.01 to 5,000 元) waiting for its payment; commits."""
    if type(amount) is not int or amount < MIN_TOPUP:
        raise InvalidInput("充值金额至少 0.01 元", code="invalid_amount")
    if amount > MAX_TOPUP:
        raise InvalidInput(f"单次充值不能超过 {MAX_TOPUP // 100} 元", code="topup_too_large")
    for attempt in range(_TOPUP_NO_ATTEMPTS):
        topup = TopUp(
            topup_no=new_order_no(), shopper_id=shopper_id, amount=amount, status="created", created_at=clock.now()
        )
        try:
            async with session.begin_nested():
                session.add(topup)
                await session.flush()
            break
        except IntegrityError:
            if attempt == _TOPUP_NO_ATTEMPTS - 1:
                raise
    await session.commit()
    return topup


def _answer_paid_topup(topup_no: str, paid_ref: str, payment_ref: str) -> bool:
    if paid_ref == payment_ref:
        return False
    raise Conflict(
        f"充值单 {topup_no} 已由另一笔支付完成，本次支付需退回",
        code="topup_already_paid",
        details={"payment_ref": paid_ref},
    )


async def credit_topup(session: AsyncSession, topup_id: int, *, amount: int, payment_ref: str) -> bool:
    """Book a top-up's verified payment; True if this call credited it. Does not commit.

    Called by payments inside the transaction that applied the payment. created -> paid is one conditional
    UPDATE; only its winner credits (reason topup, ``ref_id`` = topup_no), so concurrent notifications credit
    once. The same ``payment_ref`` again is False (a repeat); a different one for a paid top-up is 409
    ``topup_already_paid`` (details ``payment_ref``: refund the second payment); an ``amount`` other than the
    top-up's is 409 ``amount_mismatch``.
    """
    if not 1 <= len(payment_ref) <= 64:
        raise InvalidInput("支付单号无效", code="invalid_payment_ref")
    row = (
        await session.execute(
            select(TopUp.topup_no, TopUp.shopper_id, TopUp.amount, TopUp.status, TopUp.payment_ref).where(
                TopUp.id == topup_id
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound("充值单不存在", code="topup_not_found")
    if row.status == "paid":
        return _answer_paid_topup(row.topup_no, row.payment_ref, payment_ref)
    if amount != row.amount:
        raise Conflict(
            "支付金额与充值金额不一致",
            code="amount_mismatch",
            details={"topup_amount": row.amount, "paid_amount": amount},
        )
    result = await session.execute(
        update(TopUp)
        .where(TopUp.id == topup_id, TopUp.status == "created")
        .values(status="paid", payment_ref=payment_ref, paid_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        paid_ref = await session.scalar(select(TopUp.payment_ref).where(TopUp.id == topup_id))
        return _answer_paid_topup(row.topup_no, paid_ref or "", payment_ref)
    await credit(
        session,
        row.shopper_id,
        row.amount,
        reason="topup",
        ref_type="topup",
        ref_id=row.topup_no,
        note=f"充值单 {row.topup_no}",
    )
    return True


# ---- staff adjustments ------------------------------------------------------------------------------------


async def adjust_balance(
    session: AsyncSession, shopper_id: int, amount: int, note: str, staff_id: int
) -> BalanceAdjustmentPublic:
    """A staff correction of ``amount`` fen (signed, not 0, at most ``MAX_ADJUSTMENT`` either way) with a
    required note the shopper sees on their statement; commits. Taking more than the balance is 409
    ``insufficient_balance``. Each call is its own entry (``ref_type`` staff, a fresh ``ref_id``)."""
    if type(amount) is not int or amount == 0:
        raise InvalidInput("调整金额不能为 0", code="invalid_amount")
    if abs(amount) > MAX_ADJUSTMENT:
        raise InvalidInput(f"单次调整不能超过 {MAX_ADJUSTMENT // 100} 元", code="invalid_amount")
    note = note.strip()
    if not note:
        raise InvalidInput("请填写调整说明", code="note_required")
    await queries.require_shopper(session, shopper_id)
    book = credit if amount > 0 else debit
    try:
        entry = await book(
            session,
            shopper_id,
            abs(amount),
            reason="adjustment",
            ref_type="staff",
            ref_id=uuid.uuid4().hex,
            note=note,
            actor_type="staff",
            actor_id=staff_id,
        )
    except AppError:
        await session.rollback()
        raise
    await session.commit()
    view = queries.admin_entry_view(entry)
    return BalanceAdjustmentPublic(shopper_id=shopper_id, balance=entry.balance_after, entry=view)


# ---- the ledger check -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerProblem:
    """One way an account disagrees with its ledger (for tests and the reconciliation report)."""

    account_id: int
    shopper_id: int
    code: str  # balance_mismatch | version_mismatch | chain_broken | sign_wrong
    message: str
    details: dict[str, Any] = field(default_factory=dict)


async def check_ledger(session: AsyncSession, shopper_id: int | None = None) -> list[LedgerProblem]:
    """Verify every account (or one shopper's): balance == sum of its entries, version == number of entries,
    each entry's ``balance_after - amount`` == the previous entry's ``balance_after`` (0 for the first), and
    each entry's sign fits its reason. Returns the problems found; an empty list means the ledger holds."""
    problems: list[LedgerProblem] = []
    totals = (
        select(
            BalanceEntry.account_id,
            func.sum(BalanceEntry.amount).label("total"),
            func.count(BalanceEntry.id).label("entries"),
        )
        .group_by(BalanceEntry.account_id)
        .subquery()
    )
    accounts = select(
        BalanceAccount.id,
        BalanceAccount.shopper_id,
        BalanceAccount.balance,
        BalanceAccount.version,
        totals.c.total,
        totals.c.entries,
    ).outerjoin(totals, totals.c.account_id == BalanceAccount.id)
    if shopper_id is not None:
        accounts = accounts.where(BalanceAccount.shopper_id == shopper_id)
    for account_id, owner_id, balance, version, total, count in (await session.execute(accounts)).all():
        total, count = int(total or 0), int(count or 0)
        if balance != total:
            problems.append(
                LedgerProblem(
                    account_id,
                    owner_id,
                    "balance_mismatch",
                    f"余额 {balance} 分与明细合计 {total} 分不符",
                    {"balance": balance, "entries_total": total},
                )
            )
        if version != count:
            problems.append(
                LedgerProblem(
                    account_id,
                    owner_id,
                    "version_mismatch",
                    f"版本号 {version} 与明细笔数 {count} 不符",
                    {"version": version, "entries": count},
                )
            )

    previous = func.lag(BalanceEntry.balance_after).over(partition_by=BalanceEntry.account_id, order_by=BalanceEntry.id)
    chain = select(
        BalanceEntry.id,
        BalanceEntry.account_id,
        BalanceEntry.amount,
        BalanceEntry.balance_after,
        BalanceEntry.reason,
        previous.label("previous"),
    )
    if shopper_id is not None:
        chain = chain.join(BalanceAccount, BalanceAccount.id == BalanceEntry.account_id).where(
            BalanceAccount.shopper_id == shopper_id
        )
    lines = chain.subquery()
    suspicious = (
        select(lines, BalanceAccount.shopper_id)
        .join(BalanceAccount, BalanceAccount.id == lines.c.account_id)
        .where(
            or_(
                lines.c.balance_after - lines.c.amount != func.coalesce(lines.c.previous, 0),
                and_(lines.c.amount > 0, lines.c.reason.not_in(sorted(CREDIT_REASONS))),
                and_(lines.c.amount < 0, lines.c.reason.not_in(sorted(DEBIT_REASONS))),
            )
        )
        .order_by(lines.c.id)
    )
    for row in (await session.execute(suspicious)).all():
        expected_before = row.previous or 0
        if row.balance_after - row.amount != expected_before:
            problems.append(
                LedgerProblem(
                    row.account_id,
                    row.shopper_id,
                    "chain_broken",
                    f"明细 {row.id} 前余额应为 {expected_before} 分，记为 {row.balance_after - row.amount} 分",
                    {
                        "entry_id": row.id,
                        "expected_before": expected_before,
                        "amount": row.amount,
                        "balance_after": row.balance_after,
                    },
                )
            )
        if row.reason not in (CREDIT_REASONS if row.amount > 0 else DEBIT_REASONS):
            problems.append(
                LedgerProblem(
                    row.account_id,
                    row.shopper_id,
                    "sign_wrong",
                    f"明细 {row.id}「{REASON_LABELS.get(row.reason, row.reason)}」的方向不对",
                    {"entry_id": row.id, "reason": row.reason, "amount": row.amount},
                )
            )
    return problems

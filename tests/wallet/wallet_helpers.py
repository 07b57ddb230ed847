"""Small helpers for the wallet tests: book in a session of its own, read balances and entries afresh."""

from __future__ import annotations

from itertools import count

from sqlalchemy import select

from qingmall.core.db import Database
from qingmall.wallet import service
from qingmall.wallet.models import BalanceAccount, BalanceEntry, TopUp

_refs = count(1)


def next_ref(prefix: str = "ref") -> str:
    return f"{prefix}-{next(_refs)}"


async def fund(db: Database, shopper_id: int, amount: int) -> BalanceEntry:
    """Credit ``amount`` fen as a refund (a reason any test may use) in its own committed transaction."""
    async with db.sessionmaker() as s:
        entry = await service.credit(s, shopper_id, amount, reason="refund", ref_type="refund", ref_id=next_ref())
        await s.commit()
        return entry


async def balance_of(db: Database, shopper_id: int) -> int | None:
    """The account's balance (``None`` when the shopper has no account row)."""
    async with db.sessionmaker() as s:
        return await s.scalar(select(BalanceAccount.balance).where(BalanceAccount.shopper_id == shopper_id))


async def entries_of(db: Database, shopper_id: int) -> list[BalanceEntry]:
    """The shopper's entries, oldest first."""
    async with db.sessionmaker() as s:
        return list(
            (
                await s.scalars(
                    select(BalanceEntry)
                    .join(BalanceAccount, BalanceAccount.id == BalanceEntry.account_id)
                    .where(BalanceAccount.shopper_id == shopper_id)
                    .order_by(BalanceEntry.id)
                )
            ).all()
        )


async def ledger_problems(db: Database, shopper_id: int | None = None) -> list[service.LedgerProblem]:
    async with db.sessionmaker() as s:
        return await service.check_ledger(s, shopper_id)


async def topup_row(db: Database, topup_id: int) -> TopUp:
    async with db.sessionmaker() as s:
        return (await s.execute(select(TopUp).where(TopUp.id == topup_id))).scalar_one()

"""Reading the wallet: balances, statements (keyset pages, newest first) and top-ups, for shoppers and staff.

Nothing here writes. Entries are ordered by id, which within one account is the order the balance changed
in (see ``wallet.models.BalanceEntry``), so a statement read top to bottom replays the balance.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core.errors import NotFound
from qingmall.core.pagination import Page, cursor_id, decode_cursor, encode_cursor
from qingmall.shoppers.models import Shopper
from qingmall.wallet.models import BalanceAccount, BalanceEntry, TopUp
from qingmall.wallet.schemas import (
    BalanceEntryAdminPublic,
    BalanceEntryPublic,
    ShopperBalanceAdminPublic,
    TopUpPublic,
    WalletPublic,
)

REASON_LABELS = {"topup": "充值", "order_payment": "订单支付", "refund": "退款", "adjustment": "人工调整"}
TOPUP_STATUS_LABELS = {"created": "待支付", "paid": "已到账"}


async def get_topup(session: AsyncSession, shopper_id: int, topup_no: str) -> TopUpPublic:
    """One of the shopper's own top-ups; anyone else's is a 404, as if it did not exist."""
    topup = (
        await session.execute(select(TopUp).where(TopUp.topup_no == topup_no, TopUp.shopper_id == shopper_id))
    ).scalar_one_or_none()
    if topup is None:
        raise NotFound("充值单不存在", code="topup_not_found")
    return TopUpPublic(
        topup_no=topup.topup_no,
        amount=topup.amount,
        status=topup.status,
        status_label=TOPUP_STATUS_LABELS.get(topup.status, topup.status),
        created_at=topup.created_at,
        paid_at=topup.paid_at,
    )


async def get_account(session: AsyncSession, shopper_id: int) -> WalletPublic:
    """The shopper's balance in fen; 0 before the first credit (no account row yet)."""
    balance = await session.scalar(select(BalanceAccount.balance).where(BalanceAccount.shopper_id == shopper_id))
    return WalletPublic(balance=balance or 0)


def _entry_fields(entry: BalanceEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "amount": entry.amount,
        "balance_after": entry.balance_after,
        "reason": entry.reason,
        "reason_label": REASON_LABELS.get(entry.reason, entry.reason),
        "ref_type": entry.ref_type,
        "ref_id": entry.ref_id,
        "note": entry.note,
        "created_at": entry.created_at,
    }


def admin_entry_view(entry: BalanceEntry) -> BalanceEntryAdminPublic:
    return BalanceEntryAdminPublic(**_entry_fields(entry), actor_type=entry.actor_type, actor_id=entry.actor_id)


async def _entries_page(
    session: AsyncSession, shopper_id: int, cursor: str | None, limit: int
) -> tuple[list[BalanceEntry], str | None]:
    """A keyset page of the shopper's entries, newest first (by id: the order the balance changed in)."""
    after = decode_cursor(cursor, 1)
    before_id = cursor_id(after[0]) if after is not None else None
    account_id = await session.scalar(select(BalanceAccount.id).where(BalanceAccount.shopper_id == shopper_id))
    if account_id is None:
        return [], None
    query = (
        select(BalanceEntry)
        .where(BalanceEntry.account_id == account_id)
        .order_by(BalanceEntry.id.desc())
        .limit(limit + 1)
    )
    if before_id is not None:
        query = query.where(BalanceEntry.id < before_id)
    rows = list((await session.scalars(query)).all())
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def list_entries(
    session: AsyncSession, shopper_id: int, cursor: str | None = None, limit: int = 20
) -> Page[BalanceEntryPublic]:
    """The shopper's balance statement (余额明细), newest first, each line with its Chinese reason label."""
    rows, next_cursor = await _entries_page(session, shopper_id, cursor, limit)
    items = [BalanceEntryPublic(**_entry_fields(row)) for row in rows]
    return Page[BalanceEntryPublic](items=items, next_cursor=next_cursor)


async def require_shopper(session: AsyncSession, shopper_id: int) -> None:
    if await session.scalar(select(Shopper.id).where(Shopper.id == shopper_id)) is None:
        raise NotFound("顾客不存在", code="shopper_not_found")


async def get_balance_admin(
    session: AsyncSession, shopper_id: int, cursor: str | None = None, limit: int = 20
) -> ShopperBalanceAdminPublic:
    """A shopper's balance and a page of their ledger with who booked each line (merchant view)."""
    await require_shopper(session, shopper_id)
    account = await get_account(session, shopper_id)
    rows, next_cursor = await _entries_page(session, shopper_id, cursor, limit)
    entries = Page[BalanceEntryAdminPublic](items=[admin_entry_view(row) for row in rows], next_cursor=next_cursor)
    return ShopperBalanceAdminPublic(shopper_id=shopper_id, balance=account.balance, entries=entries)

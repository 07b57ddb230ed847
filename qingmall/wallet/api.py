"""Shopper routes of the wallet area (mounted under /api/v1): balance, statement, a top-up's state.

Creating a top-up (``POST /wallet/topups``) lives with payments, because it also starts the payment.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from qingmall.core.db import SessionDep
from qingmall.core.pagination import Page
from qingmall.shoppers.deps import CurrentShopper
from qingmall.wallet import queries
from qingmall.wallet.schemas import BalanceEntryPublic, TopUpPublic, WalletPublic

router = APIRouter(tags=["wallet"])

TopUpNo = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z]+$")]


@router.get("/wallet", summary="我的余额（单位：分）")
async def get_wallet(shopper: CurrentShopper, session: SessionDep) -> WalletPublic:
    return await queries.get_account(session, shopper.id)


@router.get("/wallet/entries", summary="余额明细（最新在前）")
async def list_wallet_entries(
    shopper: CurrentShopper,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> Page[BalanceEntryPublic]:
    return await queries.list_entries(session, shopper.id, cursor=cursor, limit=limit)


@router.get("/wallet/topups/{topup_no}", summary="充值单状态")
async def get_topup(topup_no: TopUpNo, shopper: CurrentShopper, session: SessionDep) -> TopUpPublic:
    return await queries.get_topup(session, shopper.id, topup_no)

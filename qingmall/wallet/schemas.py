"""Request and response shapes of the wallet (余额) area. Amounts are integer fen.

An adjustment's amount is a strict JSON integer (``"100"``, ``1.5`` and ``true`` are refused, never coerced),
signed, at most ``MAX_ADJUSTMENT`` either way; zero is refused by the service (``invalid_amount``).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from qingmall.core.pagination import Page
from qingmall.core.text import multi_line

MIN_TOPUP = 1  # 0.01 元
MAX_TOPUP = 500_000  # 5,000 元 per top-up
MAX_ADJUSTMENT = 10_000_000  # 100,000 元 per manual adjustment, either way

AdjustmentNote = multi_line(200)


class TopUpCreate(BaseModel):
    """A top-up of ``amount`` fen (0.01 to 5,000 元)."""

    model_config = ConfigDict(extra="forbid")

    amount: int = Field(strict=True, ge=MIN_TOPUP, le=MAX_TOPUP)


class BalanceAdjustmentCreate(BaseModel):
    """A staff correction: positive adds to the balance, negative takes away. The note is shown to the shopper."""

    model_config = ConfigDict(extra="forbid")

    amount: int = Field(strict=True, ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT)
    note: AdjustmentNote  # emptiness (after trimming) is refused by the service: ``note_required``


class WalletPublic(BaseModel):
    """A shopper's stored value in fen (0 before the first top-up)."""

    balance: int


class BalanceEntryPublic(BaseModel):
    """One line of the shopper's balance statement (余额明细): credits positive, debits negative."""

    id: int
    amount: int
    balance_after: int
    reason: str
    reason_label: str
    ref_type: str
    ref_id: str
    note: str
    created_at: datetime


class BalanceEntryAdminPublic(BalanceEntryPublic):
    """A ledger line as the merchant sees it, with who booked it."""

    actor_type: str
    actor_id: int | None


class ShopperBalanceAdminPublic(BaseModel):
    shopper_id: int
    balance: int
    entries: Page[BalanceEntryAdminPublic]


class BalanceAdjustmentPublic(BaseModel):
    """The booked adjustment and the balance right after it."""

    shopper_id: int
    balance: int
    entry: BalanceEntryAdminPublic


class TopUpPublic(BaseModel):
    topup_no: str
    amount: int
    status: str
    status_label: str
    created_at: datetime
    paid_at: datetime | None

"""Request and response shapes of the shop settings (店铺设置).

Bounds, each a business rule the console explains next to its field:
- name 1..30 characters; service phone empty or 5..20 digits and hyphens (``400-820-8820``, ``010-12345678``);
- unpaid orders are cancelled after 5..1440 minutes (a day at most: stock is held meanwhile);
- shipped orders complete by themselves after 1..30 days;
- after-sales stay open 7..90 days after completion (7: the statutory 七天无理由退货 must fit);
- at least one payment channel of ``wechat`` / ``alipay`` / ``balance``.
Whether the logo is one of the shop's uploads depends on settings, so ``shop.service`` checks it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from qingmall.core.text import single_line

PaymentChannel = Literal["wechat", "alipay", "balance"]
PAYMENT_CHANNELS: tuple[str, ...] = ("wechat", "alipay", "balance")
CHANNEL_LABELS = {"wechat": "微信支付", "alipay": "支付宝", "balance": "余额支付"}

UNPAID_TIMEOUT_MINUTES = (5, 1440)
AUTO_COMPLETE_DAYS = (1, 30)
AFTER_SALE_DAYS = (7, 90)


def _unique_channels(channels: list[str]) -> list[str]:
    if len(set(channels)) != len(channels):
        raise ValueError("支付方式重复")
    return [channel for channel in PAYMENT_CHANNELS if channel in channels]  # a stable order


ShopName = single_line(30, min_length=1)
LogoUrl = Annotated[str, StringConstraints(strip_whitespace=True, max_length=512)]
ServicePhone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=20, pattern=r"^$|^[0-9][0-9-]{3,18}[0-9]$")
]
UnpaidTimeout = Annotated[int, Field(ge=UNPAID_TIMEOUT_MINUTES[0], le=UNPAID_TIMEOUT_MINUTES[1])]
AutoCompleteDays = Annotated[int, Field(ge=AUTO_COMPLETE_DAYS[0], le=AUTO_COMPLETE_DAYS[1])]
AfterSaleDays = Annotated[int, Field(ge=AFTER_SALE_DAYS[0], le=AFTER_SALE_DAYS[1])]
Channels = Annotated[list[PaymentChannel], Field(min_length=1, max_length=3), AfterValidator(_unique_channels)]


class ShopSettingsUpdate(BaseModel):
    """Only the fields sent change (``null`` = leave as is); ``logo_url`` / ``service_phone`` ``""`` clear them."""

    model_config = ConfigDict(extra="forbid")

    name: ShopName | None = None
    logo_url: LogoUrl | None = None
    service_phone: ServicePhone | None = None
    order_unpaid_timeout_minutes: UnpaidTimeout | None = None
    order_auto_complete_days: AutoCompleteDays | None = None
    after_sale_days: AfterSaleDays | None = None
    payment_channels: Channels | None = None


class ShopSettingsPublic(BaseModel):
    """The effective settings as the console edits them.

    ``is_saved`` is false until the owner first saves (the values are then the environment's defaults).
    ``available_payment_channels`` are the channels this deployment has configured (balance always): an
    enabled channel outside it is not offered to shoppers until its gateway is configured.
    """

    name: str
    logo_url: str
    logo_thumbnail_url: str
    service_phone: str
    order_unpaid_timeout_minutes: int
    order_auto_complete_days: int
    after_sale_days: int
    payment_channels: list[str]
    available_payment_channels: list[str]
    is_saved: bool
    updated_at: datetime | None


class ShopProfilePublic(BaseModel):
    """``GET /api/v1/shop``: what the storefront shows and which channels it may offer (enabled and configured)."""

    name: str
    logo_url: str
    logo_thumbnail_url: str
    service_phone: str
    payment_channels: list[str]

"""Shop settings (店铺设置): what the owner edits, and the values other areas read when they apply them.

Invariants:
- One row, ``id = 1``. Without it every value is the environment's (``qingmall.settings``) and the name is
  ``DEFAULT_NAME``; the first save stores every field, after which the row wins.
- The settings take effect where they are used, read from the row on every use (one primary-key lookup of one
  column; no cache, so a save is seen by the very next request of every process):
  ``checkout`` sets new orders' ``pay_deadline`` from ``unpaid_timeout_minutes``, ``orders.ship_order`` sets
  ``auto_complete_at`` from ``auto_complete_days``, ``aftersales`` checks ``after_sale_days``, and every
  payment start (WeChat Pay JSAPI and H5, Alipay, balance, friend pays, top-ups by WeChat Pay) calls
  ``require_payment_channel`` first. Orders already placed keep their deadlines.
- The logo is an image uploaded through this shop (``core.storage.stored_image_key``) or empty.
- At least one payment channel stays enabled (schema and a CHECK constraint).
- Every save is recorded by the audit log middleware like any merchant write (``staff.audit``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core.errors import Conflict, InvalidInput
from qingmall.core.storage import stored_image_key, thumbnail_url
from qingmall.payments.gateways import Gateways, PaymentChannelDisabled
from qingmall.settings import get_settings
from qingmall.shop.models import SETTINGS_ROW_ID, ShopSettings
from qingmall.shop.schemas import (
    CHANNEL_LABELS,
    PAYMENT_CHANNELS,
    ShopProfilePublic,
    ShopSettingsPublic,
    ShopSettingsUpdate,
)

DEFAULT_NAME = "轻商城"
_CHANNEL_COLUMNS = {
    "wechat": ShopSettings.wechat_pay_enabled,
    "alipay": ShopSettings.alipay_enabled,
    "balance": ShopSettings.balance_pay_enabled,
}


# ---- what other areas read --------------------------------------------------------------------------------


async def _stored(session: AsyncSession, column: Any) -> Any:
    return await session.scalar(select(column).where(ShopSettings.id == SETTINGS_ROW_ID))


async def unpaid_timeout_minutes(session: AsyncSession) -> int:
    """Minutes a new order may stay unpaid before it is cancelled."""
    stored = await _stored(session, ShopSettings.order_unpaid_timeout_minutes)
    return get_settings().order_unpaid_timeout_minutes if stored is None else stored


async def auto_complete_days(session: AsyncSession) -> int:
    """Days after shipping at which an order completes by itself (自动确认收货)."""
    stored = await _stored(session, ShopSettings.order_auto_complete_days)
    return get_settings().order_auto_complete_days if stored is None else stored


async def after_sale_days(session: AsyncSession) -> int:
    """Days after completion during which a shopper may still file an after-sale."""
    stored = await _stored(session, ShopSettings.after_sale_days)
    return get_settings().after_sale_days if stored is None else stored


async def require_payment_channel(session: AsyncSession, channel: str) -> None:
    """Refuse paying by a channel the owner disabled: 409 ``payment_channel_disabled`` (as an unconfigured one)."""
    enabled = await _stored(session, _CHANNEL_COLUMNS[channel])
    if enabled is False:
        raise PaymentChannelDisabled(
            f"本店已停用{CHANNEL_LABELS[channel]}，请选择其他支付方式", details={"channel": channel}
        )


def available_channels(gateways: Gateways) -> list[str]:
    """The channels this deployment can take: a configured gateway each, balance always."""
    configured = {"wechat": gateways.wechatpay is not None, "alipay": gateways.alipay is not None, "balance": True}
    return [channel for channel in PAYMENT_CHANNELS if configured[channel]]


# ---- the console and the storefront -----------------------------------------------------------------------


def _defaults() -> dict[str, Any]:
    settings = get_settings()
    return {
        "name": DEFAULT_NAME,
        "logo_url": "",
        "service_phone": "",
        "order_unpaid_timeout_minutes": settings.order_unpaid_timeout_minutes,
        "order_auto_complete_days": settings.order_auto_complete_days,
        "after_sale_days": settings.after_sale_days,
        "wechat_pay_enabled": True,
        "alipay_enabled": True,
        "balance_pay_enabled": True,
    }


def _enabled(row: ShopSettings | None) -> list[str]:
    if row is None:
        return list(PAYMENT_CHANNELS)
    return [channel for channel in PAYMENT_CHANNELS if getattr(row, _CHANNEL_COLUMNS[channel].key)]


def _public(row: ShopSettings | None, gateways: Gateways) -> ShopSettingsPublic:
    values = _defaults() if row is None else {key: getattr(row, key) for key in _defaults()}
    return ShopSettingsPublic(
        name=values["name"],
        logo_url=values["logo_url"],
        logo_thumbnail_url=thumbnail_url(values["logo_url"]),
        service_phone=values["service_phone"],
        order_unpaid_timeout_minutes=values["order_unpaid_timeout_minutes"],
        order_auto_complete_days=values["order_auto_complete_days"],
        after_sale_days=values["after_sale_days"],
        payment_channels=_enabled(row),
        available_payment_channels=available_channels(gateways),
        is_saved=row is not None,
        updated_at=row.updated_at if row is not None else None,
    )


async def get_shop_settings(session: AsyncSession, gateways: Gateways) -> ShopSettingsPublic:
    row = await session.get(ShopSettings, SETTINGS_ROW_ID)
    return _public(row, gateways)


async def get_shop_profile(session: AsyncSession, gateways: Gateways) -> ShopProfilePublic:
    """The storefront's view: name, logo, phone and the channels that are both enabled and configured."""
    row = await session.get(ShopSettings, SETTINGS_ROW_ID)
    settings = _public(row, gateways)
    return ShopProfilePublic(
        name=settings.name,
        logo_url=settings.logo_url,
        logo_thumbnail_url=settings.logo_thumbnail_url,
        service_phone=settings.service_phone,
        payment_channels=[c for c in settings.payment_channels if c in settings.available_payment_channels],
    )


def _check_logo(url: str) -> None:
    if url and stored_image_key(url) is None:
        raise InvalidInput(
            "标志图片地址无效：请先通过「上传图片」上传到本店，再使用返回的图片地址",
            code="invalid_image_url",
            details={"field": "logo_url", "url": url[:512]},
        )


async def update_shop_settings(
    session: AsyncSession, data: ShopSettingsUpdate, gateways: Gateways
) -> ShopSettingsPublic:
    """Merge the fields sent into the effective settings and store them all; commits.

    Two first saves racing for the one row: the loser gets 409 ``settings_conflict`` and changes nothing.
    """
    changes = {key: value for key, value in data.model_dump(exclude_unset=True).items() if value is not None}
    if "logo_url" in changes:
        _check_logo(changes["logo_url"])
    channels = changes.pop("payment_channels", None)
    if channels is not None:
        for channel, column in _CHANNEL_COLUMNS.items():
            changes[column.key] = channel in channels
    row = await session.get(ShopSettings, SETTINGS_ROW_ID, with_for_update=True)
    if row is None:
        row = ShopSettings(id=SETTINGS_ROW_ID, **_defaults())
        session.add(row)
    for key, value in changes.items():
        setattr(row, key, value)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("店铺设置同时被修改，请刷新后重试", code="settings_conflict") from exc
    await session.refresh(row)
    return _public(row, gateways)

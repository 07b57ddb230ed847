"""The shop's own settings: name, logo, service phone, order timings and the payment channels it accepts."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from qingmall.core.db import Base, TimestampMixin

SETTINGS_ROW_ID = 1


class ShopSettings(TimestampMixin, Base):
    """The one row (``id = 1``) of settings the owner edits in the console (店铺设置).

    No row means "never saved": every value then comes from the environment (``qingmall.settings``), so a
    fresh install behaves exactly as before. The first save stores every field (the console always shows
    the effective values), and from then on the row wins over the environment.

    - ``order_unpaid_timeout_minutes`` sets ``pay_deadline`` of new orders (orders already placed keep theirs).
    - ``order_auto_complete_days`` sets ``auto_complete_at`` when an order is shipped.
    - ``after_sale_days``: after-sales may be filed for this many days after an order completes.
    - ``*_enabled``: the channels shoppers may pay with; a disabled one answers 409 ``payment_channel_disabled``.
      At least one stays enabled (checked by ``shop.service``).
    """

    __tablename__ = "shop_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(30))
    logo_url: Mapped[str] = mapped_column(String(512), default="")
    service_phone: Mapped[str] = mapped_column(String(20), default="")
    order_unpaid_timeout_minutes: Mapped[int] = mapped_column(Integer)
    order_auto_complete_days: Mapped[int] = mapped_column(Integer)
    after_sale_days: Mapped[int] = mapped_column(Integer)
    wechat_pay_enabled: Mapped[bool] = mapped_column(default=True)
    alipay_enabled: Mapped[bool] = mapped_column(default=True)
    balance_pay_enabled: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint(f"id = {SETTINGS_ROW_ID}", name="single_row"),
        CheckConstraint("wechat_pay_enabled OR alipay_enabled OR balance_pay_enabled", name="one_payment_channel"),
    )

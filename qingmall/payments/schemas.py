"""Payment schemas at the edge."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from qingmall.core.text import single_line


class WeChatPayParamsPublic(BaseModel):
    """Exactly what the mini-program passes to ``wx.requestPayment`` (field names as WeChat spells them)."""

    model_config = ConfigDict(populate_by_name=True)

    app_id: str = Field(alias="appId")
    time_stamp: str = Field(alias="timeStamp")
    nonce_str: str = Field(alias="nonceStr")
    package: str
    sign_type: str = Field(alias="signType")
    pay_sign: str = Field(alias="paySign")


class WeChatH5PaymentCreate(BaseModel):
    """Pay in a mobile browser. ``redirect_url``: where WeChat returns the shopper after paying, a path of this
    shop (``/pages/order/detail?no=...``) or a URL of its own origin; other hosts are refused (400)."""

    model_config = ConfigDict(extra="forbid")

    redirect_url: str | None = Field(default=None, max_length=512)


class WeChatH5PaymentPublic(BaseModel):
    """The WeChat Pay cashier to send the browser to (valid 5 minutes: tap "pay" again for a new one)."""

    h5_url: str


class TopUpPaymentPublic(BaseModel):
    """The top-up created and the parameters to pay it in the mini-program."""

    model_config = ConfigDict(populate_by_name=True)

    topup_no: str
    amount: int
    wechat_pay: WeChatPayParamsPublic


class AlipayPaymentCreate(BaseModel):
    """Pay an order with Alipay in the mini-program. ``installments`` 3, 6 or 12 pays by Huabei (0: at once).
    Who bears the Huabei fee is the shop's setting (``QINGMALL_ALIPAY_HUABEI_SELLER_PERCENT``), never the
    shopper's choice. The payer is named by exactly one of ``auth_code`` (what ``my.getAuthCode({scopes:
    'auth_base'})`` gave the mini-program; the server exchanges it with ``alipay.system.oauth.token``) or
    ``buyer_open_id`` (an open id the client already holds from an earlier exchange)."""

    model_config = ConfigDict(extra="forbid")

    installments: Literal[0, 3, 6, 12] = 0
    buyer_open_id: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{8,128}$")] | None = None
    auth_code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{8,128}$")] | None = None

    @model_validator(mode="after")
    def _one_payer(self) -> AlipayPaymentCreate:
        if (self.buyer_open_id is None) == (self.auth_code is None):
            raise ValueError("buyer_open_id 和 auth_code 必须且只能提供一个")
        return self


class AlipayTradePublic(BaseModel):
    """The Alipay trade to pay: the mini-program passes ``trade_no`` to ``my.tradePay({tradeNO})``."""

    trade_no: str
    out_trade_no: str
    amount: int
    installments: int
    seller_percent: int


class FriendPayLinkCreate(BaseModel):
    """An optional line to the friend (shown on the pay-for-me page)."""

    message: single_line(60) = ""


class FriendPayLinkPublic(BaseModel):
    """What the requester shares: the token goes into the mini-program share path / H5 link."""

    token: str
    share_path: str
    expires_at: datetime
    message: str


class FriendPayLinePublic(BaseModel):
    title: str
    spec_text: str
    image_url: str
    unit_price: int
    quantity: int


class FriendPaySummaryPublic(BaseModel):
    """The order as a friend sees it: goods and amounts, no address, no phone, no order number."""

    status: str
    status_label: str
    requester_nickname: str
    requester_avatar_url: str
    message: str
    lines: list[FriendPayLinePublic]
    goods_amount: int
    shipping_fee: int
    discount_amount: int
    payable_amount: int
    expires_at: datetime
    pay_countdown_seconds: int
    paid_by_you: bool


class ChannelTotals(BaseModel):
    channel: str
    payments: int = 0
    paid_amount: int = 0
    refunds: int = 0
    refunded_amount: int = 0


class Mismatch(BaseModel):
    kind: str
    message: str
    order_no: str = ""
    out_trade_no: str = ""
    amount: int = 0
    details: dict[str, Any] = {}


class ReconciliationReport(BaseModel):
    """One day's totals and every mismatch found (empty when the books agree)."""

    day: date
    generated_at: datetime
    orders_paid: int
    orders_paid_amount: int
    channels: list[ChannelTotals]
    mismatches: list[Mismatch]


class PaymentAttemptAdminPublic(BaseModel):
    """One payment attempt as staff see it on the order page."""

    model_config = ConfigDict(from_attributes=True)

    channel: str
    out_trade_no: str
    amount: int
    refunded_amount: int
    status: str
    transaction_id: str | None
    payer_shopper_id: int | None
    installments: int
    seller_percent: int
    created_at: datetime
    paid_at: datetime | None


class RefundAdminPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    channel: str
    out_refund_no: str
    amount: int
    reason: str
    status: str
    after_sale_id: int | None
    created_at: datetime
    succeeded_at: datetime | None


class NotificationAdminPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    channel: str
    out_trade_no: str
    transaction_id: str
    outcome: str
    summary: dict[str, Any]
    received_at: datetime


class OrderPaymentsAdminPublic(BaseModel):
    """Everything money-related about one order: attempts, refunds, and the notifications received."""

    order_no: str
    attempts: list[PaymentAttemptAdminPublic]
    refunds: list[RefundAdminPublic]
    notifications: list[NotificationAdminPublic]


class ReconcileOrderPublic(BaseModel):
    """What asking the gateways about an order found (``applied`` / ``duplicate`` / ``not_paid`` / ...)."""

    order_no: str
    outcomes: dict[str, str]

"""Request and response shapes of the after-sales area.

Bounds: 1-50 distinct lines of 1-9999 units, a reason from ``states.REASON_LABELS``, a description of at
most 200 characters, at most 6 photos (whether each is an image this shopper uploaded is checked by the
service), an idempotency key of 8-64 safe characters. Text is trimmed and refuses control characters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from qingmall.core.storage import WithThumbnail
from qingmall.core.text import SINGLE_LINE_PATTERN, multi_line, single_line
from qingmall.orders.schemas import CarrierCode, CarrierName, TrackingNo

Kind = Literal["refund_only", "return_refund"]
ReasonCode = Literal[
    "no_longer_needed", "ordered_by_mistake", "damaged", "quality_issue", "not_as_described", "not_received", "other"
]
StatusFilter = Literal[
    "all", "open", "pending_review", "approved", "rejected", "withdrawn", "returning", "refunding", "refunded"
]
AfterSaleNo = Annotated[str, StringConstraints(pattern=r"^\d{8,32}$")]
PhotoUrl = Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=SINGLE_LINE_PATTERN)]
IdempotencyKey = Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Id = Annotated[int, Field(ge=1, le=2**62)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AfterSaleLineRequest(Strict):
    order_line_id: Id
    quantity: int = Field(ge=1, le=9999)


class AfterSaleQuoteRequest(Strict):
    """What the shopper wants back: the kind and which units of which lines (each line at most once)."""

    kind: Kind
    lines: Annotated[list[AfterSaleLineRequest], Field(min_length=1, max_length=50)]

    @field_validator("lines")
    @classmethod
    def _distinct(cls, lines: list[AfterSaleLineRequest]) -> list[AfterSaleLineRequest]:
        ids = [line.order_line_id for line in lines]
        if len(set(ids)) != len(ids):
            raise ValueError("同一件商品只能出现一次")
        return lines


class AfterSaleCreate(AfterSaleQuoteRequest):
    """A request for an after-sale. ``idempotency_key`` is made by the client per request: a retry with the
    same key returns the same after-sale (200); the same key with a different body is 409
    ``idempotency_key_reused``."""

    reason_code: ReasonCode
    description: multi_line(200) = ""
    photos: Annotated[list[PhotoUrl], Field(max_length=6)] = Field(default_factory=list)
    idempotency_key: IdempotencyKey


class ReturnShipping(Strict):
    """The waybill of the parcel the shopper sends back."""

    carrier_code: CarrierCode
    carrier_name: CarrierName
    tracking_no: TrackingNo


RefundTo = Literal["original", "balance"]


class AfterSaleApprove(Strict):
    """``note`` is shown to the shopper (e.g. the return address and recipient). ``refund_to``: the channel
    that took the money (default) or the payer's balance."""

    note: multi_line(200) = ""
    refund_to: RefundTo = "original"


class AfterSaleReject(Strict):
    reason: multi_line(200, min_length=1)


class AfterSaleReceive(Strict):
    note: multi_line(200) = ""
    refund_to: RefundTo = "original"


class AfterSaleRetryRefund(Strict):
    """Retry through the original channel, or send what is left to the payer's balance instead."""

    refund_to: RefundTo = "original"


class AdminAfterSaleFilters(Strict):
    """Merchant list query; unknown parameters are refused, so a misspelt filter never lists everything."""

    status: StatusFilter = "all"
    kind: Kind | None = None
    order_no: Annotated[str, StringConstraints(pattern=r"^\d{8,32}$")] | None = None
    shopper_id: Id | None = None
    cursor: single_line(200) | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20


# ---- responses ----------------------------------------------------------------------------------------------


class QuoteLinePublic(WithThumbnail):
    order_line_id: int
    title: str
    spec_text: str
    image_url: str
    quantity: int
    refundable_quantity: int
    amount: int


class AfterSaleQuotePublic(BaseModel):
    """What an after-sale of these units would refund: per line, the shipping fee, and the total (fen)."""

    kind: str
    lines: list[QuoteLinePublic]
    goods_refund: int
    shipping_refund: int
    refund_amount: int


class AfterSaleLinePublic(WithThumbnail):
    order_line_id: int
    sku_id: int
    title: str
    spec_text: str
    image_url: str
    unit_price: int
    quantity: int
    amount: int


class AfterSaleEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event: str
    from_status: str
    to_status: str
    actor_type: str
    note: str
    created_at: datetime


class AfterSaleEventAdminPublic(AfterSaleEventPublic):
    actor_id: int | None


class ReturnShippingPublic(BaseModel):
    carrier_code: str
    carrier_name: str
    tracking_no: str
    shipped_at: datetime | None


class AfterSaleSummaryPublic(BaseModel):
    """An after-sale card in a list."""

    after_sale_no: str
    order_no: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    refund_amount: int
    item_count: int
    first_title: str
    thumbnail: str
    created_at: datetime


class AfterSaleAdminSummaryPublic(AfterSaleSummaryPublic):
    id: int
    shopper_id: int
    reason_code: str
    reason_label: str
    refund_state: str


class AfterSaleDetailPublic(BaseModel):
    """One after-sale for its shopper: what is refunded, why, where it stands, and what they can do next."""

    after_sale_no: str
    order_no: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    reason_code: str
    reason_label: str
    description: str
    photos: list[str]
    lines: list[AfterSaleLinePublic]
    goods_refund: int
    shipping_refund: int
    refund_amount: int
    refund_state: str
    reject_reason: str
    merchant_note: str
    return_shipping: ReturnShippingPublic | None
    timeline: list[AfterSaleEventPublic]
    can_withdraw: bool
    can_submit_return: bool
    created_at: datetime
    approved_at: datetime | None
    received_at: datetime | None
    refunded_at: datetime | None
    closed_at: datetime | None


class RefundRecordPublic(BaseModel):
    """A refund the payments area recorded for this after-sale (one per payment channel used)."""

    out_refund_no: str
    channel: str
    amount: int
    status: str
    created_at: datetime
    succeeded_at: datetime | None


class AfterSaleAdminDetailPublic(AfterSaleDetailPublic):
    id: int
    order_id: int
    shopper_id: int
    order_status_at_open: str
    stock_returned: bool
    timeline: list[AfterSaleEventAdminPublic]  # type: ignore[assignment]
    refunds: list[RefundRecordPublic]


class AfterSaleActionPublic(BaseModel):
    """The after-sale after an action; ``already`` is true when the action had been done before (a no-op)."""

    already: bool
    after_sale: AfterSaleDetailPublic


class AfterSaleAdminActionPublic(BaseModel):
    already: bool
    after_sale: AfterSaleAdminDetailPublic

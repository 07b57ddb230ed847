"""Order schemas: list cards, details with timeline and logistics, and the inputs of order actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from qingmall.checkout.schemas import AddressSnapshotPublic, DiscountPublic

ShopperStatusFilter = Literal["all", "pending_payment", "paid", "shipped", "completed", "cancelled"]
AdminStatusFilter = Literal[
    "all", "pending_payment", "paid", "shipped", "completed", "cancelled", "refunding", "refunded"
]
OrderNo = Annotated[str, StringConstraints(pattern=r"^\d{8,32}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderCancel(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""


class StaffOrderCancel(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class OrderShip(Strict):
    carrier_code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_]{1,32}$")]
    carrier_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    tracking_no: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9-]{4,64}$")]


class AdminOrderFilters(Strict):
    """Merchant list query: filters (dates are Shanghai calendar days, both ends inclusive) and the page.

    Unknown query parameters are refused, so a misspelt filter never silently returns every order.
    """

    status: AdminStatusFilter = "all"
    order_no: OrderNo | None = None
    shopper_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    created_from: date | None = None
    created_to: date | None = None
    keyword: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] | None = None
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20

    @model_validator(mode="after")
    def _range(self) -> AdminOrderFilters:
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("开始日期不能晚于结束日期")
        return self


class OrderLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    spu_id: int
    sku_id: int
    title: str
    spec_text: str
    image_url: str
    unit_price: int
    quantity: int
    goods_amount: int
    discount_amount: int
    payable_amount: int
    weight_grams: int


class OrderEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event: str
    from_status: str
    to_status: str
    actor_type: str
    note: str
    created_at: datetime


class OrderEventAdminPublic(OrderEventPublic):
    actor_id: int | None


class LogisticsPublic(BaseModel):
    carrier_code: str
    carrier_name: str
    tracking_no: str
    shipped_at: datetime | None


class AdminAddressPublic(AddressSnapshotPublic):
    """The merchant sees the full phone (decrypted from the order's snapshot) to ship the parcel."""

    phone: str
    postal_code: str = ""


class OrderSummaryPublic(BaseModel):
    """An order card in the shopper's list: amounts and up to four line thumbnails."""

    order_no: str
    status: str
    status_label: str
    item_count: int
    line_count: int
    goods_amount: int
    shipping_fee: int
    discount_amount: int
    payable_amount: int
    thumbnails: list[str]
    first_title: str
    created_at: datetime
    pay_deadline: datetime | None


class OrderAdminSummaryPublic(OrderSummaryPublic):
    id: int
    shopper_id: int
    recipient_name: str
    refund_required: bool


class OrderDetailPublic(BaseModel):
    """One order for its shopper: lines, amounts, address, timeline, payment countdown and logistics."""

    order_no: str
    status: str
    status_label: str
    lines: list[OrderLinePublic]
    goods_amount: int
    shipping_fee: int
    discounts: list[DiscountPublic]
    discount_amount: int
    payable_amount: int
    paid_amount: int
    item_count: int
    address: AddressSnapshotPublic | None
    delivery_method: str
    remark: str
    timeline: list[OrderEventPublic]
    pay_deadline: datetime | None
    pay_countdown_seconds: int
    logistics: LogisticsPublic | None
    auto_complete_at: datetime | None
    cancel_reason: str
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None


class OrderAdminDetailPublic(OrderDetailPublic):
    id: int
    shopper_id: int
    address: AdminAddressPublic | None  # type: ignore[assignment]
    timeline: list[OrderEventAdminPublic]  # type: ignore[assignment]
    cancelled_by: str
    payment_ref: str
    refund_required: bool


class OrderActionPublic(BaseModel):
    """The order after an action; ``already`` is true when the action had been done before (a no-op)."""

    already: bool
    order: OrderDetailPublic


class OrderAdminActionPublic(BaseModel):
    already: bool
    order: OrderAdminDetailPublic


class OrderCountsPublic(BaseModel):
    """Badge counts of the shopper's orders by status."""

    pending_payment: int = 0
    paid: int = 0
    shipped: int = 0
    completed: int = 0
    cancelled: int = 0
    refunding: int = 0

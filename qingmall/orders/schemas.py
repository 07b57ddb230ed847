"""Order schemas: list cards, details with timeline and logistics, and the inputs of order actions.

Every text input is stripped and refuses control characters (``core.text``): PostgreSQL rejects NUL, and
a reason or waybill is shown to people and printed on labels.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from qingmall.checkout.schemas import AddressSnapshotPublic, DiscountPublic
from qingmall.core.storage import WithThumbnail
from qingmall.core.text import single_line

ShopperStatusFilter = Literal[
    "all", "pending_payment", "paid", "shipped", "completed", "cancelled", "refunding", "refunded"
]
AdminStatusFilter = Literal[
    "all", "pending_payment", "paid", "shipped", "completed", "cancelled", "refunding", "refunded"
]
OrderNo = Annotated[str, StringConstraints(pattern=r"^\d{8,32}$")]
CancelReason = single_line(100)
StaffCancelReason = single_line(100, min_length=1)
CarrierCode = Annotated[single_line(32, min_length=1), StringConstraints(pattern=r"^[A-Za-z0-9_]{1,32}$")]
CarrierName = single_line(64, min_length=1)
TrackingNo = Annotated[single_line(40, min_length=4), StringConstraints(pattern=r"^[A-Za-z0-9-]{4,40}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderCancel(Strict):
    reason: CancelReason = ""


class StaffOrderCancel(Strict):
    reason: StaffCancelReason


class OrderShip(Strict):
    """The waybill: a carrier code (``SF``, ``YTO``), the carrier's name, and a tracking number of 4-40
    letters, digits and dashes."""

    carrier_code: CarrierCode
    carrier_name: CarrierName
    tracking_no: TrackingNo


class AdminOrderFilters(Strict):
    """Merchant list query: filters (dates are Shanghai calendar days, both ends inclusive) and the page.

    Unknown query parameters are refused, so a misspelt filter never silently returns every order.
    """

    status: AdminStatusFilter = "all"
    order_no: OrderNo | None = None
    shopper_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    created_from: date | None = None
    created_to: date | None = None
    keyword: single_line(50, min_length=1) | None = None
    phone: single_line(20, min_length=1) | None = None  # a full mainland mobile; checked by the query
    cursor: single_line(200) | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20

    @model_validator(mode="after")
    def _range(self) -> AdminOrderFilters:
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("开始日期不能晚于结束日期")
        return self


class PickingListFilters(AdminOrderFilters):
    """Which orders a picking list (拣货单) covers: the given ``order_no`` values (at most 200), or else every
    order matching the list filters, a keyset page of at most 200 (``next_cursor`` for the rest)."""

    order_no: Annotated[list[OrderNo], Field(max_length=200)] = []  # type: ignore[assignment]
    limit: Annotated[int, Field(ge=1, le=200)] = 200


class BulkShipRow(Strict):
    """One row of a bulk shipment. Fields are only size-bounded here: each row is validated on its own
    (as ``OrderShip``), so one malformed waybill is refused in its row instead of failing the whole batch."""

    order_no: single_line(64)
    carrier_code: single_line(64)
    carrier_name: single_line(64)
    tracking_no: single_line(64)


class BulkShip(Strict):
    rows: Annotated[list[BulkShipRow], Field(min_length=1, max_length=200)]


class BulkShipResult(BaseModel):
    """``status``: ``shipped`` (this row shipped it), ``already`` (shipped before with this very waybill: ok,
    nothing changed) or ``refused`` with ``code`` and ``message`` (the same ones the single ship answers)."""

    row: int
    order_no: str
    status: Literal["shipped", "already", "refused"]
    code: str = ""
    message: str = ""


class BulkShipPublic(BaseModel):
    results: list[BulkShipResult]
    shipped: int
    already: int
    refused: int


class PickingLinePublic(BaseModel):
    sku_id: int
    barcode: str
    title: str
    spec_text: str
    quantity: int


class PickingOrderPublic(BaseModel):
    """One order's section of the picking list. The phone is masked: a picking sheet goes round the warehouse."""

    order_no: str
    status: str
    created_at: datetime
    recipient_name: str
    phone_masked: str
    full_address: str
    remark: str
    item_count: int
    lines: list[PickingLinePublic]


class PickingSkuPublic(PickingLinePublic):
    """One SKU's total over the orders of the list (``order_count`` orders contain it)."""

    order_count: int


class PickingListPublic(BaseModel):
    skus: list[PickingSkuPublic]
    orders: list[PickingOrderPublic]
    total_quantity: int
    next_cursor: str | None


class OrderLinePublic(WithThumbnail):
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
    refunded_quantity: int = 0
    reviewed: bool = False  # the shopper has reviewed this line (评价 is done)


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
    unreviewed_count: int = 0  # lines of a completed order still waiting for the shopper's review (待评价)


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

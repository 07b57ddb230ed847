"""Checkout schemas: the preview request, the order-create request, and the price breakdown in fen."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

MAX_LINES = 100

Id = Annotated[int, Field(ge=1, le=2**62)]
Quantity = Annotated[int, Field(ge=1, le=999)]

# Delivery methods: only express for now. Pickup ("pickup", with a store id) and same-city delivery
# ("same_city", priced by distance) will join this Literal with their own request fields and fee rules.
DeliveryMethod = Literal["express"]
DELIVERY_METHOD_LABELS = {"express": "快递配送"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckoutItem(Strict):
    sku_id: Id
    quantity: Quantity


class CheckoutRequest(Strict):
    """What to buy: ``items`` ("buy now") or ``from_cart: true`` (the ticked cart lines), never both."""

    items: Annotated[list[CheckoutItem], Field(min_length=1, max_length=MAX_LINES)] | None = None
    from_cart: bool = False
    address_id: Id | None = None
    delivery_method: DeliveryMethod = "express"
    remark: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""

    @model_validator(mode="after")
    def _one_source(self) -> CheckoutRequest:
        if self.from_cart == (self.items is not None):
            raise ValueError("请提供 items 或 from_cart（二选一）")
        return self


class OrderCreate(CheckoutRequest):
    """A preview request plus a required address and a client-made idempotency key (8-64 characters)."""

    address_id: Id
    idempotency_key: Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class CheckoutLinePublic(BaseModel):
    sku_id: int
    spu_id: int
    title: str
    spec_text: str
    image_url: str
    unit_price: int
    quantity: int
    goods_amount: int
    discount_amount: int
    payable_amount: int
    weight_grams: int
    total_weight_grams: int
    status: str


class DiscountPublic(BaseModel):
    type: str
    title: str
    amount: int


class ProblemPublic(BaseModel):
    """Why the order cannot be submitted: one entry per SKU and reason (``sku_id`` null for the address)."""

    sku_id: int | None
    code: str
    message: str
    available: int | None = None


class AddressSnapshotPublic(BaseModel):
    """The address as shown to the shopper: the phone is masked."""

    address_id: int | None = None
    recipient_name: str
    phone_masked: str
    province: str
    city: str
    district: str
    detail: str
    full_address: str
    province_code: str
    city_code: str
    district_code: str


class CheckoutPreview(BaseModel):
    """The full breakdown in fen; ``can_submit`` is true exactly when ``problems`` is empty."""

    lines: list[CheckoutLinePublic]
    goods_amount: int
    shipping_fee: int
    discounts: list[DiscountPublic]
    discount_amount: int
    payable_amount: int
    item_count: int
    address: AddressSnapshotPublic | None
    delivery_method: str
    remark: str
    problems: list[ProblemPublic]
    can_submit: bool

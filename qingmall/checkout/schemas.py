"""Checkout schemas: the preview request, the order-create request, and the price breakdown in fen."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from qingmall.core.storage import WithThumbnail
from qingmall.core.text import multi_line

MAX_LINES = 100
MAX_QUANTITY = 999  # units of one SKU in one order (the cart's line limit too)
MAX_ORDER_UNITS = 9999  # units in one order: keeps per-piece shipping fees and totals far from BIGINT

Id = Annotated[int, Field(ge=1, le=2**62)]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
Fen = Annotated[int, Field(ge=0, le=2**62)]
Remark = multi_line(200)

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
    """What to buy: ``items`` ("buy now") or ``from_cart: true`` (the ticked cart lines), never both.

    Each SKU appears at most once in ``items`` (a repeated ``sku_id`` is refused, 422, rather than summed:
    summing could build a line over the 999-unit limit). ``remark`` is free text without control characters.
    """

    items: Annotated[list[CheckoutItem], Field(min_length=1, max_length=MAX_LINES)] | None = None
    from_cart: bool = False
    address_id: Id | None = None
    delivery_method: DeliveryMethod = "express"
    remark: Remark = ""

    @field_validator("items")
    @classmethod
    def _unique_skus(cls, items: list[CheckoutItem] | None) -> list[CheckoutItem] | None:
        seen: set[int] = set()
        for item in items or ():
            if item.sku_id in seen:
                raise ValueError(f"同一商品规格只能出现一次，请合并数量后再提交（重复的 sku_id：{item.sku_id}）")
            seen.add(item.sku_id)
        return items

    @model_validator(mode="after")
    def _one_source(self) -> CheckoutRequest:
        if self.from_cart == (self.items is not None):
            raise ValueError("请提供 items 或 from_cart（二选一）")
        return self


class OrderCreate(CheckoutRequest):
    """A preview request plus a required address and a client-made idempotency key (8-64 characters).

    ``expected_payable_amount`` (optional, fen) is the payable amount the shopper saw on the checkout page.
    When given and the server's amount differs (a price, shipping fee or discount changed in between), the
    order is refused with 409 ``price_changed`` and ``details {"expected", "actual"}`` so the shopper
    confirms the new amount; nothing is reserved. Omitted, the server's amount is charged as computed.
    """

    address_id: Id
    idempotency_key: Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
    expected_payable_amount: Fen | None = Field(
        default=None,
        description=(
            "结算页展示给顾客的应付金额（分）。提供且与服务端计算的应付金额不一致时，下单被拒绝："
            "409 price_changed，details 为 {expected, actual}，提示顾客价格已变动、确认后重新提交。"
            "不提供则按服务端计算的金额下单。"
        ),
    )


class CheckoutLinePublic(WithThumbnail):
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

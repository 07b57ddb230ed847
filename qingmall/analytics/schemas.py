"""Response shapes of the dashboard (``GET /api/admin/v1/dashboard``). Money is integer fen.

"Sales" (销售额) everywhere here means: the amount paid for orders **paid** in the period (Beijing days),
minus what their after-sales have refunded successfully so far. Orders never paid and orders cancelled
(a paid order cancelled before shipping gets all its money back) are left out. A refund counts against
the day its order was paid, so a past day's sales can fall when one of its orders is refunded later;
``refunds_fen`` shows how much was taken off.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field


def _digits_to_int(value: Any) -> Any:
    """A query string arrives as text, and a ``Literal[7, 30]`` accepts only the integers themselves."""
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value


DashboardDays = Annotated[Literal[7, 30], BeforeValidator(_digits_to_int)]


class DashboardFigures(BaseModel):
    """Sales figures of one Beijing day or of a whole period."""

    sales_fen: int = Field(
        description="销售额（分）：期间内付款订单的实付金额，减去这些订单已退款成功的售后金额；不含未付款与已取消订单"
    )
    refunds_fen: int = Field(description="已从销售额中扣除的售后退款（分）")
    orders: int = Field(description="付款订单数（期间内付款、未被取消的订单，含后来退款的订单）")
    shoppers: int = Field(description="付款人数：这些订单的不同顾客数")
    average_order_fen: int = Field(description="客单价（分）= 销售额 ÷ 付款订单数，四舍五入；没有订单时为 0")


class DashboardDay(DashboardFigures):
    """One Beijing day of the series (every day is present, zeros included)."""

    date: str = Field(description="北京时间日期 YYYY-MM-DD")


class DashboardProduct(BaseModel):
    """A product's share of the period: units and sales net of refunded after-sale units, shipping excluded."""

    spu_id: int
    title: str = Field(description="商品名称（当前）")
    image_url: str = Field(description="商品主图（缩略图）")
    units: int = Field(description="售出件数（减去已退款件数）")
    sales_fen: int = Field(description="商品实付金额（分，减去已退款金额，不含运费）")


class DashboardQueue(BaseModel):
    """Work waiting for the merchant right now (not limited to the period)."""

    awaiting_shipment: int = Field(description="待发货订单数（状态 paid）")
    aftersales_pending_review: int = Field(description="待审核售后数（状态 pending_review）")
    awaiting_payment: int = Field(description="待付款订单数（状态 pending_payment）")


class DashboardPublic(BaseModel):
    """The dashboard: today against yesterday, the last ``days`` Beijing days, top products, work queue."""

    days: int
    today_date: str = Field(description="今天（北京时间）YYYY-MM-DD")
    generated_at: str = Field(description="生成时间（UTC，ISO 8601）")
    today: DashboardFigures
    yesterday: DashboardFigures
    totals: DashboardFigures = Field(description="整个期间（最近 days 天，含今天）的合计；付款人数按期间去重")
    series: list[DashboardDay] = Field(description="最近 days 个北京时间日，最早在前，最后一天是今天")
    top_by_units: list[DashboardProduct] = Field(description="期间内按件数排名前 10 的商品")
    top_by_sales: list[DashboardProduct] = Field(description="期间内按金额排名前 10 的商品")
    queue: DashboardQueue

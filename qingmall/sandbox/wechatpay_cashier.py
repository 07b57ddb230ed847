"""The browser side of the WeChat Pay sandbox: the cashier a shopper pays in, and delivery tools for testers.

Routes (below the fake's mount, ``/sandbox/wechatpay`` in ``make run``):

- ``GET /cashier/{token}``: what an ``h5_url`` opens (``?redirect_url=`` appended by the shop, as with
  WeChat): merchant, description, amount in yuan, "确认支付" and "取消". 404 page for an unknown link, 410
  once the link is older than 5 minutes.
- ``POST /cashier/{token}/pay``: the shopper pays: the order turns SUCCESS, its signed and encrypted
  TRANSACTION.SUCCESS is POSTed to ``notify_url`` (awaited; retried in the background when not
  acknowledged), then the browser is sent (303) to ``redirect_url`` when it is an http(s) URL, else shown
  "支付成功". Paying twice delivers nothing new. ``GET /cashier/{token}/cancel`` goes back unpaid.
- ``GET /cashier/jsapi/{prepay_id}`` (+ ``/pay``, ``/cancel``): the same for a mini-program (JSAPI) order,
  so the demo can finish a ``wx.requestPayment`` in a browser.
- ``POST /notifications/deliver`` ``{out_trade_no | out_refund_no, variant, times, concurrently}``: send a
  notification (valid, stale, forged or probe) on request and answer what the app replied to each.
- ``POST /refunds/{out_refund_no}/complete`` ``{status?}``: finish a PROCESSING refund and deliver its
  REFUND.* notification. ``GET /orders/{no}/deliveries`` and ``GET /refunds/{no}/deliveries``: the record.

Nothing here checks a merchant signature: these are the shopper's and the tester's doors, not the API.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.responses import HTMLResponse, JSONResponse, Response

from qingmall.core import clock
from qingmall.sandbox import pages
from qingmall.sandbox.delivery import delivery_report
from qingmall.sandbox.pages import http_url, yuan
from qingmall.sandbox.wechatpay import SandboxError, SandboxOrder, WeChatPaySandbox

__all__ = ["WECHAT", "cashier_page", "http_url", "install_cashier", "message_page", "yuan"]

WECHAT = pages.Brand(
    name="微信支付",
    colors="--page:#ededed;--sheet:#f7f7f7;--bar:#ededed;--bar-text:#191919;--logo:#07c160;--tag:#fa9d3b;"
    "--brand:#07c160;--brand-active:#06ad56;--link:#576b95;--radius:8px",
    logo_mark='content:"";position:absolute;left:7px;top:4px;width:5px;height:9px;border:solid #fff;'
    "border-width:0 2px 2px 0;transform:rotate(45deg)",
)
RETURN_PARAM = "redirect_url"  # what the shop appends to ``h5_url``, as with WeChat


def cashier_page(order: SandboxOrder, *, merchant_name: str, pay_action: str, cancel_href: str) -> str:
    """The cashier of one unpaid order: who is paid, for what, how much, and the two buttons."""
    kind = "H5 支付" if order.trade_type == "MWEB" else "小程序支付"
    return pages.cashier_page(
        WECHAT,
        merchant_name=merchant_name,
        description=order.description,
        amount=order.total,
        rows=[("商户订单号", order.out_trade_no), ("支付方式", f"零钱（{kind}）")],
        pay_label="确认支付",
        pay_action=pay_action,
        cancel_href=cancel_href,
    )


def message_page(
    title: str, message: str, *, tone: pages.Tone, amount: int | None = None, back_href: str | None = None
) -> str:
    """A result page: paid, cancelled, or why this link cannot be paid."""
    return pages.message_page(WECHAT, title, message, tone=tone, amount=amount, back_href=back_href)


def _error_page(exc: SandboxError) -> HTMLResponse:
    return pages.error_page(WECHAT, exc.status_code, exc.message)


class DeliveryRequest(BaseModel):
    """Which notification to send, how, and how many times (``times`` copies of one notification id)."""

    model_config = ConfigDict(extra="forbid")

    out_trade_no: str | None = Field(default=None, max_length=32)
    out_refund_no: str | None = Field(default=None, max_length=64)
    variant: Literal["valid", "stale", "forged", "probe"] = "valid"
    times: int = Field(default=1, ge=1, le=10)
    concurrently: bool = False

    @model_validator(mode="after")
    def _one_target(self) -> DeliveryRequest:
        if (self.out_trade_no is None) == (self.out_refund_no is None):
            raise ValueError("give exactly one of out_trade_no and out_refund_no")
        return self


class RefundCompletion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["SUCCESS", "CLOSED", "ABNORMAL"] = "SUCCESS"


def _json_error(exc: SandboxError) -> JSONResponse:
    return pages.json_error(exc.status_code, exc.code, exc.message)


def install_cashier(app: FastAPI, sandbox: WeChatPaySandbox) -> None:
    """Add the cashier pages and the delivery tools to the fake's app."""

    def show(request: Request, order: SandboxOrder, cashier_path: str) -> HTMLResponse:
        if order.trade_state in ("SUCCESS", "REFUND"):
            return pages.already_paid_page(WECHAT)
        if order.trade_state == "CLOSED":
            return pages.closed_page(WECHAT)
        pay_action, cancel_href = pages.cashier_links(request, cashier_path, RETURN_PARAM)
        return pages.html(
            cashier_page(order, merchant_name=sandbox.merchant_name, pay_action=pay_action, cancel_href=cancel_href)
        )

    async def pay(request: Request, order: SandboxOrder) -> Response:
        if order.trade_state == "NOTPAY":
            if order.time_expire is not None and clock.now() > order.time_expire:
                return pages.html(message_page("订单已过期", "已超过该订单的支付时间", tone="error"), 409)
            try:
                sandbox.pay(order.out_trade_no)
            except SandboxError as exc:
                if exc.code != "ORDERPAID":  # a second tap racing the first pays nothing new
                    return _error_page(SandboxError(409, exc.code, "订单已关闭，无法支付"))
            else:
                await sandbox.notify_payment(order.out_trade_no)
        elif order.trade_state == "CLOSED":
            return pages.html(message_page("订单已关闭", "商户已关闭该订单，无法支付", tone="error"), 409)
        paid = message_page("支付成功", f"已向 {sandbox.merchant_name} 付款", tone="success", amount=order.total)
        return pages.leave(request, RETURN_PARAM, paid)

    def cancel(request: Request) -> Response:
        return pages.cancelled(WECHAT, request, RETURN_PARAM)

    @app.get("/cashier/jsapi/{prepay_id}", response_class=HTMLResponse)
    async def jsapi_cashier(request: Request, prepay_id: str) -> Response:
        try:
            order = sandbox.order_by_prepay_id(prepay_id)
        except SandboxError as exc:
            return _error_page(exc)
        return show(request, order, f"/cashier/jsapi/{quote(prepay_id, safe='')}")

    @app.post("/cashier/jsapi/{prepay_id}/pay")
    async def jsapi_pay(request: Request, prepay_id: str) -> Response:
        try:
            order = sandbox.order_by_prepay_id(prepay_id)
        except SandboxError as exc:
            return _error_page(exc)
        return await pay(request, order)

    @app.get("/cashier/jsapi/{prepay_id}/cancel")
    async def jsapi_cancel(request: Request, prepay_id: str) -> Response:
        return cancel(request)

    @app.get("/cashier/{token}", response_class=HTMLResponse)
    async def h5_cashier(request: Request, token: str) -> Response:
        try:
            order = sandbox.cashier_order(token, opening=True)
        except SandboxError as exc:
            return _error_page(exc)
        return show(request, order, f"/cashier/{quote(token, safe='')}")

    @app.post("/cashier/{token}/pay")
    async def h5_pay(request: Request, token: str) -> Response:
        try:
            order = sandbox.cashier_order(token, opening=False)
        except SandboxError as exc:
            return _error_page(exc)
        return await pay(request, order)

    @app.get("/cashier/{token}/cancel")
    async def h5_cancel(request: Request, token: str) -> Response:
        return cancel(request)

    @app.post("/notifications/deliver")
    async def deliver(data: DeliveryRequest) -> Response:
        try:
            attempts = await sandbox.deliver_on_request(
                out_trade_no=data.out_trade_no,
                out_refund_no=data.out_refund_no,
                variant=data.variant,
                times=data.times,
                concurrently=data.concurrently,
            )
        except SandboxError as exc:
            return _json_error(exc)
        return JSONResponse(delivery_report(data.variant, attempts))

    @app.post("/refunds/{out_refund_no}/complete")
    async def complete_refund(out_refund_no: str, data: RefundCompletion | None = None) -> Response:
        status = data.status if data is not None else "SUCCESS"
        try:
            attempt = await sandbox.finish_refund(out_refund_no, status)
        except SandboxError as exc:
            return _json_error(exc)
        answer: dict[str, Any] = {
            "out_refund_no": out_refund_no,
            "status": status,
            "delivery": attempt.as_json() if attempt is not None else None,
        }
        return JSONResponse(answer)

    @app.get("/orders/{out_trade_no}/deliveries")
    async def order_deliveries(out_trade_no: str) -> Response:
        order = sandbox.orders.get(out_trade_no)
        if order is None:
            return _json_error(SandboxError(404, "ORDER_NOT_EXIST", "订单不存在"))
        return JSONResponse(
            {
                "out_trade_no": out_trade_no,
                "trade_state": order.trade_state,
                "deliveries": [a.as_json() for a in list(order.deliveries)],
            }
        )

    @app.get("/refunds/{out_refund_no}/deliveries")
    async def refund_deliveries(out_refund_no: str) -> Response:
        refund = sandbox.refunds.get(out_refund_no)
        if refund is None:
            return _json_error(SandboxError(404, "RESOURCE_NOT_EXISTS", "退款单不存在"))
        return JSONResponse(
            {
                "out_refund_no": out_refund_no,
                "status": refund.status,
                "deliveries": [a.as_json() for a in list(refund.deliveries)],
            }
        )

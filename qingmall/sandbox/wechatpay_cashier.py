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

from html import escape
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from qingmall.core import clock
from qingmall.sandbox.wechatpay import SandboxError, SandboxOrder, WeChatPaySandbox

_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

_STYLE = """
*{box-sizing:border-box;margin:0;padding:0}
html{background:#ededed}
body{font-family:system-ui,-apple-system,"PingFang SC","WenQuanYi Micro Hei",sans-serif;color:#191919;
-webkit-font-smoothing:antialiased}
.phone{max-width:390px;min-height:100vh;margin:0 auto;background:#f7f7f7;display:flex;flex-direction:column}
.bar{position:relative;height:48px;display:flex;align-items:center;justify-content:center;background:#ededed;
font-size:17px;font-weight:600}
.bar .logo{width:20px;height:20px;border-radius:50%;background:#07c160;margin-right:8px;position:relative}
.bar .logo:after{content:"";position:absolute;left:7px;top:4px;width:5px;height:9px;border:solid #fff;
border-width:0 2px 2px 0;transform:rotate(45deg)}
.bar .tag{position:absolute;right:12px;font-size:11px;font-weight:400;color:#fa9d3b;border:1px solid #fa9d3b;
border-radius:3px;padding:0 4px;line-height:16px}
.summary{background:#fff;padding:40px 24px 36px;text-align:center}
.merchant{font-size:17px}
.desc{margin-top:6px;font-size:14px;color:rgba(0,0,0,.5);word-break:break-all}
.amount{margin-top:22px;font-size:48px;font-weight:600;letter-spacing:-.5px;font-variant-numeric:tabular-nums}
.amount small{font-size:30px;margin-right:4px;font-weight:600}
.details{background:#fff;margin-top:8px;padding:0 24px}
.row{display:flex;justify-content:space-between;gap:16px;padding:14px 0;font-size:14px;
border-top:1px solid rgba(0,0,0,.06)}
.row:first-child{border-top:0}
.row span:first-child{color:rgba(0,0,0,.5);white-space:nowrap}
.row span:last-child{word-break:break-all;text-align:right}
.actions{margin-top:auto;padding:32px 24px 40px}
.pay{display:block;width:100%;height:50px;border:0;border-radius:8px;background:#07c160;color:#fff;
font:inherit;font-size:17px;font-weight:600;cursor:pointer}
.pay:active{background:#06ad56}
.cancel{display:block;margin-top:14px;padding:10px;text-align:center;color:#576b95;font-size:16px;
text-decoration:none}
.note{margin-top:18px;text-align:center;font-size:12px;color:rgba(0,0,0,.3)}
.result{background:#fff;padding:56px 24px 48px;text-align:center}
.icon{width:64px;height:64px;margin:0 auto 20px;border-radius:50%;position:relative;background:#07c160}
.icon.success:after{content:"";position:absolute;left:23px;top:13px;width:14px;height:28px;border:solid #fff;
border-width:0 4px 4px 0;transform:rotate(45deg)}
.icon.info,.icon.error{background:#fa9d3b}
.icon.error{background:#fa5151}
.icon.info:after,.icon.error:after{content:"!";position:absolute;inset:0;color:#fff;font-size:40px;
font-weight:700;line-height:64px}
.result h1{font-size:20px;font-weight:600}
.result p{margin-top:10px;font-size:14px;color:rgba(0,0,0,.5);line-height:1.6}
.result .amount{margin-top:16px;font-size:36px}
.back{display:inline-block;margin-top:28px;color:#576b95;font-size:16px;text-decoration:none}
"""


def yuan(fen: int) -> str:
    """Fen as a yuan amount with two decimals (``2990`` -> ``29.90``), without float rounding."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def http_url(value: str | None) -> str | None:
    """``value`` if it is an absolute http(s) URL a browser may be sent to, else ``None``."""
    if not value or len(value) > 2048 or any(ord(ch) < 0x21 or ch in "\\\x7f" for ch in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n"
        f'<body><div class="phone"><div class="bar"><span class="logo"></span>微信支付'
        f'<span class="tag">沙箱</span></div>\n{body}\n</div></body></html>'
    )


def _html(document: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(document, status_code=status_code, headers=_SECURITY_HEADERS)


def cashier_page(order: SandboxOrder, *, merchant_name: str, pay_action: str, cancel_href: str) -> str:
    """The cashier of one unpaid order: who is paid, for what, how much, and the two buttons."""
    kind = "H5 支付" if order.trade_type == "MWEB" else "小程序支付"
    body = f"""<section class="summary">
<div class="merchant">{escape(merchant_name)}</div>
<div class="desc">{escape(order.description)}</div>
<div class="amount"><small>¥</small>{yuan(order.total)}</div>
</section>
<section class="details">
<div class="row"><span>商户订单号</span><span>{escape(order.out_trade_no)}</span></div>
<div class="row"><span>支付方式</span><span>零钱（{kind}）</span></div>
</section>
<section class="actions">
<form method="post" action="{escape(pay_action)}"><button class="pay" type="submit">确认支付</button></form>
<a class="cancel" href="{escape(cancel_href)}">取消</a>
<p class="note">本地沙箱收银台：确认后立即支付成功，不会产生真实扣款</p>
</section>"""
    return _document(f"微信支付 - {merchant_name}", body)


def message_page(
    title: str,
    message: str,
    *,
    tone: Literal["success", "info", "error"],
    amount: int | None = None,
    back_href: str | None = None,
) -> str:
    """A result page: paid, cancelled, or why this link cannot be paid."""
    amount_html = f'<div class="amount"><small>¥</small>{yuan(amount)}</div>' if amount is not None else ""
    back = f'<a class="back" href="{escape(back_href)}">返回商户</a>' if back_href else ""
    body = f"""<section class="result">
<div class="icon {tone}"></div>
<h1>{escape(title)}</h1>{amount_html}
<p>{escape(message)}</p>{back}
</section>"""
    return _document(title, body)


def _error_page(exc: SandboxError) -> HTMLResponse:
    titles = {404: "支付链接无效", 410: "支付链接已过期", 409: "无法支付"}
    return _html(message_page(titles.get(exc.status_code, "支付失败"), exc.message, tone="error"), exc.status_code)


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
    return JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.status_code)


def install_cashier(app: FastAPI, sandbox: WeChatPaySandbox) -> None:
    """Add the cashier pages and the delivery tools to the fake's app."""

    def links(request: Request, cashier_path: str) -> tuple[str, str]:
        """The pay action and the cancel link of a cashier, absolute paths under the fake's mount, carrying
        the ``redirect_url`` the page was opened with."""
        root = request.scope.get("root_path", "")
        redirect = request.query_params.get("redirect_url")
        query = f"?redirect_url={quote(redirect, safe='')}" if redirect else ""
        return f"{root}{cashier_path}/pay{query}", f"{root}{cashier_path}/cancel{query}"

    def show(request: Request, order: SandboxOrder, cashier_path: str) -> HTMLResponse:
        if order.trade_state in ("SUCCESS", "REFUND"):
            return _html(message_page("订单已支付", "该订单已支付，请勿重复支付", tone="info"), 409)
        if order.trade_state == "CLOSED":
            closed = message_page("订单已关闭", "商户已关闭该订单，请返回商户页面重新发起支付", tone="error")
            return _html(closed, 409)
        pay_action, cancel_href = links(request, cashier_path)
        return _html(
            cashier_page(order, merchant_name=sandbox.merchant_name, pay_action=pay_action, cancel_href=cancel_href)
        )

    async def pay(request: Request, order: SandboxOrder) -> Response:
        if order.trade_state == "NOTPAY":
            if order.time_expire is not None and clock.now() > order.time_expire:
                return _html(message_page("订单已过期", "已超过该订单的支付时间", tone="error"), 409)
            try:
                sandbox.pay(order.out_trade_no)
            except SandboxError as exc:
                if exc.code != "ORDERPAID":  # a second tap racing the first pays nothing new
                    return _error_page(SandboxError(409, exc.code, "订单已关闭，无法支付"))
            else:
                await sandbox.notify_payment(order.out_trade_no)
        elif order.trade_state == "CLOSED":
            return _html(message_page("订单已关闭", "商户已关闭该订单，无法支付", tone="error"), 409)
        target = http_url(request.query_params.get("redirect_url"))
        if target is not None:
            return RedirectResponse(target, status_code=303, headers=_SECURITY_HEADERS)
        return _html(message_page("支付成功", f"已向 {sandbox.merchant_name} 付款", tone="success", amount=order.total))

    def cancel(request: Request) -> Response:
        target = http_url(request.query_params.get("redirect_url"))
        if target is not None:
            return RedirectResponse(target, status_code=303, headers=_SECURITY_HEADERS)
        return _html(message_page("已取消支付", "订单未支付，可返回商户页面重新发起支付", tone="info"))

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
        return JSONResponse(
            {
                "variant": data.variant,
                "notify_url": attempts[0].notify_url,
                "event_type": attempts[0].event_type,
                "statuses": [a.status_code for a in attempts],
                "deliveries": [a.as_json() for a in attempts],
            }
        )

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

"""The browser side of the Alipay sandbox: the cashier a buyer pays a trade in, and delivery tools for testers.

Routes (below the fake's mount, ``/sandbox/alipay`` in ``make run``):

- ``GET /cashier/{trade_no}`` (``?return_url=`` optional): what ``my.tradePay({tradeNO})`` would show:
  merchant, subject, amount in yuan, the Huabei installments when the trade has them, "确认付款" and "取消".
  404 page for an unknown trade, 409 for a closed or already paid one.
- ``POST /cashier/{trade_no}/pay``: the buyer pays: the trade turns TRADE_SUCCESS, its signed
  ``trade_status_sync`` form is POSTed to ``notify_url`` (awaited; retried in the background until the app
  answers ``success``), then the browser is sent (303) to ``return_url`` when it is an http(s) URL, else shown
  "支付成功". A trade already paid shows so and delivers nothing new. ``GET /cashier/{trade_no}/cancel`` goes
  back unpaid.
- ``POST /notifications/deliver`` ``{out_trade_no, variant, times, concurrently}``: send the trade's
  notification (valid, forged or tampered) on request and answer what the app replied to each copy.
- ``GET /trades/{out_trade_no}/deliveries``: every delivery attempt of a trade.

Nothing here checks a merchant signature: these are the buyer's and the tester's doors, not the gateway.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import HTMLResponse, JSONResponse, Response

from qingmall.core.money import allocate
from qingmall.sandbox import pages
from qingmall.sandbox.alipay import AlipaySandbox, SandboxTrade
from qingmall.sandbox.delivery import delivery_report

ALIPAY = pages.Brand(
    name="支付宝",
    colors="--page:#f5f5f5;--sheet:#f5f5f5;--bar:#1677ff;--bar-text:#fff;--logo:#fff;--tag:#fff;"
    "--brand:#1677ff;--brand-active:#0e5fd8;--link:#1677ff;--radius:8px",
    logo_mark='content:"支";position:absolute;inset:0;color:#1677ff;font-size:12px;font-weight:700;'
    "line-height:20px;text-align:center",
)
RETURN_PARAM = "return_url"
PAID_STATUSES = ("TRADE_SUCCESS", "TRADE_FINISHED")


def installment_rows(trade: SandboxTrade) -> list[tuple[str, str]]:
    """How the trade is paid: the balance, or Huabei in N periods (their amounts add up to the fen) and who
    bears the installment fee."""
    if not trade.extend_params:
        return [("付款方式", "账户余额")]
    periods = int(trade.extend_params["hb_fq_num"])
    first, *_, last = allocate(trade.total_fen, [1] * periods)
    each = f"每期 ¥{pages.yuan(last)}"
    if first != last:
        each = f"首期 ¥{pages.yuan(first)}，其后{each}"
    fee = "商家承担（免息）" if trade.extend_params["hb_fq_seller_percent"] == "100" else "买家承担"
    return [("付款方式", "花呗分期"), ("分期", f"{periods}期，{each}"), ("分期手续费", fee)]


def cashier_page(trade: SandboxTrade, *, merchant_name: str, pay_action: str, cancel_href: str) -> str:
    return pages.cashier_page(
        ALIPAY,
        merchant_name=merchant_name,
        description=trade.subject,
        amount=trade.total_fen,
        rows=[("商户订单号", trade.out_trade_no), *installment_rows(trade)],
        pay_label="确认付款",
        pay_action=pay_action,
        cancel_href=cancel_href,
    )


class DeliveryRequest(BaseModel):
    """Which trade's notification to send, which variant, and how many copies (one ``notify_id``)."""

    model_config = ConfigDict(extra="forbid")

    out_trade_no: str = Field(min_length=1, max_length=64)
    variant: Literal["valid", "forged", "tampered"] = "valid"
    times: int = Field(default=1, ge=1, le=10)
    concurrently: bool = False


def install_cashier(app: FastAPI, sandbox: AlipaySandbox) -> None:
    """Add the cashier pages and the delivery tools to the fake's app."""

    def refusal(request: Request, trade: SandboxTrade) -> HTMLResponse | None:
        """The page of a trade that cannot be paid any more (paid, closed), ``None`` while it is open."""
        if trade.status in PAID_STATUSES:
            return pages.already_paid_page(ALIPAY, back_href=pages.return_target(request, RETURN_PARAM))
        if trade.status != "WAIT_BUYER_PAY":
            return pages.closed_page(ALIPAY)
        return None

    def payable(request: Request, trade_no: str) -> SandboxTrade | HTMLResponse:
        """The open trade ``trade_no``, or the page saying why it cannot be paid (404 unknown, 409)."""
        trade = sandbox.trade_by_trade_no(trade_no)
        if trade is None:
            return pages.error_page(ALIPAY, 404, "交易不存在")
        return refusal(request, trade) or trade

    @app.get("/cashier/{trade_no}", response_class=HTMLResponse)
    async def cashier(request: Request, trade_no: str) -> Response:
        trade = payable(request, trade_no)
        if isinstance(trade, Response):
            return trade
        pay_action, cancel_href = pages.cashier_links(request, f"/cashier/{quote(trade_no, safe='')}", RETURN_PARAM)
        page = cashier_page(trade, merchant_name=sandbox.merchant_name, pay_action=pay_action, cancel_href=cancel_href)
        return pages.html(page)

    @app.post("/cashier/{trade_no}/pay")
    async def pay(request: Request, trade_no: str) -> Response:
        trade = payable(request, trade_no)
        if isinstance(trade, Response):
            return trade
        try:
            sandbox.pay(trade.out_trade_no)
        except ValueError:  # a second tap or a close raced this one: say what the trade is now
            return refusal(request, trade) or pages.closed_page(ALIPAY)
        await sandbox.notify_payment(trade.out_trade_no)
        paid = pages.message_page(
            ALIPAY, "支付成功", f"已向 {sandbox.merchant_name} 付款", tone="success", amount=trade.total_fen
        )
        return pages.leave(request, RETURN_PARAM, paid)

    @app.get("/cashier/{trade_no}/cancel")
    async def cancel(request: Request, trade_no: str) -> Response:
        return pages.cancelled(ALIPAY, request, RETURN_PARAM)

    @app.post("/notifications/deliver")
    async def deliver(data: DeliveryRequest) -> Response:
        trade = sandbox.trades.get(data.out_trade_no)
        if trade is None:
            return pages.json_error(404, "ACQ.TRADE_NOT_EXIST", "交易不存在")
        if not trade.notify_url:
            return pages.json_error(409, "NO_NOTIFY_URL", "该交易创建时没有 notify_url，支付宝不会通知")
        attempts = await sandbox.deliver_on_request(
            data.out_trade_no, variant=data.variant, times=data.times, concurrently=data.concurrently
        )
        return JSONResponse(delivery_report(data.variant, attempts))

    @app.get("/trades/{out_trade_no}/deliveries")
    async def trade_deliveries(out_trade_no: str) -> Response:
        trade = sandbox.trades.get(out_trade_no)
        if trade is None:
            return pages.json_error(404, "ACQ.TRADE_NOT_EXIST", "交易不存在")
        return JSONResponse(
            {
                "out_trade_no": out_trade_no,
                "trade_no": trade.trade_no,
                "trade_status": trade.status,
                "deliveries": [a.as_json() for a in list(trade.deliveries)],
            }
        )

"""Payment routes (mounted under /api/v1): pay an order by WeChat Pay (mini-program or H5), Alipay or balance,
top up the balance, friend pays, and the gateways' payment and refund notifications.

Notify routes have no auth: the signature is the authentication, checked by the service on the raw body.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import PlainTextResponse

from qingmall.core.db import SessionDep
from qingmall.core.errors import AppError
from qingmall.integrations.alipay import SUCCESS_REPLY
from qingmall.orders.schemas import OrderActionPublic
from qingmall.payments import alipay, balance, friend, wechat
from qingmall.payments.gateways import NOTIFY_PATHS, REFUND_NOTIFY_PATHS, GatewaysDep
from qingmall.payments.schemas import (
    AlipayPaymentCreate,
    AlipayTradePublic,
    FriendPayLinkCreate,
    FriendPayLinkPublic,
    FriendPaySummaryPublic,
    TopUpPaymentPublic,
    WeChatH5PaymentCreate,
    WeChatH5PaymentPublic,
    WeChatPayParamsPublic,
)
from qingmall.shop import service as shop_service
from qingmall.shoppers.deps import CurrentShopper, OptionalShopper
from qingmall.wallet import service as wallet_service
from qingmall.wallet.schemas import TopUpCreate

router = APIRouter(tags=["payments"])

OrderNo = Annotated[str, Path(pattern=r"^\d{8,30}$")]
MAX_NOTIFICATION_BYTES = 64 * 1024


async def notification_body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_NOTIFICATION_BYTES:
        raise AppError("通知内容过大", code="payload_too_large")
    return body


@router.post("/orders/{order_no}/pay/wechat", response_model_by_alias=True)
async def pay_with_wechat(
    session: SessionDep, shopper: CurrentShopper, gateways: GatewaysDep, order_no: OrderNo
) -> WeChatPayParamsPublic:
    params = await wechat.start_wechat_payment(session, gateways, order_no, payer_id=shopper.id, owner_id=shopper.id)
    return WeChatPayParamsPublic.model_validate(params)


@router.post("/orders/{order_no}/pay/wechat-h5")
async def pay_with_wechat_h5(
    request: Request, session: SessionDep, shopper: CurrentShopper, gateways: GatewaysDep, order_no: OrderNo,
    data: WeChatH5PaymentCreate | None = None,
) -> WeChatH5PaymentPublic:
    """WeChat Pay in a mobile browser (no openid needed): the ``h5_url`` to send the browser to. The payer's
    IP is the connection's (no proxy is trusted, so ``X-Forwarded-For`` is ignored)."""
    h5_url = await wechat.start_wechat_h5_payment(
        session, gateways, order_no, payer_id=shopper.id, owner_id=shopper.id,
        client_ip=request.client.host if request.client else "127.0.0.1",
        redirect_url=data.redirect_url if data is not None else None,
    )
    return WeChatH5PaymentPublic(h5_url=h5_url)


@router.post("/orders/{order_no}/pay/balance")
async def pay_with_balance(session: SessionDep, shopper: CurrentShopper, order_no: OrderNo) -> OrderActionPublic:
    return await balance.pay_own_order_with_balance(session, shopper.id, order_no)


@router.post("/wallet/topups", response_model_by_alias=True, status_code=201)
async def top_up(
    session: SessionDep, shopper: CurrentShopper, gateways: GatewaysDep, data: TopUpCreate
) -> TopUpPaymentPublic:
    """Create a top-up and start paying it by WeChat Pay (the balance is credited when the payment lands)."""
    gateways.require_wechatpay()
    await shop_service.require_payment_channel(session, "wechat")
    topup = await wallet_service.create_topup(session, shopper.id, data.amount)
    topup_id, topup_no, amount = topup.id, topup.topup_no, topup.amount
    params = await wechat.start_wechat_topup_payment(
        session, gateways, topup_id=topup_id, topup_no=topup_no, amount=amount, payer_id=shopper.id
    )
    return TopUpPaymentPublic(topup_no=topup_no, amount=amount, wechat_pay=WeChatPayParamsPublic.model_validate(params))


@router.post(NOTIFY_PATHS["wechat"], status_code=204, response_class=Response)
async def wechat_notify(request: Request, session: SessionDep, gateways: GatewaysDep) -> Response:
    body = await notification_body(request)
    result = await wechat.apply_wechat_notification(session, gateways, request.headers, body)
    if not result.accepted:
        raise result.error()
    return Response(status_code=204)


@router.post(REFUND_NOTIFY_PATHS["wechat"], status_code=204, response_class=Response)
async def wechat_refund_notify(request: Request, session: SessionDep, gateways: GatewaysDep) -> Response:
    result = await wechat.apply_wechat_refund_notification(
        session, gateways, request.headers, await notification_body(request)
    )
    if not result.accepted:
        raise result.error()
    return Response(status_code=204)


@router.post("/orders/{order_no}/pay/alipay")
async def pay_with_alipay(
    session: SessionDep, shopper: CurrentShopper, gateways: GatewaysDep, order_no: OrderNo, data: AlipayPaymentCreate
) -> AlipayTradePublic:
    """Create (or reuse) the order's Alipay trade; the mini-program pays it with ``my.tradePay({tradeNO})``."""
    shopper_id = shopper.id
    buyer_open_id = data.buyer_open_id or await alipay.open_id_from_auth_code(gateways, data.auth_code or "")
    trade = await alipay.start_alipay_payment(
        session, gateways, order_no, payer_id=shopper_id, owner_id=shopper_id, installments=data.installments or None,
        seller_percent=gateways.huabei_seller_percent, buyer_open_id=buyer_open_id,
    )
    return AlipayTradePublic.model_validate(trade)


@router.post(NOTIFY_PATHS["alipay"], response_class=PlainTextResponse)
async def alipay_notify(request: Request, session: SessionDep, gateways: GatewaysDep) -> PlainTextResponse:
    """Alipay's form POST (``application/x-www-form-urlencoded``, UTF-8). Answered with the plain text
    ``success`` when handled; anything else (here a 4xx ``{code, message}``) makes Alipay send it again."""
    body = (await notification_body(request)).decode("utf-8", errors="replace")
    form = dict(parse_qsl(body, keep_blank_values=True))
    result = await alipay.apply_alipay_notification(session, gateways, form)
    if not result.accepted:
        raise result.error()
    return PlainTextResponse(SUCCESS_REPLY)


# --- friend pays (好友代付) ----------------------------------------------------------------------------

FriendToken = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{20,64}$")]


@router.post("/orders/{order_no}/friend-pay", status_code=201)
async def create_friend_pay_link(
    session: SessionDep, shopper: CurrentShopper, order_no: OrderNo, data: FriendPayLinkCreate | None = None
) -> FriendPayLinkPublic:
    """Share a pay-for-me link for a pending order (a new link replaces the old one)."""
    return await friend.create_link(session, shopper.id, order_no, data.message if data else "")


@router.get("/friend-pay/{token}")
async def get_friend_pay(session: SessionDep, viewer: OptionalShopper, token: FriendToken) -> FriendPaySummaryPublic:
    """What a friend sees: goods and amounts, never the address or phone."""
    return await friend.get_summary(session, token, viewer.id if viewer else None)


@router.post("/friend-pay/{token}/pay/wechat", response_model_by_alias=True)
async def friend_pay_with_wechat(
    session: SessionDep, shopper: CurrentShopper, gateways: GatewaysDep, token: FriendToken
) -> WeChatPayParamsPublic:
    params = await friend.pay_by_wechat(session, gateways, token, shopper.id)
    return WeChatPayParamsPublic.model_validate(params)


@router.post("/friend-pay/{token}/pay/balance")
async def friend_pay_with_balance(
    session: SessionDep, shopper: CurrentShopper, token: FriendToken
) -> FriendPaySummaryPublic:
    friend_id = shopper.id  # read before the service's rollbacks expire the loaded shopper
    await friend.pay_by_balance(session, token, friend_id)
    return await friend.get_summary(session, token, friend_id)

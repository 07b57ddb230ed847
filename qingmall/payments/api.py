"""Payment routes (mounted under /api/v1): start a WeChat Pay payment, receive WeChat Pay notifications.

The notify route has no auth: the signature is the authentication, checked by the service on the raw body.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from qingmall.core.db import SessionDep
from qingmall.core.errors import AppError
from qingmall.integrations.wechatpay import WeChatPayClient
from qingmall.payments import service
from qingmall.payments.schemas import WeChatPayParamsPublic
from qingmall.shoppers.deps import CurrentShopper

router = APIRouter(tags=["payments"])

NOTIFY_PATH = "/payments/wechat/notify"
_MAX_NOTIFICATION_BYTES = 64 * 1024


class PaymentChannelDisabled(AppError):
    """The shop has not enabled (configured) this payment channel: a state of the shop, not a server fault."""

    status_code = 409
    code = "payment_channel_disabled"


def get_wechatpay_client(request: Request) -> WeChatPayClient:
    """The app's WeChat Pay client (``app.state.wechatpay_client``); 409 until the shop has configured one."""
    client = getattr(request.app.state, "wechatpay_client", None)
    if client is None:
        raise PaymentChannelDisabled("本店暂未开通微信支付")
    return client


WeChatPayDep = Annotated[WeChatPayClient, Depends(get_wechatpay_client)]


def _wechat_appid(request: Request) -> str:
    return request.app.state.settings.wechat_appid


def _notify_url(request: Request) -> str:
    base = request.app.state.settings.public_base_url or str(request.base_url)
    return base.rstrip("/") + "/api/v1" + NOTIFY_PATH


@router.post("/orders/{order_no}/pay/wechat", response_model_by_alias=True)
async def pay_with_wechat(
    request: Request,
    session: SessionDep,
    shopper: CurrentShopper,
    client: WeChatPayDep,
    order_no: Annotated[str, Path(pattern=r"^\d{8,30}$")],
) -> WeChatPayParamsPublic:
    params = await service.start_wechat_payment(
        session, shopper.id, order_no, client, appid=_wechat_appid(request), notify_url=_notify_url(request)
    )
    return WeChatPayParamsPublic.model_validate(params)


@router.post(NOTIFY_PATH, status_code=204, response_class=Response)
async def wechat_notify(request: Request, session: SessionDep, client: WeChatPayDep) -> Response:
    body = await request.body()
    if len(body) > _MAX_NOTIFICATION_BYTES:
        raise AppError("通知内容过大", code="payload_too_large")
    result = await service.apply_wechat_notification(session, client, request.headers, body)
    if not result.accepted:
        raise result.error()
    return Response(status_code=204)

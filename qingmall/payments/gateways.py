"""The payment channels an app has configured, as one object on ``app.state.payment_gateways``.

Routes get it through ``GatewaysDep``; services take it as a plain argument (no FastAPI in services). A
channel that is ``None`` is not enabled for this shop: its routes answer 409 ``payment_channel_disabled``.
Balance needs no gateway and is always available. ``notify_base_url`` is where gateways send notifications
(``<base>/api/v1/payments/<channel>/notify``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from qingmall.core.errors import AppError
from qingmall.integrations.alipay import AlipayClient
from qingmall.integrations.wechatpay import WeChatPayClient

NOTIFY_PATHS = {"wechat": "/payments/wechat/notify", "alipay": "/payments/alipay/notify"}
REFUND_NOTIFY_PATHS = {"wechat": "/payments/wechat/refund-notify"}


class PaymentChannelDisabled(AppError):
    """The shop has not enabled (configured) this payment channel: a state of the shop, not a server fault."""

    status_code = 409
    code = "payment_channel_disabled"


_CHANNEL_NAMES = {"wechat": "微信支付", "alipay": "支付宝"}


@dataclass
class Gateways:
    """Clients of the enabled channels plus the identifiers payments need (mini-program appid)."""

    wechatpay: WeChatPayClient | None = None
    alipay: AlipayClient | None = None
    wechat_appid: str = ""
    notify_base_url: str = ""
    huabei_seller_percent: int = 0  # 100: the shop pays Huabei installment fees (免息), 0: the buyer does

    def require_wechatpay(self) -> WeChatPayClient:
        if self.wechatpay is None:
            raise PaymentChannelDisabled(f"本店暂未开通{_CHANNEL_NAMES['wechat']}")
        return self.wechatpay

    def require_alipay(self) -> AlipayClient:
        if self.alipay is None:
            raise PaymentChannelDisabled(f"本店暂未开通{_CHANNEL_NAMES['alipay']}")
        return self.alipay

    def notify_url(self, channel: str, *, refund: bool = False) -> str:
        path = (REFUND_NOTIFY_PATHS if refund else NOTIFY_PATHS)[channel]
        return self.notify_base_url.rstrip("/") + "/api/v1" + path

    async def aclose(self) -> None:
        for client in (self.wechatpay, self.alipay):
            if client is not None:
                await client.aclose()


def get_gateways(request: Request) -> Gateways:
    """The app's gateways; when none were configured, an empty set. Without ``QINGMALL_PUBLIC_BASE_URL`` the
    notify base is taken from the first request's host (development only: production with a payment channel
    refuses to start without an https public base URL, so a forged Host can never choose where gateways
    send notifications or where H5 payments return)."""
    gateways = getattr(request.app.state, "payment_gateways", None)
    if gateways is None:
        settings = request.app.state.settings
        gateways = Gateways(wechat_appid=settings.wechat_appid)
    if not gateways.notify_base_url:
        settings = request.app.state.settings
        gateways.notify_base_url = settings.public_base_url or str(request.base_url)
    return gateways


GatewaysDep = Annotated[Gateways, Depends(get_gateways)]

"""WeChat Pay (JSAPI and H5): start a payment, verify and apply its notifications, reconcile by query.

The mini-program gets ``wx.requestPayment`` parameters; a mobile browser (H5, no openid) gets an ``h5_url``
to WeChat's cashier. Either way WeChat Pay later posts a signed, encrypted notification that
``apply_wechat_notification`` verifies and hands to ``service.settle_payment``.

Both kinds are attempts of the channel ``wechat``, so at most one of them is open per order. An H5 attempt
stores ``H5_PREPAY_ID`` instead of a prepay id (WeChat's H5 reply has none, and its ``h5_url`` expires after
5 minutes, so it is asked for again on every tap instead of being kept).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import quote, urljoin, urlsplit

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core.errors import AppError, Conflict, UpstreamError
from qingmall.integrations.wechatpay import (
    PROBE_SIGNATURE_PREFIX,
    Transaction,
    WeChatPayClient,
    WeChatPayDecryptError,
    WeChatPayError,
    WeChatPayGatewayError,
    WeChatPaySignatureInvalid,
    WeChatPayTimestampStale,
    WeChatPayVerificationError,
)
from qingmall.payments import refunds, service
from qingmall.payments.gateways import Gateways
from qingmall.payments.models import PaymentAttempt, Refund
from qingmall.payments.service import DUPLICATE, NotificationResult, PayableOrder, VerifiedPayment
from qingmall.shop import service as shop_service
from qingmall.shoppers.models import Shopper

log = structlog.get_logger("qingmall.payments.wechat")

WECHAT = "wechat"
H5_PREPAY_ID = "h5"  # ``prepay_id`` of an H5 attempt: JSAPI prepay ids start with "wx"


def gateway_unavailable(exc: WeChatPayError) -> UpstreamError:
    log.warning("wechatpay_call_failed", error=str(exc))
    return UpstreamError("微信支付暂不可用，请稍后重试", code="payment_gateway_error")


async def _payer_openid(session: AsyncSession, payer_id: int) -> str:
    openid = await session.scalar(select(Shopper.openid).where(Shopper.id == payer_id))
    if not openid:
        raise Conflict("请在微信小程序内登录后再支付", code="openid_required")
    return openid


async def start_wechat_payment(
    session: AsyncSession, gateways: Gateways, order_no: str, *, payer_id: int, owner_id: int | None = None,
) -> dict[str, str]:
    """The ``wx.requestPayment`` parameters for a pending order paid by ``payer_id``; commits when it creates
    an attempt. ``owner_id`` restricts the order to its shopper (``None`` for a friend paying by link).

    The open attempt (status ``created``) is reused while it is a JSAPI one and its amount, appid and payer
    still match, so tapping "pay" again costs no new prepay order. Otherwise (an H5 attempt included) the
    open attempt is closed (at the gateway, then locally) and a new one is created; prepay runs before the
    insert, and a lost race for the partial unique index (one open attempt per order and channel) falls back
    to the winner's attempt when that is a JSAPI one.
    """
    await shop_service.require_payment_channel(session, "wechat")
    client = gateways.require_wechatpay()
    order = await service.payable_order(session, order_no, shopper_id=owner_id)
    openid = await _payer_openid(session, payer_id)

    async def prepay(out_trade_no: str) -> str:
        return await _prepay(client, gateways, order, out_trade_no=out_trade_no, openid=openid,
                             description=f"轻商城订单 {order.order_no}")

    _out_trade_no, prepay_id, _created = await _order_attempt(session, gateways, order, payer_id, h5=False,
                                                              prepay=prepay)
    return client.request_payment_params(gateways.wechat_appid, prepay_id)


async def _order_attempt(
    session: AsyncSession, gateways: Gateways, order: PayableOrder, payer_id: int, *, h5: bool,
    prepay: Callable[[str], Awaitable[str]],
) -> tuple[str, str, bool]:
    """The order's open WeChat attempt of this kind (JSAPI or H5) for this payer: ``(out_trade_no, prepay
    answer, created)``; commits when it creates one.

    The open attempt (status ``created``) is reused while it is of the same kind with the same amount, appid
    and payer, so tapping "pay" again costs no new prepay order (for H5 the answer is the stored marker and
    the caller asks for a fresh link). Otherwise the open attempt is closed (at the gateway, then locally)
    and a new one is created: ``prepay(out_trade_no)`` runs before the insert, and a lost race for the
    partial unique index (one open attempt per order and channel) falls back to the winner's attempt when
    it is of the same kind, else ``payment_busy``.
    """
    client = gateways.require_wechatpay()
    appid = gateways.wechat_appid

    def reusable(attempt: PaymentAttempt | None) -> bool:
        return attempt is not None and (attempt.prepay_id == H5_PREPAY_ID) == h5

    current = await service.open_attempt(session, order_id=order.id, topup_id=None, channel=WECHAT)
    if reusable(current) and (current.amount, current.appid, current.payer_shopper_id) == (
        order.payable_amount, appid, payer_id
    ):
        answer = (current.out_trade_no, current.prepay_id, False)
        await session.rollback()
        return answer
    out_trade_no = await service.next_out_trade_no(session, WECHAT, order_id=order.id, base_no=order.order_no)
    current_id, current_no = (current.id, current.out_trade_no) if current is not None else (None, None)
    await session.rollback()
    if current_no is not None:
        await _close_at_gateway(client, current_no)
    prepay_answer = await prepay(out_trade_no)
    if current_id is not None:
        await service.close_attempt(session, current_id)
    attempt = await service.insert_attempt(
        session,
        PaymentAttempt(
            order_id=order.id, channel=WECHAT, out_trade_no=out_trade_no, amount=order.payable_amount,
            appid=appid, mchid=client.mchid, prepay_id=H5_PREPAY_ID if h5 else prepay_answer,
            payer_shopper_id=payer_id, status="created",
        ),
    )
    if attempt is not None:
        return out_trade_no, prepay_answer, True
    winner = await service.open_attempt(session, order_id=order.id, topup_id=None, channel=WECHAT)
    answer = (winner.out_trade_no, winner.prepay_id, False) if reusable(winner) else None
    await session.rollback()
    if answer is None:
        raise Conflict("支付正在创建，请稍后重试", code="payment_busy")
    return answer


def redirect_target(redirect_url: str | None, shop_base_url: str) -> str | None:
    """Where WeChat sends the browser back after an H5 payment: a path of this shop (``/orders/1``) made
    absolute on ``shop_base_url``, or an absolute URL of the shop's own origin; ``None`` when not given.

    Anything else (another host, ``//host``, a backslash, another scheme, control characters) is refused with
    400 ``invalid_redirect_url``, so a payment link can never bounce the shopper to someone else's page.
    """
    if not redirect_url:
        return None
    refused = AppError("支付完成后的返回地址必须是本店的页面", code="invalid_redirect_url")
    if len(redirect_url) > 512 or any(ord(ch) < 0x21 or ch in "\\\x7f" for ch in redirect_url):
        raise refused
    try:
        base = urlsplit(shop_base_url)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise refused
        if redirect_url.startswith("/") and not redirect_url.startswith("//"):
            target = urljoin(f"{base.scheme}://{base.netloc}/", redirect_url)
        else:
            target = redirect_url
        parts = urlsplit(target)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 host
        raise refused from None
    same_origin = parts.scheme == base.scheme and parts.netloc.lower() == base.netloc.lower()
    if not same_origin or parts.username is not None or parts.password is not None:
        raise refused
    return target


def _with_redirect(h5_url: str, target: str | None) -> str:
    if target is None:
        return h5_url
    return f"{h5_url}{'&' if '?' in h5_url else '?'}redirect_url={quote(target, safe='')}"


async def start_wechat_h5_payment(
    session: AsyncSession, gateways: Gateways, order_no: str, *, payer_id: int, owner_id: int | None,
    client_ip: str, redirect_url: str | None,
) -> str:
    """The WeChat Pay ``h5_url`` (with ``redirect_url`` appended) for a pending order paid by ``payer_id`` in a
    mobile browser; commits when it creates an attempt. No openid is needed (an SMS-login shopper pays too).

    ``redirect_url`` must be a path or a same-origin URL of the shop (``redirect_target``), checked before
    anything else. The open attempt is reused while it is an H5 one with the same amount, appid and payer
    (the gateway is asked again for a fresh link, under the same ``out_trade_no``); an open JSAPI attempt or a
    changed one is closed (at the gateway, then locally) first, since one order has one open WeChat attempt.
    """
    await shop_service.require_payment_channel(session, "wechat")
    client = gateways.require_wechatpay()
    target = redirect_target(redirect_url, gateways.notify_base_url)
    order = await service.payable_order(session, order_no, shopper_id=owner_id)

    async def prepay(out_trade_no: str) -> str:
        return await _h5_prepay(client, gateways, order, out_trade_no, client_ip)

    out_trade_no, h5_url, created = await _order_attempt(session, gateways, order, payer_id, h5=True, prepay=prepay)
    if not created:  # a stored H5 attempt: its links expire, ask for a fresh one under the same out_trade_no
        h5_url = await prepay(out_trade_no)
    return _with_redirect(h5_url, target)


async def start_wechat_topup_payment(
    session: AsyncSession, gateways: Gateways, *, topup_id: int, topup_no: str, amount: int, payer_id: int
) -> dict[str, str]:
    """The ``wx.requestPayment`` parameters of a balance top-up (one attempt per top-up); commits."""
    client = gateways.require_wechatpay()
    openid = await _payer_openid(session, payer_id)
    current = await service.open_attempt(session, order_id=None, topup_id=topup_id, channel=WECHAT)
    if current is not None:
        prepay_id = current.prepay_id
        await session.rollback()
        return client.request_payment_params(gateways.wechat_appid, prepay_id)
    out_trade_no = await service.next_out_trade_no(session, WECHAT, topup_id=topup_id, base_no=topup_no)
    await session.rollback()
    topup = PayableOrder(id=0, order_no=topup_no, shopper_id=payer_id, payable_amount=amount, pay_deadline=None)
    prepay_id = await _prepay(client, gateways, topup, out_trade_no=out_trade_no, openid=openid,
                              description=f"轻商城余额充值 {topup_no}")
    attempt = await service.insert_attempt(
        session,
        PaymentAttempt(
            topup_id=topup_id, channel=WECHAT, out_trade_no=out_trade_no, amount=amount, appid=gateways.wechat_appid,
            mchid=client.mchid, prepay_id=prepay_id, payer_shopper_id=payer_id, status="created",
        ),
    )
    if attempt is None:
        raise Conflict("支付正在创建，请稍后重试", code="payment_busy")
    return client.request_payment_params(gateways.wechat_appid, prepay_id)


async def _close_at_gateway(client: WeChatPayClient, out_trade_no: str) -> None:
    try:
        await client.close(out_trade_no)
    except WeChatPayGatewayError as exc:
        if exc.code == "ORDERPAID":
            raise Conflict("该订单已支付，请稍后刷新", code="payment_in_progress") from exc
        raise gateway_unavailable(exc) from exc
    except WeChatPayError as exc:
        raise gateway_unavailable(exc) from exc


async def _prepay(
    client: WeChatPayClient, gateways: Gateways, order: PayableOrder, *, out_trade_no: str, openid: str,
    description: str,
) -> str:
    try:
        return await client.jsapi_prepay(
            appid=gateways.wechat_appid, description=description, out_trade_no=out_trade_no,
            total=order.payable_amount, openid=openid, notify_url=gateways.notify_url(WECHAT),
            time_expire=order.pay_deadline,
        )
    except WeChatPayError as exc:
        raise gateway_unavailable(exc) from exc


async def _h5_prepay(
    client: WeChatPayClient, gateways: Gateways, order: PayableOrder, out_trade_no: str, client_ip: str
) -> str:
    try:
        return await client.h5_prepay(
            appid=gateways.wechat_appid, description=f"轻商城订单 {order.order_no}", out_trade_no=out_trade_no,
            total=order.payable_amount, notify_url=gateways.notify_url(WECHAT), payer_client_ip=client_ip,
            time_expire=order.pay_deadline,
        )
    except WeChatPayGatewayError as exc:
        if exc.code == "ORDERPAID":
            raise Conflict("该订单已支付，请稍后刷新", code="payment_in_progress") from exc
        raise gateway_unavailable(exc) from exc
    except WeChatPayError as exc:
        raise gateway_unavailable(exc) from exc


# --- notifications ----------------------------------------------------------------------------------------


def _rejection_of(exc: WeChatPayVerificationError, headers: Mapping[str, str]) -> str:
    signature = next((v for k, v in headers.items() if k.lower() == "wechatpay-signature"), "")
    if signature.startswith(PROBE_SIGNATURE_PREFIX):
        return "rejected_probe"
    if isinstance(exc, WeChatPayTimestampStale):
        return "rejected_stale"
    if isinstance(exc, WeChatPayDecryptError):
        return "rejected_decrypt"
    if isinstance(exc, WeChatPaySignatureInvalid):
        return "rejected_signature"
    return "rejected_event"


def _summary(transaction: Transaction, **extra: str | None) -> dict[str, object]:
    """Non-secret facts for the audit log (no ciphertext, signature, or payer openid)."""
    data: dict[str, object] = {
        "trade_state": transaction.trade_state, "total": transaction.total, "currency": transaction.currency,
        "appid": transaction.appid, "mchid": transaction.mchid,
    }
    data.update({k: v for k, v in extra.items() if v is not None})
    return data


async def reject_unverified(
    session: AsyncSession, exc: WeChatPayVerificationError, headers: Mapping[str, str]
) -> NotificationResult:
    """Log a notification whose signature, timestamp or encryption did not check out; commits."""
    outcome = _rejection_of(exc, headers)
    return await service.reject(session, None, outcome, channel=WECHAT, summary={"error": str(exc)[:200]})


async def apply_wechat_notification(
    session: AsyncSession, gateways: Gateways, headers: Mapping[str, str], body: bytes
) -> NotificationResult:
    """Verify a WeChat Pay payment notification and apply it once; commits (the log row too, when rejected).

    Unverifiable notifications (bad or probe signature, stale timestamp, undecryptable) are logged and change
    nothing. A verified one must be ``SUCCESS`` for a known ``out_trade_no`` with the attempt's amount,
    appid and mchid, else it is rejected and logged.
    """
    client = gateways.require_wechatpay()
    try:
        notification = client.parse_payment_notification(headers, body)
    except WeChatPayVerificationError as exc:
        return await reject_unverified(session, exc, headers)
    envelope = notification.envelope
    return await _apply_transaction(
        session, gateways, notification.transaction, notification_id=envelope.id[:64] or None,
        summary=_summary(notification.transaction, event_type=envelope.event_type, source="notification"),
    )


async def _apply_transaction(
    session: AsyncSession, gateways: Gateways, transaction: Transaction, *, notification_id: str | None,
    summary: dict[str, object],
) -> NotificationResult:
    payment = VerifiedPayment(
        channel=WECHAT, out_trade_no=transaction.out_trade_no, transaction_id=transaction.transaction_id or "",
        amount=transaction.total, appid=transaction.appid, mchid=transaction.mchid,
        paid_at=transaction.success_time, currency=transaction.currency,
    )
    if transaction.trade_state != "SUCCESS" or not transaction.transaction_id:
        return await service.reject(session, payment, "rejected_state", channel=WECHAT,
                                    notification_id=notification_id, summary=summary)
    if transaction.mchid != gateways.require_wechatpay().mchid:
        return await service.reject(session, payment, "rejected_merchant", channel=WECHAT,
                                    notification_id=notification_id, summary=summary)
    return await service.settle_payment(session, gateways, payment, notification_id=notification_id,
                                        summary=summary)


async def reconcile_wechat_payment(session: AsyncSession, gateways: Gateways, order_id: int) -> NotificationResult:
    """Ask the gateway about a still-pending order's WeChat attempts and apply a ``SUCCESS`` like a notification.

    For the timeout sweep and support staff: a notification that never arrived must not lose the payment.
    Answers ``not_pending`` when the order is no longer pending and ``not_paid`` when no attempt was paid.
    """
    client = gateways.require_wechatpay()
    out_trade_nos = await service.unpaid_trades(session, order_id, WECHAT)
    if out_trade_nos is None:
        return NotificationResult("not_pending")
    for out_trade_no in out_trade_nos:
        try:
            transaction = await client.query_by_out_trade_no(out_trade_no)
        except WeChatPayGatewayError as exc:
            if exc.code == "ORDER_NOT_EXIST":
                continue
            raise gateway_unavailable(exc) from exc
        except WeChatPayError as exc:
            raise gateway_unavailable(exc) from exc
        if transaction.trade_state == "SUCCESS":
            return await _apply_transaction(
                session, gateways, transaction, notification_id=None, summary=_summary(transaction, source="reconcile")
            )
    return NotificationResult("not_paid")


async def apply_wechat_refund_notification(
    session: AsyncSession, gateways: Gateways, headers: Mapping[str, str], body: bytes
) -> NotificationResult:
    """Verify a WeChat Pay refund notification (REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED) and settle
    the refund once; commits. A repeat is ``duplicate``; an unknown ``out_refund_no`` is rejected."""
    client = gateways.require_wechatpay()
    try:
        notification = client.parse_refund_notification(headers, body)
    except WeChatPayVerificationError as exc:
        return await reject_unverified(session, exc, headers)
    refund = notification.refund
    summary: dict[str, object] = {
        "event_type": notification.envelope.event_type, "refund_status": refund.status, "refund": refund.refund,
        "out_refund_no": refund.out_refund_no, "source": "refund_notification",
    }
    notification_id = notification.envelope.id[:64] or None
    row = (await session.execute(
        select(Refund.id, Refund.amount).join(PaymentAttempt, PaymentAttempt.id == Refund.attempt_id)
        .where(Refund.out_refund_no == refund.out_refund_no, PaymentAttempt.channel == WECHAT)
    )).one_or_none()
    payment = VerifiedPayment(channel=WECHAT, out_trade_no=refund.out_trade_no, transaction_id=refund.transaction_id,
                              amount=refund.refund, appid="", mchid=client.mchid, paid_at=None)
    if row is None:
        return await service.reject(session, payment, "rejected_unknown_refund", channel=WECHAT,
                                    notification_id=notification_id, summary=summary)
    if row.amount != refund.refund:
        return await service.reject(session, payment, "rejected_amount", channel=WECHAT,
                                    notification_id=notification_id, summary=summary)
    status = refunds.WECHAT_STATUSES.get(refund.status, "processing")
    settled = status in refunds.FINISHED and await refunds.settle_refund(
        session, row.id, succeeded=status == "success", refund_id=refund.refund_id
    )
    await service.log_notification(
        session, channel=WECHAT, outcome="refund_settled" if settled else DUPLICATE, notification_id=notification_id,
        transaction_id=refund.transaction_id, out_trade_no=refund.out_trade_no, summary=summary,
    )
    await session.commit()
    return NotificationResult("refund_settled" if settled else DUPLICATE)

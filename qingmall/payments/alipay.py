"""Alipay (mini-program JSAPI_PAY, optional Huabei installments): start a payment, verify and apply its
notifications, reconcile by query.

The mini-program gets a ``trade_no`` from ``alipay.trade.create`` and passes it to ``my.tradePay``; Alipay
later posts a signed form (``trade_status_sync``) that ``apply_alipay_notification`` verifies and hands to
``service.settle_payment``. For Alipay attempts ``appid`` is the app_id, ``mchid`` the seller id (the
merchant's ``2088...`` user id) and ``prepay_id`` keeps the ``trade_no``. Alipay binds the Huabei terms to
the ``out_trade_no``, so other terms mean closing the open trade and creating a new one.

``buyer_open_id`` is the payer's Alipay open id for this app: the mini-program calls
``my.getAuthCode({scopes: 'auth_base'})`` and the code is exchanged for the open id with
``alipay.system.oauth.token``. It is taken from the client as it stands: it only restricts who can pay the
trade, so a wrong value makes ``my.tradePay`` fail for the shopper and can never move money elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.errors import Conflict, InvalidInput, UpstreamError
from qingmall.integrations.alipay import (
    AlipayClient,
    AlipayError,
    AlipayGatewayError,
    AlipayNotification,
    AlipayNotificationInvalid,
    AlipayRequestInvalid,
    AlipaySignatureInvalid,
    HuabeiInstallments,
    TradeQueried,
)
from qingmall.payments import service
from qingmall.payments.gateways import Gateways, PaymentChannelDisabled
from qingmall.payments.models import PaymentAttempt
from qingmall.payments.service import NotificationResult, PayableOrder, VerifiedPayment
from qingmall.shop import service as shop_service

log = structlog.get_logger("qingmall.payments.alipay")

ALIPAY = "alipay"
PAID_STATUSES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
IGNORED_STATUS = "ignored_status"
IGNORED_REFUND = "ignored_refund"
MAX_TIMEOUT_MINUTES = 15 * 24 * 60  # Alipay accepts 1m .. 15d


def gateway_unavailable(exc: AlipayError) -> UpstreamError:
    log.warning("alipay_call_failed", error=str(exc))
    return UpstreamError("支付宝暂不可用，请稍后重试", code="payment_gateway_error")


def _seller_id(client: AlipayClient) -> str:
    """The seller id every trade of this app pays (stored as the attempt's ``mchid``, required of notifications).
    Without it no notification could be checked, so the channel counts as not enabled."""
    if not client.seller_id:
        raise PaymentChannelDisabled("本店支付宝收款账号未配置")
    return client.seller_id


def _huabei(installments: int | None, seller_percent: int) -> HuabeiInstallments | None:
    """The Huabei terms (``None`` or 0 installments: none, and then the seller percent means nothing)."""
    if not installments:
        return None
    try:
        return HuabeiInstallments(periods=installments, seller_percent=seller_percent)
    except AlipayRequestInvalid as exc:
        raise InvalidInput(
            "花呗分期只支持 3、6、12 期，手续费承担比例只能是 0 或 100", code="invalid_installments"
        ) from exc


def _timeout_express(deadline: datetime | None) -> str | None:
    """The order's remaining pay time in whole minutes (rounded down, at least Alipay's 1m), so the trade
    closes with the order; a payment landing in the last minute is refunded if the order was cancelled."""
    if deadline is None:
        return None
    minutes = int((deadline - clock.now()).total_seconds() // 60)
    return f"{min(max(minutes, 1), MAX_TIMEOUT_MINUTES)}m"


def _shanghai_time(value: str | None) -> datetime | None:
    """Alipay's ``yyyy-MM-dd HH:mm:ss`` (Asia/Shanghai) as UTC; ``None`` when absent or unreadable."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=clock.SHANGHAI).astimezone(UTC)
    except ValueError:
        return None


def _answer(attempt: PaymentAttempt) -> dict[str, object]:
    return {
        "trade_no": attempt.prepay_id,
        "out_trade_no": attempt.out_trade_no,
        "amount": attempt.amount,
        "installments": attempt.installments,
        "seller_percent": attempt.seller_percent,
    }


def _terms(attempt: PaymentAttempt) -> tuple[object, ...]:
    return (
        attempt.amount,
        attempt.appid,
        attempt.mchid,
        attempt.payer_shopper_id,
        attempt.installments,
        attempt.seller_percent,
    )


async def open_id_from_auth_code(gateways: Gateways, auth_code: str) -> str:
    """The payer's open id for this app from the mini-program's ``my.getAuthCode`` code (single use)."""
    client = gateways.require_alipay()
    try:
        return await client.exchange_auth_code(auth_code)
    except AlipayGatewayError as exc:
        if exc.retryable:
            raise gateway_unavailable(exc) from exc
        raise InvalidInput("支付宝授权码无效或已使用，请重新授权", code="invalid_auth_code") from exc
    except AlipayError as exc:
        raise gateway_unavailable(exc) from exc


async def start_alipay_payment(
    session: AsyncSession,
    gateways: Gateways,
    order_no: str,
    *,
    payer_id: int,
    owner_id: int | None = None,
    installments: int | None = None,
    seller_percent: int = 0,
    buyer_open_id: str,
) -> dict[str, object]:
    """The ``trade_no`` for ``my.tradePay`` of a pending order paid by ``payer_id`` (plus ``out_trade_no``,
    ``amount``, ``installments``, ``seller_percent``); commits when it creates an attempt. ``owner_id``
    restricts the order to its shopper (``None`` for a friend paying by link).

    The open attempt is reused while its amount, app, seller, payer and Huabei terms still match. Otherwise
    the open trade is closed at Alipay (a trade already paid there answers 409 ``payment_in_progress``: its
    notification will book it) and locally, and a trade with a new ``out_trade_no`` is created; a lost race
    for the partial unique index (one open attempt per order and channel) falls back to the winner's
    attempt when it has the same terms.
    """
    await shop_service.require_payment_channel(session, "alipay")
    client = gateways.require_alipay()
    seller_id = _seller_id(client)
    huabei = _huabei(installments, seller_percent)
    periods, percent = (huabei.periods, huabei.seller_percent) if huabei is not None else (0, 0)
    order = await service.payable_order(session, order_no, shopper_id=owner_id)
    wanted = (order.payable_amount, client.app_id, seller_id, payer_id, periods, percent)
    current = await service.open_attempt(session, order_id=order.id, topup_id=None, channel=ALIPAY)
    if current is not None and _terms(current) == wanted:
        answer = _answer(current)
        await session.rollback()
        return answer
    out_trade_no = await service.next_out_trade_no(session, ALIPAY, order_id=order.id, base_no=order.order_no)
    current_id, current_no = (current.id, current.out_trade_no) if current is not None else (None, None)
    await session.rollback()
    if current_no is not None:
        await _close_at_gateway(client, current_no)
    trade_no = await _create_trade(
        client, gateways, order, out_trade_no=out_trade_no, buyer_open_id=buyer_open_id, huabei=huabei
    )
    if current_id is not None:
        await service.close_attempt(session, current_id)
    attempt = await service.insert_attempt(
        session,
        PaymentAttempt(
            order_id=order.id,
            channel=ALIPAY,
            out_trade_no=out_trade_no,
            amount=order.payable_amount,
            appid=client.app_id,
            mchid=seller_id,
            prepay_id=trade_no,
            installments=periods,
            seller_percent=percent,
            payer_shopper_id=payer_id,
            status="created",
        ),
    )
    if attempt is not None:
        return _answer(attempt)
    winner = await service.open_attempt(session, order_id=order.id, topup_id=None, channel=ALIPAY)
    answer = _answer(winner) if winner is not None and _terms(winner) == wanted else None
    await session.rollback()
    if answer is None:
        raise Conflict("支付正在创建，请稍后重试", code="payment_busy")
    return answer


async def _close_at_gateway(client: AlipayClient, out_trade_no: str) -> None:
    """Close an unpaid trade. A trade Alipay no longer holds open is fine when it closed (timed out or a
    concurrent request closed it) and a conflict when it was paid."""
    try:
        await client.close_trade(out_trade_no=out_trade_no)
        return
    except AlipayGatewayError as exc:
        if exc.sub_code == "ACQ.TRADE_NOT_EXIST":
            return
        if exc.sub_code != "ACQ.TRADE_STATUS_ERROR":
            raise gateway_unavailable(exc) from exc
    except AlipayError as exc:
        raise gateway_unavailable(exc) from exc
    try:
        trade = await client.query_trade(out_trade_no=out_trade_no)
    except AlipayError as exc:
        raise gateway_unavailable(exc) from exc
    if trade.trade_status in PAID_STATUSES:
        raise Conflict("该订单已支付，请稍后刷新", code="payment_in_progress")


async def _create_trade(
    client: AlipayClient,
    gateways: Gateways,
    order: PayableOrder,
    *,
    out_trade_no: str,
    buyer_open_id: str,
    huabei: HuabeiInstallments | None,
) -> str:
    try:
        created = await client.create_trade(
            out_trade_no=out_trade_no,
            total_amount=order.payable_amount,
            subject=f"轻商城订单 {order.order_no}",
            buyer_open_id=buyer_open_id,
            installments=huabei,
            notify_url=gateways.notify_url(ALIPAY),
            timeout_express=_timeout_express(order.pay_deadline),
        )
    except AlipayRequestInvalid as exc:
        raise InvalidInput("支付参数无效", code="invalid_payment_request") from exc
    except AlipayGatewayError as exc:
        if exc.sub_code == "ACQ.CONTEXT_INCONSISTENT":  # a concurrent request created this out_trade_no otherwise
            raise Conflict("支付正在创建，请稍后重试", code="payment_busy") from exc
        raise gateway_unavailable(exc) from exc
    except AlipayError as exc:
        raise gateway_unavailable(exc) from exc
    return created.trade_no


# --- notifications ----------------------------------------------------------------------------------------


def _summary(notification: AlipayNotification | TradeQueried, **extra: object) -> dict[str, object]:
    """Non-secret facts for the audit log (no signature, no buyer ids)."""
    data: dict[str, object] = {"trade_status": notification.trade_status, "total_amount": notification.total_amount}
    if isinstance(notification, AlipayNotification):
        data.update(app_id=notification.app_id, seller_id=notification.seller_id, notify_type=notification.notify_type)
        if notification.refund_fee is not None:
            data["refund_fee"] = notification.refund_fee
    data.update({k: v for k, v in extra.items() if v is not None})
    return data


def _unverified_outcome(exc: AlipayError, form: Mapping[str, str], client: AlipayClient) -> str:
    if isinstance(exc, AlipaySignatureInvalid) or form.get("sign_type", "RSA2") != "RSA2":
        return "rejected_signature"
    if form.get("app_id") != client.app_id:
        return "rejected_merchant"
    return "rejected_event"


async def apply_alipay_notification(
    session: AsyncSession, gateways: Gateways, form: Mapping[str, str]
) -> NotificationResult:
    """Verify an Alipay notification (the decoded form fields) and apply it once; commits (the log row too,
    when rejected). An ``accepted`` result is answered ``success``, anything else makes Alipay retry.

    - Signature missing, wrong (forged, tampered) or not RSA2: ``rejected_signature``, logged without the
      ``notify_id`` (an unverified id must not take the key of a genuine one), nothing changes. Signed but
      malformed or for another app: ``rejected_event`` / ``rejected_merchant``.
    - ``TRADE_SUCCESS`` / ``TRADE_FINISHED``: the seller must be ours, then ``service.settle_payment``
      (``TRADE_FINISHED`` after ``TRADE_SUCCESS`` of the same trade is a ``duplicate``).
    - A refund notification (it carries ``refund_fee``; Alipay sends the trade's status after a partial
      refund, ``TRADE_CLOSED`` after a full one): ``ignored_refund``. Our refunds are settled by the
      synchronous refund answer, and the payment was booked before anything was refunded.
    - ``WAIT_BUYER_PAY`` / ``TRADE_CLOSED``: ``ignored_status``.

    The ``notify_id`` of a verified notification is logged once, so Alipay's retries add no rows.
    """
    client = gateways.require_alipay()
    try:
        notification = client.verify_notification(dict(form))
    except (AlipaySignatureInvalid, AlipayNotificationInvalid) as exc:
        outcome = _unverified_outcome(exc, form, client)
        return await service.reject(session, None, outcome, channel=ALIPAY, summary={"error": str(exc)[:200]})
    notification_id = notification.notify_id[:64] or None
    summary = _summary(notification, source="notification")
    if notification.refund_fee is not None or notification.trade_status not in PAID_STATUSES:
        outcome = IGNORED_REFUND if notification.refund_fee is not None else IGNORED_STATUS
        await service.log_notification(
            session,
            channel=ALIPAY,
            outcome=outcome,
            notification_id=notification_id,
            transaction_id=notification.trade_no,
            out_trade_no=notification.out_trade_no,
            summary=summary,
        )
        await session.commit()
        return NotificationResult(outcome)
    payment = VerifiedPayment(
        channel=ALIPAY,
        out_trade_no=notification.out_trade_no,
        transaction_id=notification.trade_no,
        amount=notification.total_amount,
        appid=notification.app_id,
        mchid=notification.seller_id or "",
        paid_at=_shanghai_time(notification.gmt_payment),
    )
    if payment.mchid != client.seller_id:
        return await service.reject(
            session, payment, "rejected_merchant", channel=ALIPAY, notification_id=notification_id, summary=summary
        )
    return await service.settle_payment(session, gateways, payment, notification_id=notification_id, summary=summary)


async def reconcile_alipay_payment(session: AsyncSession, gateways: Gateways, order_id: int) -> NotificationResult:
    """Ask Alipay about a still-pending order's Alipay trades (newest first) and apply a paid one like a
    notification; for the timeout sweep and support staff, so a notification that never came loses nothing.

    The query is ours and its answer signed by Alipay for our app, so the trade's app and seller are ours.
    Answers ``not_pending`` when the order is no longer pending and ``not_paid`` when no trade was paid.
    """
    client = gateways.require_alipay()
    out_trade_nos = await service.unpaid_trades(session, order_id, ALIPAY)
    if out_trade_nos is None:
        return NotificationResult("not_pending")
    for out_trade_no in out_trade_nos:
        try:
            trade = await client.query_trade(out_trade_no=out_trade_no)
        except AlipayGatewayError as exc:
            if exc.sub_code == "ACQ.TRADE_NOT_EXIST":
                continue
            raise gateway_unavailable(exc) from exc
        except AlipayError as exc:
            raise gateway_unavailable(exc) from exc
        if trade.trade_status in PAID_STATUSES and trade.trade_no:
            payment = VerifiedPayment(
                channel=ALIPAY,
                out_trade_no=out_trade_no,
                transaction_id=trade.trade_no,
                amount=trade.total_amount,
                appid=client.app_id,
                mchid=client.seller_id,
                paid_at=_shanghai_time(trade.send_pay_date),
            )
            return await service.settle_payment(
                session, gateways, payment, notification_id=None, summary=_summary(trade, source="reconcile")
            )
    return NotificationResult("not_paid")

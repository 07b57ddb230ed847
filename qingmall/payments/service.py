"""Payment rules for WeChat Pay: start a payment, apply its notification exactly once, reconcile, refund.

Applying is keyed on the gateway's ``transaction_id``: a conditional UPDATE moves the attempt from
``created``/``closed`` to ``paid`` and sets ``transaction_id`` (unique), so of any number of concurrent
deliveries exactly one wins and calls ``orders.service.mark_paid``; the others answer ``duplicate``.
A verified payment is never dropped: if the order can no longer take it (cancelled meanwhile, or paid by
another attempt) a full refund is recorded in the same transaction and then requested at the gateway.
Network calls never run inside an open database transaction (SQLite holds its write lock per transaction).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.errors import AppError, Conflict, InvalidInput, NotFound, Unauthorized, UpstreamError
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
from qingmall.orders import service as orders_service
from qingmall.orders import states as order_states
from qingmall.orders.models import Order
from qingmall.payments import refunds
from qingmall.payments.models import PaymentAttempt, PaymentNotification
from qingmall.shoppers.models import Shopper

log = structlog.get_logger("qingmall.payments")

WECHAT = "wechat"
APPLIED = "applied"
DUPLICATE = "duplicate"
REFUND_REQUESTED = "refund_requested"
# Order errors after which the money must go back to the payer instead of onto the order.
_REFUND_CODES = frozenset({"invalid_order_state", "order_already_paid", "amount_mismatch"})

_REJECTIONS: dict[str, tuple[int, str]] = {
    "rejected_signature": (401, "通知签名无效"),
    "rejected_probe": (401, "签名探测请求，不处理"),
    "rejected_stale": (401, "通知时间戳已过期"),
    "rejected_decrypt": (400, "通知内容无法解密"),
    "rejected_event": (400, "不是支付成功通知"),
    "rejected_state": (400, "交易状态不是支付成功"),
    "rejected_unknown_trade": (404, "商户订单号不存在"),
    "rejected_merchant": (400, "通知的 appid 或商户号与支付单不一致"),
    "rejected_amount": (400, "通知金额与支付单金额不一致"),
    "rejected_conflict": (409, "支付单已由另一笔交易支付"),
}


@dataclass(frozen=True)
class NotificationResult:
    """What became of one notification (or reconciliation). ``accepted`` outcomes are answered 204."""

    outcome: str

    @property
    def accepted(self) -> bool:
        return not self.outcome.startswith("rejected_")

    def error(self) -> AppError:
        status, message = _REJECTIONS.get(self.outcome, (400, "通知被拒绝"))
        error_class = {401: Unauthorized, 404: NotFound, 409: Conflict}.get(status, InvalidInput)
        error = error_class(message, code=self.outcome)
        error.status_code = status
        return error


def out_trade_no_for(order_no: str, attempt_number: int) -> str:
    """``order_no`` + ``W`` + attempt number: unique, 6-32 chars of ``[0-9A-Za-z_-]`` as WeChat Pay requires."""
    value = f"{order_no}W{attempt_number}"
    if not 6 <= len(value) <= 32:
        raise InvalidInput("订单号过长，无法发起支付", code="invalid_out_trade_no")
    return value


def _gateway_unavailable(exc: WeChatPayError) -> UpstreamError:
    log.warning("wechatpay_call_failed", error=str(exc))
    return UpstreamError("微信支付暂不可用，请稍后重试", code="payment_gateway_error")


# --- starting a payment ---------------------------------------------------------------------------------


async def start_wechat_payment(
    session: AsyncSession, shopper_id: int, order_no: str, client: WeChatPayClient, *, appid: str, notify_url: str
) -> dict[str, str]:
    """The ``wx.requestPayment`` parameters for the shopper's pending order; commits when it creates an attempt.

    The open attempt (status ``created``) is reused while its amount and appid still match, so tapping "pay"
    again costs no new prepay order. Otherwise the open attempt is closed (locally and at the gateway) and
    a new one is created; prepay runs before the insert, and a lost race for the partial unique index
    (one open attempt per order and channel) falls back to the winner's attempt.
    """
    order = (
        await session.execute(
            select(Order.id, Order.status, Order.payable_amount, Order.pay_deadline).where(
                Order.order_no == order_no, Order.shopper_id == shopper_id
            )
        )
    ).one_or_none()
    if order is None:
        raise NotFound("订单不存在")
    if order.status != order_states.PENDING_PAYMENT:
        raise Conflict("订单当前状态不能支付", code="order_not_payable")
    if order.pay_deadline is not None and order.pay_deadline <= clock.now():
        raise Conflict("订单已超过支付期限", code="payment_deadline_passed")
    if order.payable_amount <= 0:
        raise Conflict("订单无需支付", code="order_not_payable")
    openid = await session.scalar(select(Shopper.openid).where(Shopper.id == shopper_id))
    if not openid:
        raise Conflict("请在微信小程序内登录后再支付", code="openid_required")
    open_attempt = (
        await session.execute(
            select(PaymentAttempt.id, PaymentAttempt.out_trade_no, PaymentAttempt.amount, PaymentAttempt.appid,
                   PaymentAttempt.prepay_id)
            .where(PaymentAttempt.order_id == order.id, PaymentAttempt.channel == WECHAT,
                   PaymentAttempt.status == "created")
        )
    ).one_or_none()
    if open_attempt is not None and open_attempt.amount == order.payable_amount and open_attempt.appid == appid:
        await session.rollback()
        return client.request_payment_params(appid, open_attempt.prepay_id)
    attempts = await session.scalar(select(func.count()).where(PaymentAttempt.order_id == order.id)) or 0
    await session.rollback()
    if open_attempt is not None:
        try:
            await client.close(open_attempt.out_trade_no)
        except WeChatPayGatewayError as exc:
            if exc.code == "ORDERPAID":
                raise Conflict("该订单已支付，请稍后刷新", code="payment_in_progress") from exc
            raise _gateway_unavailable(exc) from exc
    out_trade_no = out_trade_no_for(order_no, attempts + 1)
    try:
        prepay_id = await client.jsapi_prepay(
            appid=appid,
            description=f"轻商城订单 {order_no}",
            out_trade_no=out_trade_no,
            total=order.payable_amount,
            openid=openid,
            notify_url=notify_url,
            time_expire=order.pay_deadline,
        )
    except WeChatPayError as exc:
        raise _gateway_unavailable(exc) from exc
    if open_attempt is not None:
        await session.execute(
            update(PaymentAttempt)
            .where(PaymentAttempt.id == open_attempt.id, PaymentAttempt.status == "created")
            .values(status="closed")
        )
    session.add(
        PaymentAttempt(
            order_id=order.id, channel=WECHAT, out_trade_no=out_trade_no, amount=order.payable_amount,
            appid=appid, mchid=client.mchid, prepay_id=prepay_id, status="created",
        )
    )
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        winner = await session.scalar(
            select(PaymentAttempt.prepay_id).where(
                PaymentAttempt.order_id == order.id, PaymentAttempt.channel == WECHAT,
                PaymentAttempt.status == "created",
            )
        )
        await session.rollback()
        if winner is None:
            raise Conflict("支付正在创建，请稍后重试", code="payment_busy") from None
        prepay_id = winner
    return client.request_payment_params(appid, prepay_id)


# --- notifications ----------------------------------------------------------------------------------------


def _summary(transaction: Transaction | None, **extra: Any) -> dict[str, Any]:
    """Non-secret facts for the audit log (no ciphertext, signature, or payer openid)."""
    data: dict[str, Any] = {}
    if transaction is not None:
        data.update(
            trade_state=transaction.trade_state, total=transaction.total, currency=transaction.currency,
            appid=transaction.appid, mchid=transaction.mchid,
        )
    data.update({k: v for k, v in extra.items() if v is not None})
    return data


async def _log(
    session: AsyncSession, *, outcome: str, notification_id: str | None, transaction: Transaction | None,
    summary: dict[str, Any],
) -> PaymentNotification | None:
    """Add an audit row inside the caller's transaction (does not commit). A redelivered id is logged once
    (``None`` answers that the id was already logged)."""
    row = PaymentNotification(
        channel=WECHAT,
        notification_id=notification_id or None,
        transaction_id=(transaction.transaction_id or "")[:64] if transaction else "",
        out_trade_no=(transaction.out_trade_no or "")[:64] if transaction else "",
        outcome=outcome,
        summary=summary,
        received_at=clock.now(),
    )
    if notification_id is None:
        session.add(row)
        return row
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


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


async def apply_wechat_notification(
    session: AsyncSession, client: WeChatPayClient, headers: Mapping[str, str], body: bytes
) -> NotificationResult:
    """Verify a WeChat Pay payment notification and apply it once; commits (the log row too, when rejected).

    Unverifiable notifications (bad or probe signature, stale timestamp, undecryptable) are logged and change
    nothing. A verified one must be ``SUCCESS`` for a known ``out_trade_no`` with the attempt's amount,
    appid and mchid, else it is rejected and logged.
    """
    try:
        notification = client.parse_payment_notification(headers, body)
    except WeChatPayVerificationError as exc:
        outcome = _rejection_of(exc, headers)
        await _log(session, outcome=outcome, notification_id=None, transaction=None,
                   summary={"error": str(exc)[:200]})
        await session.commit()
        log.warning("wechatpay_notification_rejected", outcome=outcome, error=str(exc))
        return NotificationResult(outcome)
    envelope = notification.envelope
    return await _apply_transaction(
        session, client, notification.transaction, notification_id=envelope.id[:64] or None,
        extra={"event_type": envelope.event_type, "source": "notification"},
    )


async def reconcile_wechat_payment(session: AsyncSession, client: WeChatPayClient, order_id: int) -> NotificationResult:
    """Ask the gateway about a still-pending order's WeChat attempts and apply a ``SUCCESS`` like a notification.

    For the timeout sweep and support staff: a notification that never arrived must not lose the payment.
    Answers ``not_pending`` when the order is no longer pending and ``not_paid`` when no attempt was paid.
    """
    status = await session.scalar(select(Order.status).where(Order.id == order_id))
    if status is None:
        raise NotFound("订单不存在")
    if status != order_states.PENDING_PAYMENT:
        await session.rollback()
        return NotificationResult("not_pending")
    out_trade_nos = list(
        await session.scalars(
            select(PaymentAttempt.out_trade_no)
            .where(PaymentAttempt.order_id == order_id, PaymentAttempt.channel == WECHAT,
                   PaymentAttempt.status.in_(("created", "closed")))
            .order_by(PaymentAttempt.id.desc())
        )
    )
    await session.rollback()
    for out_trade_no in out_trade_nos:
        try:
            transaction = await client.query_by_out_trade_no(out_trade_no)
        except WeChatPayGatewayError as exc:
            if exc.code == "ORDER_NOT_EXIST":
                continue
            raise _gateway_unavailable(exc) from exc
        except WeChatPayError as exc:
            raise _gateway_unavailable(exc) from exc
        if transaction.trade_state == "SUCCESS":
            return await _apply_transaction(
                session, client, transaction, notification_id=None, extra={"source": "reconcile"}
            )
    return NotificationResult("not_paid")


async def _apply_transaction(
    session: AsyncSession, client: WeChatPayClient, transaction: Transaction, *, notification_id: str | None,
    extra: dict[str, Any],
) -> NotificationResult:
    """Check a verified transaction against its attempt and apply it once; commits."""

    async def reject(outcome: str) -> NotificationResult:
        await _log(session, outcome=outcome, notification_id=notification_id, transaction=transaction,
                   summary=_summary(transaction, **extra))
        await session.commit()
        log.warning("wechatpay_transaction_rejected", out_trade_no=transaction.out_trade_no, outcome=outcome)
        return NotificationResult(outcome)

    if transaction.trade_state != "SUCCESS" or not transaction.transaction_id:
        return await reject("rejected_state")
    attempt = await session.scalar(
        select(PaymentAttempt).where(
            PaymentAttempt.out_trade_no == transaction.out_trade_no, PaymentAttempt.channel == WECHAT
        )
    )
    if attempt is None:
        return await reject("rejected_unknown_trade")
    attempt_id, order_id, amount = attempt.id, attempt.order_id, attempt.amount
    if (transaction.appid, transaction.mchid) != (attempt.appid, attempt.mchid) or transaction.mchid != client.mchid:
        return await reject("rejected_merchant")
    if transaction.total != amount or transaction.currency != "CNY":
        return await reject("rejected_amount")
    transaction_id = transaction.transaction_id
    try:
        claimed = await session.execute(
            update(PaymentAttempt)
            .where(PaymentAttempt.id == attempt_id, PaymentAttempt.status.in_(("created", "closed")),
                   PaymentAttempt.transaction_id.is_(None))
            .values(status="paid", transaction_id=transaction_id, paid_at=transaction.success_time or clock.now())
            .execution_options(synchronize_session=False)
        )
    except IntegrityError:
        await session.rollback()
        claimed = None
    if claimed is None or claimed.rowcount != 1:
        current = await session.scalar(select(PaymentAttempt.transaction_id).where(PaymentAttempt.id == attempt_id))
        if current != transaction_id:
            return await reject("rejected_conflict")
        await _log(session, outcome=DUPLICATE, notification_id=notification_id, transaction=transaction,
                   summary=_summary(transaction, **extra))
        await session.commit()
        await refunds.send_pending_refunds(session, client, attempt_id)
        return NotificationResult(DUPLICATE)
    # Logged before mark_paid, whose commit then covers the attempt, the log row and the order together.
    log_row = await _log(session, outcome=APPLIED, notification_id=notification_id, transaction=transaction,
                         summary=_summary(transaction, **extra))
    try:
        await orders_service.mark_paid(session, order_id, paid_amount=amount, payment_ref=transaction_id)
    except Conflict as exc:
        if exc.code not in _REFUND_CODES:
            await session.rollback()  # e.g. order_busy: answer non-2xx so the gateway retries
            raise
        reason = f"订单无法入账（{exc.code}），自动全额退款"
        await refunds.record_refund(session, attempt_id, transaction, reason=reason)
        if log_row is not None:
            log_row.outcome = REFUND_REQUESTED
            log_row.summary = _summary(transaction, order_error=exc.code, **extra)
        await session.commit()
        await refunds.send_pending_refunds(session, client, attempt_id)
        return NotificationResult(REFUND_REQUESTED)
    await session.commit()
    return NotificationResult(APPLIED)

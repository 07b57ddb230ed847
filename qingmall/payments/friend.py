"""Friend pays (好友代付): a shopper shares a pay-for-me link; whoever opens it sees a summary and may pay.

The link is a random token (only its SHA-256 is stored); a new link replaces the order's old one, so the
shopper can revoke a link by sharing again. The summary shows what was bought and what it costs, the
requester's nickname and message — never the address, phone or the requester's account. The link
expires with the order: once its payment deadline passes, or the order is paid or cancelled, paying is
refused with a reason the friend can read. The friend pays as themself (their WeChat openid, or their
own balance); the attempt records them as ``payer_shopper_id`` and refunds go back to them.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.errors import Conflict, NotFound
from qingmall.orders import states as order_states
from qingmall.orders.models import Order, OrderLine
from qingmall.orders.service import TransitionResult
from qingmall.payments import balance, service, wechat
from qingmall.payments.gateways import Gateways
from qingmall.payments.models import FriendPayLink, PaymentAttempt
from qingmall.payments.schemas import FriendPayLinePublic, FriendPayLinkPublic, FriendPaySummaryPublic
from qingmall.shoppers.models import Shopper

SHARE_PAGE = "/pages/friend-pay/index"
LINK_STATUSES = {"pending": "等待好友代付", "paid": "已代付", "cancelled": "订单已取消", "expired": "代付已过期"}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _masked(nickname: str) -> str:
    """A friend sees the requester's nickname, with the middle hidden when long (微信昵称 are public anyway)."""
    nickname = nickname or "微信用户"
    return nickname if len(nickname) <= 2 else nickname[0] + "*" * min(len(nickname) - 2, 3) + nickname[-1]


async def create_link(session: AsyncSession, shopper_id: int, order_no: str, message: str = "") -> FriendPayLinkPublic:
    """A new pay-for-me link for the shopper's pending order (replacing any older one); commits."""
    order = await service.payable_order(session, order_no, shopper_id=shopper_id)
    if order.pay_deadline is None:
        raise Conflict("该订单不支持好友代付", code="friend_pay_unavailable")
    token = secrets.token_urlsafe(24)
    text = message or "帮我付一下吧～"
    values = {"token_hash": _hash(token), "message": text, "expires_at": order.pay_deadline, "created_at": clock.now()}
    replaced = await session.execute(
        update(FriendPayLink).where(FriendPayLink.order_id == order.id).values(**values)
        .execution_options(synchronize_session=False)
    )
    if replaced.rowcount == 0:
        try:
            async with session.begin_nested():
                session.add(FriendPayLink(order_id=order.id, **values))
        except IntegrityError:  # a concurrent first link: replace it instead
            await session.execute(
                update(FriendPayLink).where(FriendPayLink.order_id == order.id).values(**values)
                .execution_options(synchronize_session=False)
            )
    await session.commit()
    return FriendPayLinkPublic(token=token, share_path=f"{SHARE_PAGE}?token={token}", expires_at=order.pay_deadline,
                               message=text)


async def _link_order(session: AsyncSession, token: str) -> tuple[FriendPayLink, Order]:
    row = (await session.execute(
        select(FriendPayLink, Order).join(Order, Order.id == FriendPayLink.order_id)
        .where(FriendPayLink.token_hash == _hash(token))
    )).one_or_none()
    if row is None:
        raise NotFound("代付链接不存在或已被替换", code="friend_pay_link_not_found")
    return row[0], row[1]


def _status(link: FriendPayLink, order: Order) -> str:
    if order.status in order_states.PAID_STATUSES:
        return "paid"
    if order.status == order_states.CANCELLED:
        return "cancelled"
    if order.status != order_states.PENDING_PAYMENT or link.expires_at <= clock.now():
        return "expired"
    return "pending"


async def get_summary(session: AsyncSession, token: str, viewer_id: int | None) -> FriendPaySummaryPublic:
    """The order summary behind a link (anyone holding the token may look)."""
    link, order = await _link_order(session, token)
    requester = (await session.execute(
        select(Shopper.nickname, Shopper.avatar_url).where(Shopper.id == order.shopper_id)
    )).one()
    lines = (
        await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id))
    ).all()
    status = _status(link, order)
    paid_by_you = False
    if viewer_id is not None and status == "paid":
        payer = await session.scalar(
            select(PaymentAttempt.payer_shopper_id).where(PaymentAttempt.order_id == order.id,
                                                          PaymentAttempt.transaction_id == order.payment_ref)
        )
        paid_by_you = payer == viewer_id
    remaining = int((link.expires_at - clock.now()).total_seconds()) if status == "pending" else 0
    return FriendPaySummaryPublic(
        status=status, status_label=LINK_STATUSES[status], requester_nickname=_masked(requester.nickname),
        requester_avatar_url=requester.avatar_url, message=link.message,
        lines=[FriendPayLinePublic(title=line.title, spec_text=line.spec_text, image_url=line.image_url,
                                   unit_price=line.unit_price, quantity=line.quantity) for line in lines],
        goods_amount=order.goods_amount, shipping_fee=order.shipping_fee, discount_amount=order.discount_amount,
        payable_amount=order.payable_amount, expires_at=link.expires_at, pay_countdown_seconds=max(remaining, 0),
        paid_by_you=paid_by_you,
    )


async def _payable_order_no(session: AsyncSession, token: str) -> str:
    link, order = await _link_order(session, token)
    status = _status(link, order)
    order_no = order.order_no
    await session.rollback()
    if status != "pending":
        raise Conflict(f"无法代付：{LINK_STATUSES[status]}", code=f"friend_pay_{status}")
    return order_no


async def pay_by_wechat(session: AsyncSession, gateways: Gateways, token: str, friend_id: int) -> dict[str, str]:
    """``wx.requestPayment`` parameters for the friend (their openid pays); commits when it opens an attempt."""
    order_no = await _payable_order_no(session, token)
    return await wechat.start_wechat_payment(session, gateways, order_no, payer_id=friend_id, owner_id=None)


async def pay_by_balance(session: AsyncSession, token: str, friend_id: int) -> TransitionResult:
    """Pay the order from the friend's own balance; commits."""
    order_no = await _payable_order_no(session, token)
    return await balance.pay_order_with_balance(session, order_no, payer_id=friend_id, owner_id=None)

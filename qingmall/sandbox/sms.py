"""The development SMS inbox: login codes the console sender "sent", for people and browser tests.

``GET /sandbox/sms`` is a phone-sized page listing the newest messages (phone masked, code, Beijing time);
``GET /sandbox/sms/messages?phone=13800138000`` answers ``{"messages": [{"phone", "code", "sent_at"}]}``,
newest first. Both read the app's own sender (``shoppers.deps.get_sms_sender``: the instance on
``app.state``), so this is a router included in the main app, never a separate sandbox app, and the app
includes it only when ``settings.resolved_sandbox_enabled`` (never in production, D13). A sender that
keeps no messages (a real provider, or the tests' memory sender) is 409 ``sms_inbox_unavailable``.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import HTMLResponse

from qingmall.core import clock
from qingmall.core.crypto import mask_phone
from qingmall.core.errors import Conflict
from qingmall.core.text import SINGLE_LINE_PATTERN
from qingmall.sandbox import pages
from qingmall.shoppers.deps import get_app_settings, get_sms_sender
from qingmall.shoppers.sms import INBOX_SIZE, InboxMessage, SmsInbox

router = APIRouter(prefix="/sandbox/sms", tags=["sandbox"], include_in_schema=False)

INBOX = pages.Brand(
    name="短信收件箱",
    colors="--page:#f2f2f2;--sheet:#f2f2f2;--bar:#34c759;--bar-text:#fff;--logo:#fff;--tag:#fff;"
    "--brand:#34c759;--brand-active:#2aa44a;--link:#007aff;--radius:8px",
    logo_mark='content:"信";position:absolute;inset:0;color:#34c759;font-size:12px;font-weight:700;'
    "line-height:20px;text-align:center",
)
PhoneFilter = Annotated[str | None, Query(min_length=1, max_length=20, pattern=SINGLE_LINE_PATTERN)]


class SmsMessagePublic(BaseModel):
    phone: str
    code: str
    sent_at: datetime


class SmsInboxPublic(BaseModel):
    messages: list[SmsMessagePublic]


def _messages(request: Request, phone: str | None) -> list[InboxMessage]:
    sender = get_sms_sender(request)
    if not isinstance(sender, SmsInbox):
        name = get_app_settings(request).sms_sender
        raise Conflict(
            f"当前短信通道（{name}）不保存短信，收件箱只适用于 QINGMALL_SMS_SENDER=console",
            code="sms_inbox_unavailable",
        )
    return sender.recent_messages(phone)


@router.get("/messages")
async def list_sms_messages(request: Request, phone: PhoneFilter = None) -> SmsInboxPublic:
    """Kept messages, newest first; ``phone`` keeps those sent to that number."""
    messages = _messages(request, phone)
    return SmsInboxPublic(messages=[SmsMessagePublic(phone=m.phone, code=m.code, sent_at=m.sent_at) for m in messages])


def _row(message: InboxMessage) -> str:
    sent = clock.to_shanghai(message.sent_at).strftime("%m-%d %H:%M:%S")
    code = f'<b style="font-size:20px;letter-spacing:3px;font-variant-numeric:tabular-nums">{escape(message.code)}</b>'
    return f'<div class="row"><span>{escape(mask_phone(message.phone))}<br>{sent}</span><span>{code}</span></div>'


@router.get("")
async def sms_inbox_page(request: Request, phone: PhoneFilter = None) -> HTMLResponse:
    """The inbox as a page: newest first, phone masked, time in Beijing time."""
    messages = _messages(request, phone)
    if messages:
        listing = '<section class="details">\n' + "\n".join(_row(m) for m in messages) + "\n</section>"
    else:
        listing = (
            '<section class="result"><h1>还没有短信</h1><p>在 H5 登录页点「获取验证码」，然后刷新本页</p></section>'
        )
    body = f"""<section class="summary">
<div class="merchant">开发环境短信收件箱</div>
<div class="desc">登录验证码不会真的发到手机，只显示在这里（本进程最近 {INBOX_SIZE} 条，新的在前）</div>
</section>
{listing}
<section class="actions">
<a class="cancel" href="">刷新</a>
<p class="note">程序读取：GET /sandbox/sms/messages?phone=手机号</p>
</section>"""
    return pages.html(pages.document(INBOX, "短信收件箱", body))

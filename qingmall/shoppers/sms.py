"""Sending SMS login codes, behind a small interface so a real provider can be plugged in.

``settings.sms_sender`` names the sender: ``console`` (development: prints the code to the server log and
keeps the last ``INBOX_SIZE`` messages for the sandbox SMS inbox at ``/sandbox/sms``), ``memory`` (tests:
keeps what was sent). A provider (Aliyun SMS, Tencent Cloud SMS, ...) is a class with
``async send_login_code(phone, code, ttl_seconds)`` that raises ``SmsSendFailed`` when the provider
refuses, registered in ``SENDERS`` under its setting name.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

import structlog

from qingmall.core import clock
from qingmall.core.crypto import mask_phone, normalize_phone

log = structlog.get_logger("qingmall.sms")

INBOX_SIZE = 50


class SmsSendFailed(Exception):
    """The provider did not accept the message (the caller turns this into a retryable 502)."""


class SmsSender(Protocol):
    async def send_login_code(self, phone: str, code: str, ttl_seconds: int) -> None: ...


@dataclass(frozen=True)
class InboxMessage:
    """A message a development sender "sent": to whom, which code, when (UTC)."""

    phone: str
    code: str
    sent_at: datetime


@runtime_checkable
class SmsInbox(Protocol):
    """A sender that keeps what it sent, so the sandbox can show it (never a real provider)."""

    def recent_messages(self, phone: str | None = None) -> list[InboxMessage]: ...


class ConsoleSmsSender:
    """Development sender: writes the code to the server log (and stdout) instead of sending it, and keeps
    the last ``inbox_size`` messages in memory (per process) for the sandbox SMS inbox."""

    def __init__(self, inbox_size: int = INBOX_SIZE) -> None:
        self._inbox: deque[InboxMessage] = deque(maxlen=inbox_size)

    async def send_login_code(self, phone: str, code: str, ttl_seconds: int) -> None:
        minutes = max(1, ttl_seconds // 60)
        log.info("sms_login_code", phone=mask_phone(phone), code=code, ttl_seconds=ttl_seconds)
        print(f"[qingmall sms] {mask_phone(phone)}: 您的登录验证码是 {code}，{minutes} 分钟内有效。", flush=True)
        self._inbox.append(InboxMessage(phone=phone, code=code, sent_at=clock.now()))

    def recent_messages(self, phone: str | None = None) -> list[InboxMessage]:
        """Kept messages, newest first; only those to ``phone`` (normalised, e.g. ``+86`` dropped) if given."""
        wanted = normalize_phone(phone) if phone else None
        return [m for m in reversed(self._inbox) if wanted is None or normalize_phone(m.phone) == wanted]


@dataclass
class SentSms:
    phone: str
    code: str
    ttl_seconds: int


class MemorySmsSender:
    """Test sender: keeps every message, newest last; ``fail_next`` makes the next send fail."""

    def __init__(self) -> None:
        self.sent: list[SentSms] = []
        self.fail_next = False

    async def send_login_code(self, phone: str, code: str, ttl_seconds: int) -> None:
        if self.fail_next:
            self.fail_next = False
            raise SmsSendFailed("provider refused the message")
        self.sent.append(SentSms(phone, code, ttl_seconds))

    def last_code(self, phone: str) -> str:
        for message in reversed(self.sent):
            if message.phone == phone:
                return message.code
        raise LookupError(f"no SMS sent to {mask_phone(phone)}")


SENDERS: dict[str, Callable[[], SmsSender]] = {
    "console": ConsoleSmsSender,
    "memory": MemorySmsSender,
}


def build_sms_sender(name: str) -> SmsSender:
    try:
        return SENDERS[name]()
    except KeyError:
        raise RuntimeError(f"unknown QINGMALL_SMS_SENDER {name!r}; known: {', '.join(sorted(SENDERS))}") from None

"""Sending SMS login codes, behind a small interface so a real provider can be plugged in.

``settings.sms_sender`` names the sender: ``console`` (development: prints the code to the server log),
``memory`` (tests: keeps what was sent). A provider (Aliyun SMS, Tencent Cloud SMS, ...) is a class with
``async send_login_code(phone, code, ttl_seconds)`` that raises ``SmsSendFailed`` when the provider
refuses, registered in ``SENDERS`` under its setting name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import structlog

from qingmall.core.crypto import mask_phone

log = structlog.get_logger("qingmall.sms")


class SmsSendFailed(Exception):
    """The provider did not accept the message (the caller turns this into a retryable 502)."""


class SmsSender(Protocol):
    async def send_login_code(self, phone: str, code: str, ttl_seconds: int) -> None: ...


class ConsoleSmsSender:
    """Development sender: writes the code to the server log (and stdout) instead of sending it."""

    async def send_login_code(self, phone: str, code: str, ttl_seconds: int) -> None:
        minutes = max(1, ttl_seconds // 60)
        log.info("sms_login_code", phone=mask_phone(phone), code=code, ttl_seconds=ttl_seconds)
        print(f"[qingmall sms] {mask_phone(phone)}: 您的登录验证码是 {code}，{minutes} 分钟内有效。", flush=True)


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

"""The real Qingmall app for a server process that a test kills in the middle of a WeChat Pay notification.

Started by ``tests/payments/test_crash.py`` as ``python -m uvicorn --factory tests.payments.crash_server:create``.
Everything comes from the environment, as for a production server: ``QINGMALL_DATABASE_URL`` and the
``QINGMALL_WECHATPAY_*`` settings (the test's merchant key, APIv3 key and its sandbox's public key, the keys
as PEM files), so the process can verify and decrypt the sandbox's notifications. Its WeChat Pay base URL
is a closed port: applying a notification must not need the gateway, and this process could not reach the
sandbox (which lives in the test process) anyway.

``QINGMALL_TEST_KILL_AT`` arms the kill switch (SIGKILL to this process, no cleanup of any kind) for
requests to the notify route:

- ``request_body``: when the app receives the request body, before anything is processed;
- ``response_start``: when the app starts its reply, after the notification was applied and committed but
  before a byte of the answer left, so the gateway never learns the payment was taken.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from qingmall.app import create_app
from qingmall.settings import Settings

KILL_SWITCH = "QINGMALL_TEST_KILL_AT"
KILL_POINTS = ("request_body", "response_start")
NOTIFY = "/api/v1/payments/wechat/notify"

Message = dict[str, Any]


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class KillSwitch:
    """ASGI middleware around the whole app: SIGKILL at ``point`` of a request to the notify route."""

    def __init__(self, app: Any, point: str) -> None:
        if point not in KILL_POINTS:
            raise ValueError(f"{KILL_SWITCH} must be one of {KILL_POINTS}, not {point!r}")
        self.app = app
        self.point = point

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != NOTIFY:
            await self.app(scope, receive, send)
            return

        async def receive_or_die() -> Message:
            message = await receive()
            if self.point == "request_body" and message["type"] == "http.request" and not message.get("more_body"):
                _die()
            return message

        async def send_or_die(message: Message) -> None:
            if self.point == "response_start" and message["type"] == "http.response.start":
                _die()
            await send(message)

        await self.app(scope, receive_or_die, send_or_die)


def create() -> Any:
    """The app configured from the environment, behind the kill switch when ``QINGMALL_TEST_KILL_AT`` is set."""
    settings = Settings()
    app = create_app(settings)
    client = app.state.payment_gateways.wechatpay
    if client is None or client.mchid != settings.wechatpay_mchid:
        raise RuntimeError("QINGMALL_WECHATPAY_* must configure WeChat Pay for the crash test")
    point = os.environ.get(KILL_SWITCH, "")
    return KillSwitch(app, point) if point else app

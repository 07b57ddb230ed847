"""A server process killed (SIGKILL) in the middle of a WeChat Pay notification loses and doubles nothing.

A real uvicorn process (``crash_server``) serves the app on the test's database (SQLite file, and
PostgreSQL when configured). The order and its attempt are made through the in-process app, the payment
happens in the sandbox, and the notification is POSTed over TCP to the server, which kills itself on
receiving the body (nothing done yet) or when starting its reply (applied and committed, but the gateway
never hears so). WeChat Pay then redelivers to a restarted server: the answers are 204 and the order is
paid exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from qingmall.catalog.models import Sku
from qingmall.orders.models import Order, OrderEvent
from qingmall.payments.models import PaymentAttempt, PaymentNotification, Refund
from qingmall.sandbox.wechatpay import SandboxNotification, WeChatPaySandbox, private_key_pem
from tests.payments.conftest import APIV3_KEY, MCHID, MERCHANT_SERIAL, merchant_key
from tests.payments.crash_server import KILL_POINTS, KILL_SWITCH
from tests.payments.paykit import NOTIFY, pending_order, prepay

REPO = Path(__file__).resolve().parents[2]
START_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(db, sandbox: WeChatPaySandbox, directory: Path) -> dict[str, str]:
    """The server's environment: the test's database, and WeChat Pay configured with the test's keys."""
    directory.mkdir()
    merchant, wechatpay = directory / "apiclient_key.pem", directory / "wechatpay_public_key.pem"
    merchant.write_text(private_key_pem(merchant_key()))
    wechatpay.write_text(sandbox.public_key_pem)
    return os.environ | {
        "QINGMALL_DATABASE_URL": db.url,
        "QINGMALL_DATA_DIR": str(directory),
        "QINGMALL_JOBS_BACKEND": "memory",
        "QINGMALL_INPROCESS_JOBS": "false",
        "QINGMALL_WECHATPAY_MCHID": MCHID,
        "QINGMALL_WECHATPAY_MERCHANT_SERIAL_NO": MERCHANT_SERIAL,
        "QINGMALL_WECHATPAY_PRIVATE_KEY_PATH": str(merchant),
        "QINGMALL_WECHATPAY_APIV3_KEY": APIV3_KEY,
        "QINGMALL_WECHATPAY_PUBLIC_KEY_ID": sandbox.public_key_id,
        "QINGMALL_WECHATPAY_PUBLIC_KEY_PATH": str(wechatpay),
        "QINGMALL_WECHATPAY_BASE_URL": "http://127.0.0.1:9",  # nothing listens: no gateway call can succeed
    }


@contextlib.asynccontextmanager
async def serving(env: dict[str, str], log: Path) -> AsyncIterator[tuple[subprocess.Popen, str]]:
    """A uvicorn process serving ``crash_server`` until /healthz answers; stopped (by its pid) on the way out."""
    port = _free_port()
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "tests.payments.crash_server:create",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_SECONDS
            async with httpx.AsyncClient(base_url=base, timeout=2, trust_env=False) as probe:
                while True:
                    assert server.poll() is None, f"server exited with {server.returncode}:\n{log.read_text()}"
                    assert time.monotonic() < deadline, f"server did not start:\n{log.read_text()}"
                    with contextlib.suppress(httpx.TransportError):
                        if (await probe.get("/healthz")).status_code == 200:
                            break
                    await asyncio.sleep(0.2)
            yield server, base
        finally:
            if server.poll() is None:
                server.terminate()
                try:
                    await asyncio.to_thread(server.wait, 15)
                except subprocess.TimeoutExpired:
                    server.kill()
                    await asyncio.to_thread(server.wait, 15)


async def notify(base: str, notification: SandboxNotification) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as gateway:
        return await gateway.post(NOTIFY, content=notification.body, headers=notification.headers)


async def _state(db, order_no: str) -> dict:
    async with db.sessionmaker() as s:
        order = (await s.execute(select(Order).where(Order.order_no == order_no))).scalar_one()
        return {
            "order": (order.status, order.paid_amount, order.payment_ref),
            "paid_events": await s.scalar(
                select(func.count()).where(OrderEvent.order_id == order.id, OrderEvent.event == "paid")
            ),
            "attempts": [
                (a.status, a.transaction_id, a.amount)
                for a in await s.scalars(
                    select(PaymentAttempt).where(PaymentAttempt.order_id == order.id).order_by(PaymentAttempt.id)
                )
            ],
            "log": [
                (n.outcome, n.transaction_id)
                for n in await s.scalars(select(PaymentNotification).order_by(PaymentNotification.id))
            ],
            "refunds": await s.scalar(select(func.count()).select_from(Refund)),
        }


@pytest.mark.parametrize("kill_at", KILL_POINTS)
async def test_server_killed_while_receiving_a_notification_pays_the_order_once_after_restart(
    db, session, client, sandbox, tmp_path, kill_at
):
    # given an order of 2 x 39.90 with a WeChat Pay attempt, paid at the gateway
    order, headers = await pending_order(session, client, price=3990, quantity=2)
    params = await prepay(client, order, headers)
    [at_gateway] = [o for o in sandbox.orders.values() if params["package"] == f"prepay_id={o.prepay_id}"]
    paid = sandbox.pay(at_gateway.out_trade_no)
    notification = sandbox.build_notification(paid.out_trade_no)
    env = _server_env(db, sandbox, tmp_path / "server")
    assert order["payable_amount"] == paid.total == 7980
    pending = {
        "order": ("pending_payment", 0, ""),
        "paid_events": 0,
        "attempts": [("created", None, 7980)],
        "log": [],
        "refunds": 0,
    }
    paid_once = {
        "order": ("paid", 7980, paid.transaction_id),
        "paid_events": 1,
        "attempts": [("paid", paid.transaction_id, 7980)],
        "log": [("applied", paid.transaction_id)],
        "refunds": 0,
    }

    # when the server is killed at that moment of the notification
    async with serving(env | {KILL_SWITCH: kill_at}, tmp_path / "killed.log") as (server, base):
        with pytest.raises(httpx.TransportError) as dropped:
            await notify(base, notification)
        assert not isinstance(dropped.value, httpx.TimeoutException)
        assert await asyncio.to_thread(server.wait, 15) == -signal.SIGKILL

    # then the gateway got no answer, and the database holds either nothing or the whole payment
    assert await _state(db, order["order_no"]) == (pending if kill_at == "request_body" else paid_once)

    # when WeChat Pay redelivers the notification to the restarted server, twice, and then a new one
    async with serving(env, tmp_path / "restarted.log") as (_server, base):
        answers = [await notify(base, notification), await notify(base, notification)]
        answers.append(await notify(base, sandbox.build_notification(paid.out_trade_no)))

    # then every delivery is acknowledged and the order is paid exactly once: one applied row, the new
    # notification id logged as a duplicate, no refund, the sale counted once
    assert [a.status_code for a in answers] == [204, 204, 204]
    assert await _state(db, order["order_no"]) == paid_once | {
        "log": [("applied", paid.transaction_id), ("duplicate", paid.transaction_id)]
    }
    assert sandbox.calls["refund"] == 0
    [line] = order["lines"]
    async with db.sessionmaker() as s:
        assert await s.scalar(select(Sku.sales_count).where(Sku.id == line["sku_id"])) == 2

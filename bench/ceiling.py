"""Bare ceilings measured beside Qingmall in the same run.

- ``/json``: bare Starlette returning a pre-serialised ~1 KB JSON body (what the ASGI server allows).
- ``/checkout``: the smallest honest order transaction on the same database driver: one conditional stock
  UPDATE plus one order INSERT, no framework logic (what the database allows).
- ``/h5/...``: the built H5 storefront through bare Starlette ``StaticFiles`` (``BENCH_H5_DIR``), the ceiling
  for the app's own storefront serving (cache headers, gzip copies, the API's middlewares in front).
- ``/notify``: the irreducible work of a WeChat Pay payment notification: check the timestamp, verify one
  RSA-2048 signature (SHA256withRSA over ``timestamp\\nnonce\\nbody\\n``), AES-256-GCM decrypt the resource,
  then one transaction: the payment's conditional UPDATE and, when it won, one log INSERT (a repeat updates
  nothing and inserts nothing). Keys from ``BENCH_NOTIFY_PUBLIC_KEY_PATH`` / ``BENCH_NOTIFY_APIV3_KEY``.
"""

from __future__ import annotations

import base64
import os
import secrets
import time
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

BODY = orjson.dumps(
    {"items": [{"id": i, "title": f"商品{i}", "price_min": 1999, "main_image_url": "/media/x.webp"} for i in range(12)]}
)
DATABASE_URL = os.environ.get("BENCH_CEILING_DATABASE_URL", "")
_engine = create_async_engine(DATABASE_URL, pool_size=20, max_overflow=20) if DATABASE_URL else None
_NOTIFY_KEY_PATH = os.environ.get("BENCH_NOTIFY_PUBLIC_KEY_PATH", "")
_notify_key = serialization.load_pem_public_key(Path(_NOTIFY_KEY_PATH).read_bytes()) if _NOTIFY_KEY_PATH else None
_apiv3 = AESGCM(os.environ["BENCH_NOTIFY_APIV3_KEY"].encode()) if os.environ.get("BENCH_NOTIFY_APIV3_KEY") else None


async def json_endpoint(_request: Request) -> Response:
    return Response(BODY, media_type="application/json")


async def checkout_endpoint(request: Request) -> Response:
    payload = orjson.loads(await request.body())
    assert _engine is not None
    async with _engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.exec_driver_sql("SELECT 1")
        result = await conn.execute(
            text("UPDATE bench_stock SET stock = stock - 1 WHERE id = :id AND stock >= 1 RETURNING stock"),
            {"id": payload["sku"]},
        )
        if result.first() is None:
            return Response(b'{"code":"out_of_stock"}', status_code=409, media_type="application/json")
        await conn.execute(
            text("INSERT INTO bench_orders (order_no, sku_id, amount) VALUES (:no, :sku, 1999)"),
            {"no": secrets.token_hex(10), "sku": payload["sku"]},
        )
    return Response(b'{"ok":true}', media_type="application/json")


async def notify_endpoint(request: Request) -> Response:
    body = await request.body()
    headers = request.headers
    assert _notify_key is not None and _apiv3 is not None and _engine is not None
    timestamp, nonce = headers["wechatpay-timestamp"], headers["wechatpay-nonce"]
    if abs(time.time() - int(timestamp)) > 300:
        return Response(b'{"code":"stale"}', status_code=401, media_type="application/json")
    try:
        _notify_key.verify(
            base64.b64decode(headers["wechatpay-signature"]),
            f"{timestamp}\n{nonce}\n".encode() + body + b"\n",
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        return Response(b'{"code":"signature"}', status_code=401, media_type="application/json")
    resource = orjson.loads(body)["resource"]
    transaction = orjson.loads(
        _apiv3.decrypt(
            resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]), resource["associated_data"].encode()
        )
    )
    async with _engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.exec_driver_sql("SELECT 1")
        paid = await conn.execute(
            text(
                "UPDATE bench_payments SET status = 'paid', transaction_id = :tx "
                "WHERE out_trade_no = :no AND amount = :amount AND status = 'created' RETURNING id"
            ),
            {
                "tx": transaction["transaction_id"],
                "no": transaction["out_trade_no"],
                "amount": transaction["amount"]["total"],
            },
        )
        payment_id = paid.scalar()
        if payment_id is not None:
            await conn.execute(
                text("INSERT INTO bench_payment_log (payment_id, transaction_id) VALUES (:id, :tx)"),
                {"id": payment_id, "tx": transaction["transaction_id"]},
            )
    return Response(status_code=204)


_H5_DIR = os.environ.get("BENCH_H5_DIR", "")

app = Starlette(
    routes=[
        Route("/json", json_endpoint),
        Route("/checkout", checkout_endpoint, methods=["POST"]),
        Route("/notify", notify_endpoint, methods=["POST"]),
        *([Mount("/h5", StaticFiles(directory=_H5_DIR, html=True))] if _H5_DIR else []),
    ]
)

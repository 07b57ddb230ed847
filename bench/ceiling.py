"""Bare ceilings measured beside Qingmall in the same run.

- ``/json``: bare Starlette returning a pre-serialised ~1 KB JSON body (what the ASGI server allows).
- ``/checkout``: the smallest honest order transaction on the same database driver: one conditional stock
  UPDATE plus one order INSERT, no framework logic (what the database allows).
"""

from __future__ import annotations

import os
import secrets

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = orjson.dumps(
    {"items": [{"id": i, "title": f"商品{i}", "price_min": 1999, "main_image_url": "/media/x.webp"} for i in range(12)]}
)
DATABASE_URL = os.environ.get("BENCH_CEILING_DATABASE_URL", "")
_engine = create_async_engine(DATABASE_URL, pool_size=20, max_overflow=20) if DATABASE_URL else None


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


app = Starlette(routes=[Route("/json", json_endpoint), Route("/checkout", checkout_endpoint, methods=["POST"])])

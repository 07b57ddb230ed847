"""The payment-notification benchmark: ``POST /api/v1/payments/wechat/notify`` under wrk, beside its ceiling.

Two figures, each against the bare ``/notify`` of ``bench/ceiling.py`` fed the same way:

- **applied**: every request is a different, genuinely signed (SHA256withRSA) and AES-256-GCM encrypted
  ``TRANSACTION.SUCCESS`` for a different pending order's attempt, so every request pays an order
  (verification, decryption, the attempt's conditional UPDATE, the log row, ``mark_paid`` with the sales
  counters, commit). The figure counts notifications the database shows booked and wrk saw answered 2xx
  within the run (a request still in flight when wrk stops is booked after it, unanswered). The set is sized
  not to run out; if it did (the script counts what it sent), the report says so.
- **duplicate**: one valid notification, applied once before the run, posted over and over: the path of
  every WeChat retry.

The server verifies with keys it reads through its ``QINGMALL_WECHATPAY_*`` settings, as in production: the
bench generates a merchant key and a ``WeChatPaySandbox`` (which holds WeChat Pay's private key) into its
throwaway data directory and writes the sandbox's public key where the server and the ceiling read it. The
base URL points to a port where nothing listens: applying a notification calls no gateway.

One pending order per SKU is placed through the checkout service in this process, on the same database and
with the server's settings; the orders to pay are copies of those (order row and lines, in SQL: placing
thousands would take minutes), each given an open WeChat attempt. The ceiling gets rows in its own table.
Notifications are signed right before their wrk run (WeChat Pay signatures are valid for 5 minutes). Each set
holds 1.5 times what a 2-second calibration run's rate would pay in the measured run; a calibration set that
was used up is tripled and run again.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import create_engine, func, insert, select, text

from qingmall.sandbox.wechatpay import SandboxNotification, SandboxOrder, WeChatPaySandbox, private_key_pem

APP_PATH = "/api/v1/payments/wechat/notify"
CEILING_PATH = "/notify"
MCHID = "1900000109"
HEADERS = ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial")
SET_FACTOR = 1.5  # prepared notifications per one the calibrated rate would pay in the measured run
CALIBRATION_SECONDS = 2
CALIBRATION_TRIES = 3
SETTLE_SECONDS = 2

Wrk = Callable[..., dict[str, float]]


@dataclass(frozen=True)
class Trade:
    """An attempt waiting for its payment: what the gateway knows and the amount it will notify."""

    out_trade_no: str
    amount: int


@dataclass(frozen=True)
class Batch:
    """Trades prepared together; ``tag`` is in each of their ``out_trade_no`` (``S01N``...), so the database can
    say how many of them were paid whatever else is in flight."""

    tag: str
    trades: list[Trade]


@dataclass
class NotifyKeys:
    """The sandbox that signs, and the environment that makes the server and the ceiling trust it."""

    sandbox: WeChatPaySandbox
    app_env: dict[str, str]
    ceiling_env: dict[str, str]


def wechatpay_keys(data_dir: Path, appid: str) -> NotifyKeys:
    """A merchant key, an APIv3 key and a sandbox, written as the PEM files the settings point to."""
    keys = data_dir / "wechatpay"
    keys.mkdir(parents=True, exist_ok=True)
    merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    serial = (
        hashlib.sha1(
            merchant.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        .hexdigest()
        .upper()
    )
    apiv3_key = secrets.token_hex(16)
    sandbox = WeChatPaySandbox(
        mchid=MCHID,
        appid=appid,
        apiv3_key=apiv3_key,
        merchant_serial_no=serial,
        merchant_public_key=merchant.public_key(),
    )
    merchant_path, public_path = keys / "apiclient_key.pem", keys / "wechatpay_public_key.pem"
    merchant_path.write_text(private_key_pem(merchant))
    merchant_path.chmod(0o600)
    public_path.write_text(sandbox.public_key_pem)
    app_env = {
        "QINGMALL_WECHATPAY_MCHID": MCHID,
        "QINGMALL_WECHATPAY_MERCHANT_SERIAL_NO": serial,
        "QINGMALL_WECHATPAY_PRIVATE_KEY_PATH": str(merchant_path),
        "QINGMALL_WECHATPAY_APIV3_KEY": apiv3_key,
        "QINGMALL_WECHATPAY_PUBLIC_KEY_ID": sandbox.public_key_id,
        "QINGMALL_WECHATPAY_PUBLIC_KEY_PATH": str(public_path),
        "QINGMALL_WECHATPAY_BASE_URL": "http://127.0.0.1:9",  # nothing listens: the notify route calls no gateway
    }
    ceiling_env = {"BENCH_NOTIFY_PUBLIC_KEY_PATH": str(public_path), "BENCH_NOTIFY_APIV3_KEY": apiv3_key}
    return NotifyKeys(sandbox, app_env, ceiling_env)


# --- preparing what gets paid ---------------------------------------------------------------------------


async def _place_templates(database_url: str, shopper_id: int, address_id: int, sku_ids: Sequence[int]) -> list[int]:
    """One pending order per SKU placed by the checkout service; their ids."""
    from qingmall.checkout.schemas import CheckoutItem, OrderCreate
    from qingmall.checkout.service import place_order
    from qingmall.core.db import Database
    from qingmall.orders.models import Order

    database = Database(database_url)
    try:
        order_nos = []
        for sku_id in sku_ids:
            request = OrderCreate(
                items=[CheckoutItem(sku_id=sku_id, quantity=1)],
                address_id=address_id,
                idempotency_key=f"bench-notify-template-{sku_id}",
            )
            async with database.sessionmaker() as session:
                order, created = await place_order(session, shopper_id, request)
            assert created, request.idempotency_key
            order_nos.append(order.order_no)
        async with database.sessionmaker() as session:
            ids = dict(
                (await session.execute(select(Order.order_no, Order.id).where(Order.order_no.in_(order_nos)))).all()
            )
    finally:
        await database.dispose()
    return [ids[no] for no in order_nos]


def place_templates(
    database_url: str, data_dir: Path, shopper_id: int, address_id: int, sku_ids: Sequence[int]
) -> list[int]:
    """The orders of ``_place_templates``, placed with the server's settings (its data directory holds the key
    that decrypts the shopper's address)."""
    from qingmall.settings import get_settings

    os.environ.update(QINGMALL_DATA_DIR=str(data_dir), QINGMALL_DATABASE_URL=database_url)
    get_settings.cache_clear()
    return asyncio.run(_place_templates(database_url, shopper_id, address_id, sku_ids))


def copy_orders(
    sync_url: str, template_ids: Sequence[int], count: int, start: int, appid: str, tag: str
) -> list[Trade]:
    """``count`` pending orders, each a copy of a placed one (its row and lines, under a new order number and
    idempotency key), each with an open WeChat attempt for its payable amount. Copying in SQL takes a second
    where placing thousands of orders would take minutes; paying reads exactly what a placed order holds."""
    import qingmall.models  # noqa: F401  (every table, so foreign keys between areas resolve)
    from qingmall.orders.models import Order, OrderLine
    from qingmall.payments.models import PaymentAttempt

    orders, lines, attempts = Order.__table__, OrderLine.__table__, PaymentAttempt.__table__
    engine = create_engine(sync_url)
    with engine.begin() as conn:
        templates = {r.id: dict(r._mapping) for r in conn.execute(select(orders).where(orders.c.id.in_(template_ids)))}
        template_lines: dict[int, list[dict]] = {order_id: [] for order_id in template_ids}
        for r in conn.execute(select(lines).where(lines.c.order_id.in_(template_ids))):
            template_lines[r.order_id].append({k: v for k, v in r._mapping.items() if k not in ("id", "order_id")})
        sources = [templates[template_ids[i % len(template_ids)]] for i in range(start, start + count)]
        copies = [
            {k: v for k, v in source.items() if k != "id"}
            | {"order_no": f"{source['order_no'][:14]}{tag}{i:06d}", "idempotency_key": f"bench-notify-{i:07d}"}
            for i, source in zip(range(start, start + count), sources, strict=True)
        ]
        ids = conn.execute(insert(orders).returning(orders.c.id, sort_by_parameter_order=True), copies).scalars().all()
        conn.execute(
            insert(lines),
            [
                line | {"order_id": order_id}
                for order_id, source in zip(ids, sources, strict=True)
                for line in template_lines[source["id"]]
            ],
        )
        trades = [Trade(f"{copy['order_no']}W1", copy["payable_amount"]) for copy in copies]
        conn.execute(
            insert(attempts),
            [
                {
                    "order_id": order_id,
                    "channel": "wechat",
                    "out_trade_no": trade.out_trade_no,
                    "amount": trade.amount,
                    "appid": appid,
                    "mchid": MCHID,
                    "prepay_id": "wx" + secrets.token_hex(15),
                    "payer_shopper_id": source["shopper_id"],
                    "status": "created",
                }
                for order_id, source, trade in zip(ids, sources, trades, strict=True)
            ],
        )
    engine.dispose()
    return trades


def prepare_ceiling_payments(sync_url: str, count: int, start: int, tag: str) -> list[Trade]:
    """``count`` open rows of the ceiling's ``bench_payments`` table."""
    trades = [Trade(f"CEIL{tag}{i:08d}", 1999) for i in range(start, start + count)]
    engine = create_engine(sync_url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO bench_payments (out_trade_no, amount, status) VALUES (:no, :amount, 'created')"),
            [{"no": t.out_trade_no, "amount": t.amount} for t in trades],
        )
    engine.dispose()
    return trades


def booked(sync_url: str, batch: Batch, ceiling: bool) -> int:
    """How many of the batch's trades were paid: the app's ``applied`` log rows, or the ceiling's paid rows."""
    from qingmall.payments.models import PaymentNotification

    engine = create_engine(sync_url)
    with engine.connect() as conn:
        if ceiling:
            value = conn.scalar(
                text("SELECT count(*) FROM bench_payments WHERE status = 'paid' AND out_trade_no LIKE :pattern"),
                {"pattern": f"CEIL{batch.tag}%"},
            )
        else:
            value = conn.scalar(
                select(func.count())
                .select_from(PaymentNotification)
                .where(
                    PaymentNotification.outcome == "applied", PaymentNotification.out_trade_no.like(f"%{batch.tag}%")
                )
            )
    engine.dispose()
    return int(value or 0)


def settled(sync_url: str, batch: Batch, ceiling: bool) -> int:
    """``booked`` once the server has finished what wrk left in flight (unchanged for ``SETTLE_SECONDS``)."""
    deadline = time.monotonic() + 60
    last = booked(sync_url, batch, ceiling)
    while time.monotonic() < deadline:
        time.sleep(SETTLE_SECONDS)
        now = booked(sync_url, batch, ceiling)
        if now == last:
            return now
        last = now
    raise RuntimeError("the server is still booking notifications")


# --- signing and the wrk script --------------------------------------------------------------------------


def sign(sandbox: WeChatPaySandbox, trades: Sequence[Trade], appid: str) -> list[SandboxNotification]:
    """The TRANSACTION.SUCCESS notification WeChat Pay would send now for each trade, paid at the sandbox."""
    notifications = []
    for trade in trades:
        sandbox.orders[trade.out_trade_no] = SandboxOrder(
            appid=appid,
            out_trade_no=trade.out_trade_no,
            description="压测订单",
            total=trade.amount,
            currency="CNY",
            openid="o" + secrets.token_urlsafe(21)[:27],
            notify_url="https://bench.invalid/notify",
            attach=None,
            prepay_id="wx" + secrets.token_hex(15),
        )
        sandbox.pay(trade.out_trade_no)
        notifications.append(sandbox.build_notification(trade.out_trade_no))
        del sandbox.orders[trade.out_trade_no]
    return notifications


def write_requests(path: Path, notifications: Sequence[SandboxNotification]) -> Path:
    """One notification per line: the four ``Wechatpay-*`` header values and the body, tab-separated
    (orjson escapes control characters inside JSON strings, so a body holds no tab or newline)."""
    lines = []
    for n in notifications:
        body = n.body.decode()
        values = [n.headers[h] for h in HEADERS]
        if any(re.search(r"[\t\r\n]", v) for v in [*values, body]):
            raise ValueError("a notification holds a tab or a line break")
        lines.append("\t".join([*values, body]))
    path.write_text("\n".join(lines) + "\n")
    return path


def notify_script(path: Path, requests: Path, target: str) -> Path:
    """A wrk script posting the notifications of ``requests`` to ``target``, one per request.

    Of wrk's two threads (``-t2`` in ``bench/run.py``) one walks the set from its first line, the other from
    its last, so the set is used up only when the two together have sent all of it, however unevenly the
    server serves them; past that each thread goes on into the other's part (repeats, which pay nothing) and
    round again. ``done`` prints how many requests the script made as ``bench.sent=<n>``. A one-line set is a
    repeat from the start.
    """
    names = ", ".join(f'"{h}"' for h in HEADERS)
    path.write_text(
        f"""
local names = {{{names}}}
local threads = {{}}
local prepared = {{}}
local index, step = 0, 1
sent = 0
function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end
function init(args)
  local file = assert(io.open("{requests}", "rb"))
  for line in file:lines() do
    local fields = {{}}
    for field in string.gmatch(line, "[^\\t]+") do fields[#fields + 1] = field end
    local headers = {{["Content-Type"] = "application/json"}}
    for i, name in ipairs(names) do headers[name] = fields[i] end
    headers["Wechatpay-Signature-Type"] = "WECHATPAY2-SHA256-RSA2048"
    prepared[#prepared + 1] = wrk.format("POST", "{target}", headers, fields[#names + 1])
  end
  file:close()
  if thread_index % 2 == 1 then index, step = #prepared - 1, -1 end
end
function request()
  local r = prepared[(index % #prepared) + 1]
  index = index + step
  sent = sent + 1
  return r
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("sent") end
  io.write(string.format("bench.sent=%d\\n", total))
end
"""
    )
    return path


# --- the measurements ------------------------------------------------------------------------------------


@dataclass
class Context:
    """What the notify measurements need from ``bench/run.py``."""

    wrk: Wrk
    keys: NotifyKeys
    database_url: str
    sync_url: str
    data_dir: Path
    scripts: Path
    app_base: str
    ceiling_base: str
    duration: int
    connections: int
    appid: str
    shopper_id: int
    address_id: int
    sku_ids: Sequence[int]


def _log(message: str) -> None:
    print(f"[notify] {message}", file=sys.stderr, flush=True)


def _target(ctx: Context, ceiling: bool) -> tuple[str, str]:
    return (ctx.ceiling_base, CEILING_PATH) if ceiling else (ctx.app_base, APP_PATH)


def _run_set(ctx: Context, name: str, batch: Batch, *, ceiling: bool, seconds: int) -> dict[str, float]:
    """Sign the batch now and post each notification once for ``seconds``.

    ``rps`` counts a notification once it was both answered 2xx within the run and booked in the database (a
    request still in flight when wrk stops is booked by the server after it, unanswered: not counted).
    """
    started = time.perf_counter()
    notifications = sign(ctx.keys.sandbox, batch.trades, ctx.appid)
    data = write_requests(ctx.scripts / f"{name}.tsv", notifications)
    _log(f"{name}: {len(batch.trades)} notifications signed in {time.perf_counter() - started:.1f} s")
    base, path = _target(ctx, ceiling)
    script = notify_script(ctx.scripts / f"{name}.lua", data, path)
    result = ctx.wrk(base, seconds, ctx.connections, script)
    applied = settled(ctx.sync_url, batch, ceiling)
    answered = result["requests"] - result["errors"]
    result.update(
        prepared=len(batch.trades),
        applied=applied,
        exhausted=int(result["sent"] >= len(batch.trades)),
        rps=min(applied, answered) / result["seconds"],
    )
    _log(
        f"{name}: {applied} booked, {result['requests']} answered ({result['errors']} non-2xx), "
        f"{result['sent']} of {len(batch.trades)} sent in {result['seconds']:.1f} s"
    )
    return result


def _run_duplicate(ctx: Context, name: str, batch: Batch, *, ceiling: bool) -> dict[str, float]:
    """Apply one notification, then post that same notification over and over; ``applied`` counts the bookings
    past the first (0 when every repeat was recognised)."""
    import httpx

    [notification] = sign(ctx.keys.sandbox, batch.trades, ctx.appid)
    base, path = _target(ctx, ceiling)
    first = httpx.post(
        base + path, content=notification.body, headers=notification.headers, timeout=30, trust_env=False
    )
    first.raise_for_status()
    if booked(ctx.sync_url, batch, ceiling) != 1:
        raise RuntimeError(f"{name}: the first delivery did not pay its order")
    data = write_requests(ctx.scripts / f"{name}.tsv", [notification])
    script = notify_script(ctx.scripts / f"{name}.lua", data, path)
    result = ctx.wrk(base, ctx.duration, ctx.connections, script)
    result["applied"] = settled(ctx.sync_url, batch, ceiling) - 1
    _log(f"{name}: {result['requests']} answered ({result['errors']} non-2xx), {result['applied']} booked again")
    return result


def set_size(rate: float, seconds: int) -> int:
    return max(200, math.ceil(SET_FACTOR * rate * seconds))


def _calibrated_rate(ctx: Context, name: str, make: Callable[[int], Batch], hint: float, ceiling: bool) -> float:
    """Applied notifications per second over a short run whose set was not used up (tripled until it was not)."""
    size = set_size(hint, CALIBRATION_SECONDS)
    for _ in range(CALIBRATION_TRIES):
        result = _run_set(ctx, name, make(size), ceiling=ceiling, seconds=CALIBRATION_SECONDS)
        if not result["exhausted"]:
            break
        size *= 3
    return result["rps"]


def measure(ctx: Context, *, ceiling_hint: float, app_hint: float) -> dict[str, dict[str, float]]:
    """The four notify figures: ceiling and app, applied and duplicate.

    Each applied set is ``SET_FACTOR`` times what a calibration run's rate would pay in ``ctx.duration``; the
    hints (req/s of comparable work measured earlier in the run) size the calibration sets.
    """
    results: dict[str, dict[str, float]] = {}
    made = {"trades": 0, "batches": 0}
    templates: list[int] = []

    def batch_of(count: int, prepare: Callable[[int, int, str], list[Trade]]) -> Batch:
        made["batches"] += 1
        tag = f"S{made['batches']:02d}N"
        trades = prepare(count, made["trades"], tag)
        made["trades"] += count
        return Batch(tag, trades)

    def ceiling_batch(count: int) -> Batch:
        return batch_of(count, lambda n, start, tag: prepare_ceiling_payments(ctx.sync_url, n, start, tag))

    def app_batch(count: int) -> Batch:
        started = time.perf_counter()
        if not templates:
            templates.extend(
                place_templates(ctx.database_url, ctx.data_dir, ctx.shopper_id, ctx.address_id, ctx.sku_ids)
            )
        batch = batch_of(count, lambda n, start, tag: copy_orders(ctx.sync_url, templates, n, start, ctx.appid, tag))
        _log(f"{count} pending orders with their attempts prepared in {time.perf_counter() - started:.1f} s")
        return batch

    for key, make, hint, ceiling in (
        ("ceiling_notify", ceiling_batch, ceiling_hint, True),
        ("notify_applied", app_batch, app_hint, False),
    ):
        rate = _calibrated_rate(ctx, f"{key}-calibration", make, hint, ceiling)
        results[key] = _run_set(ctx, key, make(set_size(rate, ctx.duration)), ceiling=ceiling, seconds=ctx.duration)
        results[key]["calibration_rps"] = rate
        duplicate = "ceiling_notify_duplicate" if ceiling else "notify_duplicate"
        results[duplicate] = _run_duplicate(ctx, duplicate, make(1), ceiling=ceiling)
    return results


def summary(results: dict[str, dict[str, float]]) -> str:
    """The line under the report's table: how many notifications were prepared, answered and booked."""

    def applied(r: dict[str, float]) -> str:
        used_up = ", SET USED UP: the figure is too low" if r["exhausted"] else ""
        return (
            f"{r['applied']} orders paid of {r['prepared']} prepared, {r['requests']} answered in {r['seconds']:.1f} s"
            f"{used_up}"
        )

    app, ceiling = results["notify_duplicate"], results["ceiling_notify_duplicate"]
    return (
        f"Notifications applied: app {applied(results['notify_applied'])}; ceiling "
        f"{applied(results['ceiling_notify'])}. Duplicates: app {app['requests']} answered, ceiling "
        f"{ceiling['requests']}, paid again {app['applied']} and {ceiling['applied']} times."
    )

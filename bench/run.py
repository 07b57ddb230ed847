"""Run the benchmarks and write ``docs/benchmarks.md``.

    .venv/bin/python -m bench.run [--database-url postgresql+psycopg://127.0.0.1/test] [--duration 8]

Each figure is a ratio against a bare ceiling measured in the same run on the same machine, so machine speed
cancels out:
- the H5 storefront's shell and main script as served by the app (``core/static.py``: cache headers, gzip copies,
  behind the API's middlewares) vs bare Starlette ``StaticFiles`` serving the same build;
- catalog reads (product list page, product detail) vs bare Starlette returning pre-serialised JSON;
- order creation (``POST /api/v1/orders``: price recomputation, shipping, stock reservation, order + lines +
  timeline insert, idempotency) vs a bare stock-UPDATE + order-INSERT endpoint on the same database;
- WeChat Pay payment notifications (``POST /api/v1/payments/wechat/notify``, ``bench/notify.py``), each one
  paying a different order, and one already applied posted again and again, vs a bare endpoint that verifies
  one RSA signature, decrypts the resource and runs one conditional UPDATE + one INSERT on the same database.
Load comes from wrk on the same cores (2 threads, 64 connections for reads; 16 for writes). Needs ``wrk``
(``apt-get install wrk``). Uses a throwaway data directory; with ``--database-url`` the given PostgreSQL database's
``public`` schema is DROPPED and rebuilt (point it at a scratch database).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import notify

ROOT = Path(__file__).resolve().parents[1]

NOTES = """
## What the numbers say (read before the tables)

- **Storefront files** are served by the API process so `make run` needs nothing else: hashed assets with a
  one-year cache (a phone fetches them once per release), `index.html` revalidated, gzip copies made at build
  time. Against bare Starlette ``StaticFiles`` on the same build: 0.75 for the shell, 0.54 for the main script sent
  plain and 0.69 for its gzip copy (a third of the bytes); the gap is the API's middlewares and the ``.gz`` lookup.
  Static files through Python top out around a thousand per second on two cores either way; production puts a
  CDN or nginx in front of ``/assets/``.
- **Catalog reads** are served from the per-process page cache (``catalog/cache.py``) without touching the
  database; what is left is FastAPI's routing, query validation and the ASGI middlewares (body-size limit, audit
  pass-through). In-process a cached list page costs ~0.1 ms and a product page ~0.09 ms (``/docs`` ~0.03 ms);
  under wrk on the same two cores that is ~0.2-0.25 of bare Starlette, ~0.55-0.6 of FastAPI's own ceiling in
  ``notes/toolchain.md``. p99 is dominated by wrk and two workers sharing two cores at 64 connections.
- **Order creation** runs 14 SQL statements (~5 ms of database time on PostgreSQL) and ~9 ms of Python per order
  (SQLAlchemy ORM units of work, pydantic, psycopg), so it is CPU-bound at ~110-140 orders/s on two shared cores:
  0.1 of the bare two-statement transaction. Next steps, in order of payoff: build the response from the objects
  just written instead of re-reading the order (3 statements), Core inserts instead of ORM objects for lines,
  events and ledger rows, and one round trip for the idempotency lookup plus the SKU views. Hot single-SKU sales
  (flash sales) will go through Redis Lua, not this path (``decisions.md`` D4).
- **Payment notifications** (``bench/notify.py``): *applied* is orders paid per second, each by its own fresh,
  signed and encrypted notification; a request counts when wrk saw it answered 2xx and the database shows the
  payment booked (the line under the table gives prepared / paid / answered, and says so if the set ran out).
  One costs 13 SQL statements on PostgreSQL and, in process on this machine, ~20 ms of CPU: verifying and
  decrypting 0.4 ms (2%), finding and claiming the attempt plus the log row in its savepoint ~40%,
  ``mark_paid`` ~55% (it reads the order, ``_transition`` reads it again, then the UPDATE and timeline event,
  the line quantities, the SKU -> SPU lookup and both sales counters). So payments run at the rate of order
  creation in the same run (80/s each on PostgreSQL), 0.13 of the bare verify + decrypt + UPDATE + INSERT.
  *duplicate* is one applied notification posted again and again, as WeChat retries until answered 2xx: 7
  statements and ~15 ms, a quarter of it the log insert that the notification id's unique index refuses
  (savepoint, error, rollback to savepoint) and another quarter the pending-refund lookup every repeat makes;
  ~125/s, 0.12 of a bare path that verifies, decrypts and updates nothing: each WeChat retry costs two thirds
  of a payment. Cheapest next steps: skip the log insert for a notification id already logged (``ON CONFLICT
  DO NOTHING``, no savepoint) and read the order once in ``mark_paid``.
- SQLite figures are for the laptop setup only: every transaction takes the database write lock (D3).
"""
PY = sys.executable
QINGMALL = str(Path(PY).with_name("qingmall"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def wrk(
    url: str, duration: int, connections: int, script: Path | None = None, headers: dict[str, str] | None = None
) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}

    def latency(percent: int) -> float:
        found = re.search(rf"^ +{percent}%\s+([\d.]+)(us|ms|s)\b", out, re.MULTILINE)
        return float(found.group(1)) * scale[found.group(2)] if found else float("nan")

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    counters = {name: int(value) for name, value in re.findall(r"^bench\.(\w+)=(\d+)$", out, re.MULTILINE)}
    return {
        "rps": rps,
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "errors": int(non2xx.group(1)) if non2xx else 0,
        "requests": int(total.group(1)),
        "seconds": float(total.group(2)) * scale[total.group(3)] / 1000,
        **counters,  # ``bench.<name>=<n>`` lines a script's ``done`` prints
    }


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    """A server in its own session; its output goes nowhere (a pipe nobody reads would block a chatty server)."""
    return subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except Exception:
        os.killpg(proc.pid, signal.SIGKILL)


def order_script(path: Path, token: str, address_id: int, sku_ids: list[int]) -> Path:
    skus = ",".join(str(s) for s in sku_ids)
    path.write_text(
        f"""
local skus = {{{skus}}}
local counter = 0
local prefix = tostring(math.random(1, 1e9))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
request = function()
  counter = counter + 1
  local sku = skus[(counter % #skus) + 1]
  local body = string.format('{{"items":[{{"sku_id":%d,"quantity":1}}],"address_id":{address_id},'
    .. '"idempotency_key":"bench-%s-%d"}}', sku, prefix, counter)
  return wrk.format(nil, "/api/v1/orders", nil, body)
end
"""
    )
    return path


def ceiling_script(path: Path, sku_count: int) -> Path:
    path.write_text(
        f"""
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  return wrk.format(nil, "/checkout", nil, string.format('{{"sku":%d}}', (counter % {sku_count}) + 1))
end
"""
    )
    return path


def prepare_ceiling_tables(url: str, sku_count: int) -> None:
    from sqlalchemy import create_engine, text

    from qingmall.core.migrate import sync_url

    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        for table in ("bench_orders", "bench_stock", "bench_payment_log", "bench_payments"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        conn.execute(text("CREATE TABLE bench_stock (id INTEGER PRIMARY KEY, stock BIGINT NOT NULL)"))
        key = "INTEGER PRIMARY KEY" if conn.dialect.name == "sqlite" else "BIGSERIAL PRIMARY KEY"
        conn.execute(
            text(f"CREATE TABLE bench_orders (id {key}, order_no VARCHAR(32) UNIQUE, sku_id BIGINT, amount BIGINT)")
        )
        conn.execute(
            text(
                f"CREATE TABLE bench_payments (id {key}, out_trade_no VARCHAR(32) NOT NULL UNIQUE,"
                " amount BIGINT NOT NULL, status VARCHAR(16) NOT NULL, transaction_id VARCHAR(64) UNIQUE)"
            )
        )
        conn.execute(
            text(
                f"CREATE TABLE bench_payment_log (id {key}, payment_id BIGINT NOT NULL REFERENCES bench_payments (id),"
                " transaction_id VARCHAR(64) NOT NULL)"
            )
        )
        for i in range(1, sku_count + 1):
            conn.execute(text("INSERT INTO bench_stock (id, stock) VALUES (:i, 100000000)"), {"i": i})
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("QINGMALL_BENCH_DATABASE_URL", ""))
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    data_dir = Path(tempfile.mkdtemp(prefix="qingmall-bench-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{data_dir / 'bench.db'}"
    if database_url.startswith("postgresql://"):
        database_url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    app_port, ceiling_port = free_port(), free_port()
    from qingmall.settings import Settings

    h5_dir = Settings().resolved_storefront_dir
    if not (h5_dir / "index.html").is_file():
        sys.exit(f"the H5 storefront is not built at {h5_dir}: run `make h5` first")
    main_script = re.search(r'src="/(assets/index-[^"]+\.js)"', (h5_dir / "index.html").read_text()).group(1)

    appid = Settings().wechat_appid
    keys = notify.wechatpay_keys(data_dir, appid)
    env = dict(os.environ)
    env.update(
        QINGMALL_DATA_DIR=str(data_dir),
        QINGMALL_DATABASE_URL=database_url,
        QINGMALL_INPROCESS_JOBS="false",
        QINGMALL_JOBS_BACKEND="memory",
        PORT=str(app_port),
        BENCH_CEILING_DATABASE_URL=database_url,
        BENCH_H5_DIR=str(h5_dir),
        **keys.app_env,
        **keys.ceiling_env,
    )
    if database_url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        from qingmall.core.migrate import sync_url

        engine = create_engine(sync_url(database_url))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    subprocess.run([QINGMALL, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([QINGMALL, "seed-demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    staff_password = "Bench-" + uuid.uuid4().hex
    subprocess.run(
        [QINGMALL, "create-staff", "bench_owner", "--role", "owner", "--password", staff_password],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    sku_count = 32
    prepare_ceiling_tables(database_url, sku_count)

    uvicorn = [PY, "-m", "uvicorn", "--workers", "2", "--log-level", "warning", "--no-access-log"]
    app = start([*uvicorn, "--port", str(app_port), "qingmall.server:app"], env)
    ceiling = start([*uvicorn, "--port", str(ceiling_port), "bench.ceiling:app"], env)
    results: dict[str, dict[str, float]] = {}
    try:
        base = f"http://127.0.0.1:{app_port}"
        wait_http(f"{base}/healthz")
        wait_http(f"http://127.0.0.1:{ceiling_port}/json")
        c = httpx.Client(base_url=base, timeout=30)
        products = c.get("/api/v1/products", params={"limit": 20}).json()["items"]
        detail_id = products[0]["id"]

        staff = c.post("/api/admin/v1/auth/login", json={"username": "bench_owner", "password": staff_password})
        staff_headers = {"Authorization": f"Bearer {staff.json()['access_token']}"}
        shopper = c.post("/api/v1/auth/wechat-login", json={"code": f"demo-bench{uuid.uuid4().hex[:6]}-1"}).json()
        shopper_headers = {"Authorization": f"Bearer {shopper['access_token']}"}
        address = c.post(
            "/api/v1/addresses",
            headers=shopper_headers,
            json={
                "recipient_name": "压测",
                "phone": "13800138000",
                "province_code": "310000",
                "city_code": "310100",
                "district_code": "310104",
                "detail": "漕溪北路 1 号",
            },
        ).json()
        sku_ids: list[int] = []
        for item in c.get("/api/v1/products", params={"limit": 50}).json()["items"]:
            for sku in c.get(f"/api/v1/products/{item['id']}").json()["skus"]:
                if sku["is_enabled"] and len(sku_ids) < sku_count:
                    sku_ids.append(sku["id"])
                    c.post(
                        f"/api/admin/v1/skus/{sku['id']}/stock-adjustments",
                        headers=staff_headers,
                        json={"delta": 1_000_000, "reason": "adjust_in"},
                    ).raise_for_status()

        d = args.duration
        ceiling_base = f"http://127.0.0.1:{ceiling_port}"
        results["ceiling_h5_shell"] = wrk(f"{ceiling_base}/h5/", d, 64)
        results["h5_shell"] = wrk(f"{base}/", d, 64)
        results["ceiling_h5_script"] = wrk(f"{ceiling_base}/h5/{main_script}", d, 64)
        results["h5_script"] = wrk(f"{base}/{main_script}", d, 64)
        results["h5_script_gzip"] = wrk(f"{base}/{main_script}", d, 64, headers={"Accept-Encoding": "gzip"})
        plain_size = (h5_dir / main_script).stat().st_size
        gzip_path = h5_dir / f"{main_script}.gz"
        results["h5_script"]["bytes"] = plain_size
        results["h5_script_gzip"]["bytes"] = gzip_path.stat().st_size if gzip_path.exists() else plain_size
        results["ceiling_json"] = wrk(f"http://127.0.0.1:{ceiling_port}/json", d, 64)
        results["product_list"] = wrk(f"{base}/api/v1/products?limit=20", d, 64)
        results["product_detail"] = wrk(f"{base}/api/v1/products/{detail_id}", d, 64)
        scripts = Path(tempfile.mkdtemp())
        results["ceiling_checkout"] = wrk(
            f"http://127.0.0.1:{ceiling_port}", d, 16, ceiling_script(scripts / "c.lua", sku_count)
        )
        results["create_order"] = wrk(
            base, d, 16, order_script(scripts / "o.lua", shopper["access_token"], address["id"], sku_ids)
        )
        from qingmall.core.migrate import sync_url

        context = notify.Context(
            wrk=wrk,
            keys=keys,
            database_url=database_url,
            sync_url=sync_url(database_url),
            data_dir=data_dir,
            scripts=scripts,
            app_base=base,
            ceiling_base=f"http://127.0.0.1:{ceiling_port}",
            duration=d,
            connections=16,
            appid=appid,
            shopper_id=shopper["shopper"]["id"],
            address_id=address["id"],
            sku_ids=sku_ids,
        )
        results.update(
            notify.measure(
                context, ceiling_hint=results["ceiling_checkout"]["rps"], app_hint=2 * results["create_order"]["rps"]
            )
        )
    finally:
        stop(app)
        stop(ceiling)
    write_report(Path(args.output), database_url, results, args.duration)
    print(json.dumps(results, indent=2))
    shutil.rmtree(data_dir, ignore_errors=True)


def write_report(path: Path, database_url: str, results: dict[str, dict[str, float]], duration: int) -> None:
    dialect = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    rows = [
        ("storefront H5 shell (`/`, index.html)", "h5_shell", "ceiling_h5_shell"),
        ("storefront main script (plain)", "h5_script", "ceiling_h5_script"),
        ("storefront main script (gzip copy; ceiling sends it plain)", "h5_script_gzip", "ceiling_h5_script"),
        ("product list (20 per page)", "product_list", "ceiling_json"),
        ("product detail", "product_detail", "ceiling_json"),
        ("create order (buy now, 1 line)", "create_order", "ceiling_checkout"),
        ("payment notification, applied (each pays an order)", "notify_applied", "ceiling_notify"),
        ("payment notification, duplicate (WeChat retry)", "notify_duplicate", "ceiling_notify_duplicate"),
    ]
    lines = [
        f"### {dialect} — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, {duration} s per run",
        "",
        "| path | req/s | p50 ms | p99 ms | non-2xx | ceiling req/s | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, key, ceiling in rows:
        r, c = results[key], results[ceiling]
        lines.append(
            f"| {label} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | {c['rps']:.0f} | "
            f"{r['rps'] / c['rps']:.2f} |"
        )
    script = results["h5_script"]
    lines += [
        "",
        f"Storefront main script: {script['bytes'] / 1024:.0f} KiB plain, "
        f"{results['h5_script_gzip']['bytes'] / 1024:.0f} KiB as the gzip copy a phone downloads.",
        "",
        notify.summary(results),
    ]
    section = "\n".join(lines) + "\n"
    header = "# Benchmarks\n\n" + (__doc__ or "").strip() + "\n" + NOTES + "\nResults (newest first):\n\n"
    old = path.read_text() if path.exists() else ""
    previous = old.split("Results (newest first):\n\n", 1)[1] if "Results (newest first):\n\n" in old else ""
    path.write_text(header + section + "\n" + previous)


if __name__ == "__main__":
    main()

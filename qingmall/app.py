"""The ASGI application: shopper API under ``/api/v1``, merchant API under ``/api/admin/v1``.

``create_app`` is used by the server and by tests; it takes an explicit ``Database`` so tests can point
the same code at SQLite or PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from qingmall import __version__, jobs
from qingmall.aftersales import admin_api as aftersales_admin
from qingmall.aftersales import api as aftersales_api
from qingmall.analytics import admin_api as analytics_admin
from qingmall.cart import api as cart_api
from qingmall.catalog import admin_api as catalog_admin
from qingmall.catalog import api as catalog_api
from qingmall.catalog import transfer as catalog_transfer
from qingmall.checkout import api as checkout_api
from qingmall.content import admin_api as content_admin
from qingmall.content import api as content_api
from qingmall.core.db import Database, get_database, set_database
from qingmall.core.http import BodySizeLimit, install_error_handlers
from qingmall.core.logging import configure_logging
from qingmall.core.static import built_site, serve_storefront_when_nothing_matches
from qingmall.inventory import admin_api as inventory_admin
from qingmall.orders import admin_api as orders_admin
from qingmall.orders import api as orders_api
from qingmall.payments import admin_api as payments_admin
from qingmall.payments import api as payments_api
from qingmall.payments.setup import build_payment_setup
from qingmall.reviews import admin_api as reviews_admin
from qingmall.reviews import api as reviews_api
from qingmall.settings import Settings, get_settings
from qingmall.shipping import admin_api as shipping_admin
from qingmall.shop import admin_api as shop_admin
from qingmall.shop import api as shop_api
from qingmall.shoppers import admin_api as shoppers_admin
from qingmall.shoppers import api as shoppers_api
from qingmall.shoppers import uploads as shopper_uploads
from qingmall.staff import admin_api as staff_admin
from qingmall.staff.audit import install_audit
from qingmall.wallet import admin_api as wallet_admin
from qingmall.wallet import api as wallet_api

# hottest first: routes are matched in order
SHOPPER_ROUTERS = [
    catalog_api, cart_api, checkout_api, orders_api, payments_api, aftersales_api, wallet_api, shoppers_api,
    shopper_uploads, reviews_api, content_api, shop_api,
]
ADMIN_ROUTERS = [
    staff_admin, catalog_admin, inventory_admin, shipping_admin, orders_admin, payments_admin, aftersales_admin,
    reviews_admin, shoppers_admin, wallet_admin, content_admin, analytics_admin, shop_admin,
]


LANDING_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>轻商城 Qingmall</title>
<style>body{font-family:system-ui,"WenQuanYi Micro Hei",sans-serif;max-width:640px;margin:40px auto;padding:0 16px;
line-height:1.7;color:#222}code{background:#f4f4f4;padding:1px 4px;border-radius:3px}a{color:#e4393c}</style></head>
<body><h1>轻商城 Qingmall</h1>
<p>服务已启动。H5 店铺前台尚未构建：运行 <code>make h5</code>（<code>make run</code> 会自动构建）后刷新本页。</p>
<ul>
<li><a href="/docs">接口文档（可在线调试）</a> · <a href="/openapi.json">OpenAPI</a> ·
<a href="/healthz">健康检查</a></li>
<li>顾客接口：<code>/api/v1/</code>；商家接口：<code>/api/admin/v1/</code></li>
<li>演示员工账号和密码保存在数据目录的 <code>demo-credentials.txt</code>（默认 <code>var/</code>）；
登录：<code>POST /api/admin/v1/auth/login</code></li>
<li>演示顾客登录（沙箱微信）：<code>POST /api/v1/auth/wechat-login {"code": "demo-xiaoming-1"}</code></li>
<li>H5 短信登录的验证码不会真的发出：在 <a href="/sandbox/sms">开发环境短信收件箱</a> 查看</li>
</ul>
<p lang="en">The service is running. API docs at <a href="/docs">/docs</a>; demo staff passwords are in
<code>var/demo-credentials.txt</code>.</p></body></html>"""


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    problems = settings.problems_for_production()
    if problems:
        raise RuntimeError("refusing to start in production:\n- " + "\n- ".join(problems))
    configure_logging(json_logs=settings.log_format == "json", level=settings.log_level)
    owns_database = database is None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        db = database or Database(settings.resolved_database_url)
        set_database(db)
        run_jobs = settings.inprocess_jobs and settings.jobs_backend in ("sqlite", "redis")
        if run_jobs:
            jobs.start_inprocess()
        try:
            yield
        finally:
            if run_jobs:
                jobs.stop_inprocess()
            client = getattr(_app.state, "wechat_client", None)
            if client is not None:
                await client.aclose()
            await _app.state.payment_gateways.aclose()
            for sandbox in _app.state.payment_sandboxes.values():
                if hasattr(sandbox, "aclose"):
                    await sandbox.aclose()  # cancels the fakes' pending notification retries
            if owns_database:
                await db.dispose()

    app = FastAPI(
        title="Qingmall 轻商城 API",
        version=__version__,
        description="Shopper API (`/api/v1`) for the mini-program and H5, merchant API (`/api/admin/v1`).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    if database is not None:
        set_database(database)
    install_error_handlers(app)
    install_audit(app)
    app.add_middleware(
        BodySizeLimit,
        default_limit=1024 * 1024,
        limits=(  # each file limit plus room for the multipart envelope; the most specific prefix first
            ("/api/admin/v1/media/videos", settings.video_upload_max_bytes + 64 * 1024),
            ("/api/admin/v1/media/", settings.upload_max_bytes + 64 * 1024),
            ("/api/v1/uploads/", settings.upload_max_bytes + 64 * 1024),
            ("/api/admin/v1/products/imports", catalog_transfer.MAX_IMPORT_BYTES + 64 * 1024),
        ),
    )

    for module in SHOPPER_ROUTERS:
        app.include_router(module.router, prefix="/api/v1")
    for module in ADMIN_ROUTERS:
        app.include_router(module.router, prefix="/api/admin/v1")

    storefront = built_site(settings.resolved_storefront_dir)
    if storefront is None:

        @app.get("/", include_in_schema=False)
        async def home() -> HTMLResponse:
            """The H5 storefront has not been built (``make h5``): tell a new user where things are."""
            return HTMLResponse(LANDING_PAGE)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        async with get_database().sessionmaker() as session:
            await session.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": get_database().dialect}

    payment_setup = build_payment_setup(settings)
    app.state.payment_gateways = payment_setup.gateways
    app.state.payment_sandboxes = payment_setup.sandboxes
    for path, sandbox_app in payment_setup.mounts.items():
        app.mount(path, sandbox_app, name=path.rsplit("/", 1)[-1] + "-sandbox")
    if settings.resolved_sandbox_enabled:
        from qingmall.sandbox.sms import router as sms_inbox
        from qingmall.sandbox.wechat import create_wechat_sandbox

        app.mount("/sandbox/wechat", create_wechat_sandbox(), name="wechat-sandbox")
        app.include_router(sms_inbox)  # reads this app's SMS sender, so a router here, not a mounted app

    settings.media_dir.mkdir(parents=True, exist_ok=True)
    app.mount(settings.media_url_prefix, StaticFiles(directory=settings.media_dir), name="media")
    console = built_site(settings.resolved_console_dir)
    if console is not None:
        app.mount("/console", console, name="console")  # the merchant console (hash routes under /console/)
    if storefront is not None:
        serve_storefront_when_nothing_matches(app, storefront)
    return app

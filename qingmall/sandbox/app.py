"""The standalone sandbox server (``qingmall sandbox``): every fake partner under ``/sandbox/<name>``.

Each fake is a module of this package exposing ``create_<name>_sandbox()`` that serves the partner's
paths at its own root; the main app mounts the same apps when ``settings.sandbox_enabled``. WeChat Pay,
Alipay and the couriers join ``FAKES`` as they are written.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from qingmall.sandbox.wechat import WeChatSandbox, create_wechat_sandbox

FAKES: dict[str, Callable[[], FastAPI]] = {
    "wechat": create_wechat_sandbox,
}

__all__ = ["FAKES", "WeChatSandbox", "create_sandbox_app", "create_wechat_sandbox"]


def create_sandbox_app() -> FastAPI:
    app = FastAPI(title="Qingmall sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    for name, factory in FAKES.items():
        app.mount(f"/sandbox/{name}", factory())

    @app.get("/sandbox")
    async def index() -> dict[str, list[str]]:
        return {"fakes": sorted(FAKES)}

    return app

"""After-sales fixtures: the schema knows the after-sales and upload tables, and the app serves their routes.

Until ``qingmall/app.py`` lists ``aftersales.api``, ``aftersales.admin_api`` and ``shoppers.uploads``, the ``app``
fixture mounts them itself (and leaves the app alone once the lead has wired them).
"""

from __future__ import annotations

import pytest

import qingmall.aftersales.models
import qingmall.shoppers.upload_models  # noqa: F401
from qingmall.aftersales import admin_api, api
from qingmall.shoppers import uploads


@pytest.fixture
async def app(app):
    paths = {getattr(route, "path", "") for route in app.routes}
    if "/api/v1/after-sales" not in paths:
        app.include_router(api.router, prefix="/api/v1")
    if "/api/admin/v1/after-sales" not in paths:
        app.include_router(admin_api.router, prefix="/api/admin/v1")
    if "/api/v1/uploads/images" not in paths:
        app.include_router(uploads.router, prefix="/api/v1")
    return app

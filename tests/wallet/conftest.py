"""Wallet fixtures: the schema knows the wallet tables, and the app serves the wallet routes.

Until ``qingmall/app.py`` lists ``wallet.api`` / ``wallet.admin_api``, the ``app`` fixture mounts them itself
(and leaves the app alone once the lead has wired them).
"""

from __future__ import annotations

import pytest

import qingmall.wallet.models  # noqa: F401  (tables registered before the schema is built)
from qingmall.wallet import admin_api, api


@pytest.fixture
async def app(app):
    paths = {getattr(route, "path", "") for route in app.routes}
    if "/api/v1/wallet" not in paths:
        app.include_router(api.router, prefix="/api/v1")
    if "/api/admin/v1/shoppers/{shopper_id}/balance" not in paths:
        app.include_router(admin_api.router, prefix="/api/admin/v1")
    return app

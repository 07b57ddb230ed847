"""Each role's permission matrix, proven through ``require_permission`` on a tiny router and on real routes."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI

from qingmall.core.http import install_error_handlers
from qingmall.core.security import issue_token
from qingmall.staff.deps import CurrentStaff, require_permission
from qingmall.staff.models import Staff
from tests.factories import make_shopper, make_staff, shopper_headers, staff_headers

# Written out by hand (not derived from ROLES) so a careless edit of the role table fails here.
EXPECTED = {
    "owner": {
        "catalog.write", "inventory.write", "orders.ship", "orders.cancel", "reviews.moderate",
        "shoppers.read", "staff.manage", "audit.read", "media.upload", "aftersales.manage", "balance.adjust",
        "payments.reconcile", "content.write",
    },
    "operator": {
        "catalog.write", "inventory.write", "orders.cancel", "reviews.moderate", "shoppers.read", "audit.read",
        "media.upload", "aftersales.manage", "payments.reconcile", "content.write",
    },
    "customer_service": {"orders.cancel", "reviews.moderate", "shoppers.read", "aftersales.manage"},
    "warehouse": {"inventory.write", "orders.ship"},
}
CHECKED = sorted(EXPECTED["owner"])


@pytest.fixture
async def tiny(db):
    """An app with one route per permission, each answering who got in."""
    app = FastAPI()
    install_error_handlers(app)
    router = APIRouter()
    for permission in CHECKED:

        async def endpoint(staff: Staff = Depends(require_permission(permission))) -> dict[str, int]:
            return {"staff_id": staff.id}

        router.add_api_route(f"/check/{permission}", endpoint, methods=["GET"])

    router.add_api_route("/whoami", _whoami, methods=["GET"])
    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tiny") as client:
        yield client


async def _whoami(staff: CurrentStaff) -> dict[str, str]:
    return {"role": staff.role}


async def test_role_matrix(tiny, session):
    for role, granted in EXPECTED.items():
        staff = await make_staff(session, role=role)
        headers = staff_headers(staff)
        for permission in CHECKED:
            response = await tiny.get(f"/check/{permission}", headers=headers)
            if permission in granted:
                assert response.status_code == 200, (role, permission)
                assert response.json() == {"staff_id": staff.id}
            else:
                assert response.status_code == 403, (role, permission)
                assert response.json()["code"] == "permission_denied"
                assert response.json()["message"].startswith("当前角色没有权限：")


async def test_require_permission_refuses_unknown_permission_names():
    with pytest.raises(ValueError):
        require_permission("catalog.delete_everything")


async def test_bad_or_foreign_tokens_are_401(tiny, session):
    staff = await make_staff(session, role="owner")
    shopper = await make_shopper(session)
    url = "/check/staff.manage"
    assert (await tiny.get(url)).json()["code"] == "not_authenticated"
    assert (await tiny.get(url, headers={"Authorization": "Basic abc"})).status_code == 401
    assert (await tiny.get(url, headers={"Authorization": "Bearer not-a-jwt"})).json()["code"] == "invalid_token"
    # a shopper token never opens a merchant route
    assert (await tiny.get(url, headers=shopper_headers(shopper))).status_code == 401
    # a refresh-type staff token is not an access token
    refresh = issue_token(staff.id, audience="staff", token_type="refresh", ttl=timedelta(hours=1), extra={"ver": 0})
    assert (await tiny.get(url, headers={"Authorization": f"Bearer {refresh}"})).status_code == 401
    # a token of an older version (after logout) or of a deactivated account is refused
    old_headers = staff_headers(staff)
    staff.token_version += 1
    await session.commit()
    assert (await tiny.get(url, headers=old_headers)).json()["code"] == "invalid_token"
    assert (await tiny.get(url, headers=staff_headers(staff))).status_code == 200
    staff.is_active = False
    await session.commit()
    assert (await tiny.get(url, headers=staff_headers(staff))).status_code == 401


async def test_role_change_applies_to_the_next_request_without_new_login(tiny, session):
    staff = await make_staff(session, role="warehouse")
    headers = staff_headers(staff)
    assert (await tiny.get("/check/reviews.moderate", headers=headers)).status_code == 403
    staff.role = "customer_service"
    await session.commit()
    assert (await tiny.get("/check/reviews.moderate", headers=headers)).status_code == 200
    assert (await tiny.get("/whoami", headers=headers)).json() == {"role": "customer_service"}


REAL_ROUTES = [
    ("GET", "/api/admin/v1/staff", {"owner"}),
    ("GET", "/api/admin/v1/roles", {"owner"}),
    ("GET", "/api/admin/v1/audit-logs", {"owner", "operator"}),
    ("GET", "/api/admin/v1/reviews", {"owner", "operator", "customer_service"}),
    ("GET", "/api/admin/v1/me", {"owner", "operator", "customer_service", "warehouse"}),
]


async def test_real_routes_follow_the_matrix(client, session):
    staff_by_role = {role: await make_staff(session, role=role) for role in EXPECTED}
    for method, url, allowed in REAL_ROUTES:
        for role, staff in staff_by_role.items():
            response = await client.request(method, url, headers=staff_headers(staff))
            assert response.status_code == (200 if role in allowed else 403), (role, url)

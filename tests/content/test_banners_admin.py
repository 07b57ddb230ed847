"""Merchant banner routes: create, list (with ``is_live``), partial update, delete; validation and permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from qingmall.core import clock
from qingmall.staff.models import AuditLog
from tests.content.content_testkit import ADMIN, banner_body, image_url, thumb_url
from tests.factories import make_category, make_product, make_shopper, make_staff, shopper_headers, staff_headers


@pytest.fixture
async def owner(session):
    return staff_headers(await make_staff(session))


async def test_create_list_update_delete(client, session, owner, db):
    # given a category to link to
    category = await make_category(session, name="坚果")
    await session.commit()
    # when a banner linking to it is created
    created = await client.post(
        ADMIN,
        headers=owner,
        json=banner_body(1, caption="第二件半价", link_type="category", link_value=str(category.id), sort_order=5),
    )
    # then it is returned whole, with the thumbnail derived from the image
    assert created.status_code == 201, created.text
    banner = created.json()
    assert {k: v for k, v in banner.items() if k not in ("id", "created_at", "updated_at")} == {
        "title": "活动1",
        "caption": "第二件半价",
        "image_url": image_url(1),
        "thumbnail_url": thumb_url(1),
        "link_type": "category",
        "link_value": str(category.id),
        "sort_order": 5,
        "is_visible": True,
        "starts_at": None,
        "ends_at": None,
        "is_live": True,
    }
    assert banner["created_at"].endswith("Z")

    # when a hidden and an expired banner are added, the merchant still lists them, flagged not live
    hidden = (await client.post(ADMIN, headers=owner, json=banner_body(2, is_visible=False))).json()
    ends = (clock.now() + timedelta(minutes=5)).isoformat()
    expiring = (await client.post(ADMIN, headers=owner, json=banner_body(3, sort_order=9, ends_at=ends))).json()
    clock.advance(timedelta(minutes=6))
    listed = (await client.get(ADMIN, headers=owner)).json()
    live = [(b["id"], b["is_live"]) for b in listed]
    assert live == [(hidden["id"], False), (banner["id"], True), (expiring["id"], False)]
    assert (await client.get(f"{ADMIN}/{banner['id']}", headers=owner)).json()["title"] == "活动1"

    # when only some fields are patched, the others stay
    patched = await client.patch(
        f"{ADMIN}/{banner['id']}", headers=owner, json={"title": "坚果节", "link_type": "search", "link_value": "坚果"}
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    changed = (body["title"], body["caption"], body["link_type"], body["link_value"], body["sort_order"])
    assert changed == ("坚果节", "第二件半价", "search", "坚果", 5)
    # switching to "none" clears the value; a window can be set and cleared again
    body = (await client.patch(f"{ADMIN}/{banner['id']}", headers=owner, json={"link_type": "none"})).json()
    assert (body["link_type"], body["link_value"]) == ("none", "")
    later = (clock.now() + timedelta(days=1)).isoformat()
    body = (await client.patch(f"{ADMIN}/{banner['id']}", headers=owner, json={"starts_at": later})).json()
    assert (body["starts_at"] is not None, body["is_live"]) == (True, False)
    body = (await client.patch(f"{ADMIN}/{banner['id']}", headers=owner, json={"starts_at": None})).json()
    assert (body["starts_at"], body["is_live"]) == (None, True)

    # when it is deleted, it is gone
    deleted = await client.delete(f"{ADMIN}/{banner['id']}", headers=owner)
    assert (deleted.status_code, deleted.content) == (204, b"")
    missing = await client.get(f"{ADMIN}/{banner['id']}", headers=owner)
    assert (missing.status_code, missing.json()["code"]) == (404, "banner_not_found")
    assert [b["id"] for b in (await client.get(ADMIN, headers=owner)).json()] == [hidden["id"], expiring["id"]]

    # and every write was audited
    async with db.sessionmaker() as s:
        actions = (await s.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
    assert actions == [
        "POST /api/admin/v1/banners",
        "POST /api/admin/v1/banners",
        "POST /api/admin/v1/banners",
        *["PATCH /api/admin/v1/banners/{banner_id}"] * 4,
        "DELETE /api/admin/v1/banners/{banner_id}",
    ]


async def test_links_to_products_must_exist(client, session, owner):
    spu = await make_product(session)
    created = await client.post(ADMIN, headers=owner, json=banner_body(1, link_type="product", link_value=str(spu.id)))
    assert created.status_code == 201, created.text
    missing = await client.post(
        ADMIN, headers=owner, json=banner_body(2, link_type="product", link_value=str(spu.id + 1000))
    )
    assert missing.status_code == 422
    assert missing.json() == {
        "code": "link_target_not_found",
        "message": f"跳转的商品不存在（ID {spu.id + 1000}）",
        "details": {"field": "link_value", "link_type": "product", "id": spu.id + 1000},
    }


BAD_IMAGES = [
    "https://evil.example.com/banner.png",
    "/media/banner.png",
    "/static/" + image_url(1).removeprefix("/media/"),
    image_url(1, "svg"),
    image_url(1) + "?v=2",
    image_url(1).replace("/images/", "/images/../"),
    "javascript:alert(1)",
]


@pytest.mark.parametrize("url", BAD_IMAGES)
async def test_image_must_be_uploaded_to_this_shop(client, session, owner, url):
    refused = await client.post(ADMIN, headers=owner, json=banner_body(1, image_url=url))
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_image_url"
    assert refused.json()["message"] == "图片地址无效：请先通过「上传图片」上传到本店，再使用返回的图片地址"


async def test_invalid_bodies_are_refused_with_a_code_and_a_chinese_message(client, session, owner):
    category = await make_category(session)
    await session.commit()
    now = clock.now()
    not_an_id = ("invalid_link", "跳转类目时，跳转内容须为类目 ID（正整数）")
    not_a_product_id = ("invalid_link", "跳转商品时，跳转内容须为商品 ID（正整数）")
    cases = [
        (
            banner_body(link_type="category", link_value="999999"),
            "link_target_not_found",
            "跳转的类目不存在（ID 999999）",
        ),
        (banner_body(link_type="category", link_value="abc"), *not_an_id),
        (banner_body(link_type="category"), *not_an_id),
        (banner_body(link_type="product", link_value="0"), *not_a_product_id),
        (banner_body(link_type="product", link_value="9" * 19), *not_a_product_id),
        (banner_body(link_type="search", link_value=""), "invalid_link", "跳转搜索时，搜索词须为 1–50 个字"),
        (banner_body(link_type="search", link_value="词" * 51), "invalid_link", "跳转搜索时，搜索词须为 1–50 个字"),
        (banner_body(link_value=str(category.id)), "invalid_link", "不跳转的轮播图不能填写跳转内容"),
        (
            banner_body(starts_at=now.isoformat(), ends_at=now.isoformat()),
            "invalid_time_window",
            "结束时间必须晚于开始时间",
        ),
        (banner_body(title=""), "invalid_input", "参数不合法（title）：长度不能少于 1 个字符"),
        (banner_body(title="长" * 41), "invalid_input", "参数不合法（title）：长度不能超过 40 个字符"),
        (banner_body(caption="长" * 61), "invalid_input", "参数不合法（caption）：长度不能超过 60 个字符"),
        (banner_body(title="换\n行"), "invalid_input", "参数不合法（title）：不能包含换行或控制字符"),
        (banner_body(link_type="url"), "invalid_input", None),
        (banner_body(sort_order=10**7), "invalid_input", "参数不合法（sort_order）：不能大于 1000000"),
        (
            banner_body(starts_at="2027-01-01T08:00:00"),
            "invalid_input",
            "参数不合法（starts_at）：时间必须带时区，例如 2026-12-01T08:00:00+08:00",
        ),
        (
            banner_body(ends_at="9999-12-31T23:59:59-14:00"),
            "invalid_input",
            "参数不合法（ends_at）：时间超出范围（2000 年至 2100 年）",
        ),
        ({"title": "缺图片"}, "invalid_input", "参数不合法（image_url）：缺少必填项"),
        (banner_body(thumbnail_url=image_url(2)), "invalid_input", "参数不合法（thumbnail_url）：不支持的字段"),
    ]
    for body, code, message in cases:
        refused = await client.post(ADMIN, headers=owner, json=body)
        assert (refused.status_code, refused.json()["code"]) == (422, code), (body, refused.text)
        if message is not None:
            assert refused.json()["message"] == message, body
    assert (await client.get(ADMIN, headers=owner)).json() == []


async def test_invalid_patches_change_nothing(client, session, owner):
    body = banner_body(1, link_type="search", link_value="茶", starts_at="2030-01-01T00:00:00Z")
    banner = (await client.post(ADMIN, headers=owner, json=body)).json()
    url = f"{ADMIN}/{banner['id']}"
    cases = [
        ({"title": None}, "invalid_input"),
        ({"is_visible": None}, "invalid_input"),
        ({"link_value": None}, "invalid_input"),
        ({"link_type": "category"}, "invalid_link"),
        ({"link_value": ""}, "invalid_link"),
        ({"image_url": "https://evil.example.com/a.png"}, "invalid_image_url"),
        ({"ends_at": "2029-12-31T23:59:59Z"}, "invalid_time_window"),  # before the stored start
        ({"starts_at": "2099-01-01T00:00:00Z", "ends_at": "2098-01-01T00:00:00Z"}, "invalid_time_window"),
        ({"unknown": 1}, "invalid_input"),
    ]
    for body, code in cases:
        refused = await client.patch(url, headers=owner, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["code"] == code and refused.json()["message"], body
    assert (await client.get(url, headers=owner)).json() == banner
    for method in ("GET", "PATCH", "DELETE"):
        missing = await client.request(method, f"{ADMIN}/999999", headers=owner, json={} if method == "PATCH" else None)
        assert (missing.status_code, missing.json()) == (404, {"code": "banner_not_found", "message": "轮播图不存在"})


async def test_permissions(client, session, owner):
    banner = (await client.post(ADMIN, headers=owner, json=banner_body(1))).json()
    # customer service may look but not change
    support = staff_headers(await make_staff(session, role="customer_service"))
    assert (await client.get(ADMIN, headers=support)).status_code == 200
    for method, url, body in [
        ("POST", ADMIN, banner_body(2)),
        ("PATCH", f"{ADMIN}/{banner['id']}", {"title": "改"}),
        ("DELETE", f"{ADMIN}/{banner['id']}", None),
    ]:
        refused = await client.request(method, url, headers=support, json=body)
        assert refused.status_code == 403
        assert refused.json() == {"code": "permission_denied", "message": "当前角色没有权限：店铺装修"}
    # the operator (运营) decorates the shop too; the warehouse may not
    operator = staff_headers(await make_staff(session, role="operator"))
    assert (await client.post(ADMIN, headers=operator, json=banner_body(3))).status_code == 201
    warehouse = staff_headers(await make_staff(session, role="warehouse"))
    assert (await client.post(ADMIN, headers=warehouse, json=banner_body(4))).status_code == 403
    # shoppers and strangers get nothing
    shopper = shopper_headers(await make_shopper(session))
    assert (await client.get(ADMIN, headers=shopper)).status_code == 401
    assert (await client.get(ADMIN)).status_code == 401
    assert [b["title"] for b in (await client.get(ADMIN, headers=owner)).json()] == ["活动1", "活动3"]

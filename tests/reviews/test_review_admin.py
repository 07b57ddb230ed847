"""Merchant moderation: list with filters, one editable reply, hide/unhide with a reason — and what
shoppers and the product summary see as a result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from qingmall.reviews import service
from qingmall.staff.models import AuditLog
from tests.factories import make_product, make_shopper, make_staff, staff_headers
from tests.reviews.review_helpers import make_review, photo_url

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
ADMIN = "/api/admin/v1/reviews"


async def _summary(db, spu_id: int):
    async with db.sessionmaker() as s:
        return await service.get_review_summary(s, spu_id)


async def test_reply_once_and_edit(client, session, db):
    # given a review and a customer-service agent
    spu = await make_product(session)
    shopper = await make_shopper(session, nickname="赵六")
    review = await make_review(session, shopper, spu, rating=2, content="发货慢", is_anonymous=True)
    agent = await make_staff(session, role="customer_service")
    headers = staff_headers(agent)
    # when they reply
    first = await client.put(f"{ADMIN}/{review.id}/reply", headers=headers, json={"content": "抱歉，已催促仓库"})
    assert first.status_code == 200
    body = first.json()
    assert body["reply"]["content"] == "抱歉，已催促仓库"
    assert body["reply_staff_id"] == agent.id
    # the merchant sees the real author even of an anonymous review
    assert (body["shopper_id"], body["shopper_nickname"], body["is_anonymous"]) == (shopper.id, "赵六", True)
    # and editing keeps one reply with the new text
    second = await client.put(f"{ADMIN}/{review.id}/reply", headers=headers, json={"content": "已补发优惠券"})
    assert second.json()["reply"]["content"] == "已补发优惠券"
    # then shoppers see the reply on the product page
    public = (await client.get(f"/api/v1/products/{spu.id}/reviews")).json()["items"]
    assert public[0]["reply"]["content"] == "已补发优惠券"
    # bad input and unknown reviews are 4xx
    assert (await client.put(f"{ADMIN}/{review.id}/reply", headers=headers, json={"content": ""})).status_code == 422
    blank = await client.put(f"{ADMIN}/{review.id}/reply", headers=headers, json={"content": "   "})
    assert (blank.status_code, blank.json()["code"]) == (422, "empty_reply")
    too_long = await client.put(f"{ADMIN}/{review.id}/reply", headers=headers, json={"content": "好" * 501})
    assert too_long.status_code == 422
    missing = await client.put(f"{ADMIN}/999999/reply", headers=headers, json={"content": "在吗"})
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    # and every write was audited with the review id as target
    async with db.sessionmaker() as s:
        rows = (await s.scalars(select(AuditLog).order_by(AuditLog.id))).all()
    assert [(r.action, r.target_id, r.status_code) for r in rows[:2]] == [
        ("PUT /api/admin/v1/reviews/{review_id}/reply", str(review.id), 200),
        ("PUT /api/admin/v1/reviews/{review_id}/reply", str(review.id), 200),
    ]
    assert [r.status_code for r in rows[2:]] == [422, 422, 422, 404]


async def test_hide_and_unhide(client, session, db):
    # given a product with a good review and an abusive one
    spu = await make_product(session)
    shopper = await make_shopper(session)
    good = await make_review(session, shopper, spu, rating=5, created_at=T0)
    bad = await make_review(session, shopper, spu, rating=1, content="加微信xxx", created_at=T0 + timedelta(hours=1))
    operator = await make_staff(session, role="operator")
    headers = staff_headers(operator)
    # when the abusive one is hidden with a reason
    hidden = await client.post(f"{ADMIN}/{bad.id}/hide", headers=headers, json={"reason": "含广告信息"})
    assert hidden.status_code == 200
    assert (hidden.json()["is_hidden"], hidden.json()["hidden_reason"]) == (True, "含广告信息")
    assert hidden.json()["hidden_at"] is not None
    # then shoppers and the summary no longer see it
    public = (await client.get(f"/api/v1/products/{spu.id}/reviews")).json()["items"]
    assert [i["id"] for i in public] == [good.id]
    summary = await _summary(db, spu.id)
    assert (summary.review_count, summary.average_rating, summary.good_rate) == (1, 5.0, 100)
    # when it is shown again, the reason is cleared and it counts again
    shown = await client.post(f"{ADMIN}/{bad.id}/unhide", headers=headers)
    assert (shown.json()["is_hidden"], shown.json()["hidden_reason"], shown.json()["hidden_at"]) == (False, "", None)
    summary = await _summary(db, spu.id)
    assert (summary.review_count, summary.average_rating, summary.good_rate) == (2, 3.0, 50)
    # a reason is required
    no_reason = await client.post(f"{ADMIN}/{bad.id}/hide", headers=headers, json={"reason": ""})
    assert no_reason.status_code == 422
    blank = await client.post(f"{ADMIN}/{bad.id}/hide", headers=headers, json={"reason": "  "})
    assert (blank.status_code, blank.json()["code"]) == (422, "empty_reason")


async def test_admin_list_filters_and_pages(client, session):
    spu_a = await make_product(session, title="商品A")
    spu_b = await make_product(session, title="商品B")
    shopper = await make_shopper(session)
    r1 = await make_review(session, shopper, spu_a, rating=5)
    r2 = await make_review(session, shopper, spu_a, rating=1, is_hidden=True)
    r3 = await make_review(session, shopper, spu_b, rating=1)
    r4 = await make_review(session, shopper, spu_b, rating=4)
    owner = await make_staff(session, role="owner")
    headers = staff_headers(owner)
    await client.put(f"{ADMIN}/{r3.id}/reply", headers=headers, json={"content": "已联系处理"})

    async def ids(**params) -> list[int]:
        response = await client.get(ADMIN, headers=headers, params=params)
        assert response.status_code == 200, response.json()
        return [i["id"] for i in response.json()["items"]]

    assert await ids() == [r4.id, r3.id, r2.id, r1.id]
    assert await ids(rating=1) == [r3.id, r2.id]
    assert await ids(is_hidden="true") == [r2.id]
    assert await ids(is_hidden="false") == [r4.id, r3.id, r1.id]
    assert await ids(has_reply="true") == [r3.id]
    assert await ids(has_reply="false") == [r4.id, r2.id, r1.id]
    assert await ids(spu_id=spu_a.id) == [r2.id, r1.id]
    assert await ids(spu_id=spu_b.id, rating=1, has_reply="true") == [r3.id]
    first = (await client.get(ADMIN, headers=headers, params={"limit": 3})).json()
    second = (await client.get(ADMIN, headers=headers, params={"limit": 3, "cursor": first["next_cursor"]})).json()
    assert [i["id"] for i in first["items"] + second["items"]] == [r4.id, r3.id, r2.id, r1.id]
    assert second["next_cursor"] is None
    detail = (await client.get(f"{ADMIN}/{r3.id}", headers=headers)).json()
    assert (detail["product_title"], detail["reply"]["content"]) == ("商品B", "已联系处理")
    for bad in ({"rating": 0}, {"rating": 6}, {"limit": 0}, {"cursor": "x"}, {"is_hidden": "maybe"}):
        assert (await client.get(ADMIN, headers=headers, params=bad)).status_code == 422, bad


async def test_admin_list_filters_by_photos_and_shows_thumbnails(client, session):
    # given a review with photos, one whose follow-up alone has photos, and one without any
    spu = await make_product(session, title="带图商品")
    shopper = await make_shopper(session)
    with_photos = await make_review(session, shopper, spu, rating=5, photos=[photo_url(1, "jpg"), photo_url(2)])
    follow_up_only = await make_review(session, shopper, spu, rating=4)
    follow_up_only.follow_up_photos, follow_up_only.has_photos = [photo_url(3)], True
    follow_up_only.follow_up_at = T0
    await session.commit()
    plain = await make_review(session, shopper, spu, rating=3)
    headers = staff_headers(await make_staff(session, role="customer_service"))

    async def listed(**params) -> list[dict]:
        response = await client.get(ADMIN, headers=headers, params=params)
        assert response.status_code == 200, response.json()
        return response.json()["items"]

    # when the merchant asks for reviews with photos, then both kinds with photos come, newest first
    assert [r["id"] for r in await listed(has_photos="true")] == [follow_up_only.id, with_photos.id]
    assert [r["id"] for r in await listed(has_photos="false")] == [plain.id]
    assert [r["id"] for r in await listed(has_photos="true", rating=5)] == [with_photos.id]
    assert (await client.get(ADMIN, headers=headers, params={"has_photos": "some"})).status_code == 422
    # and each row carries the photos' thumbnails in order, and the product's thumbnail
    (row,) = [r for r in await listed() if r["id"] == with_photos.id]
    assert row["photos"] == [photo_url(1, "jpg"), photo_url(2)]
    assert row["photo_thumbnails"] == [
        photo_url(1, "jpg").removesuffix(".jpg") + ".thumb.webp",
        photo_url(2).removesuffix(".webp") + ".thumb.webp",
    ]
    assert row["product_thumbnail_url"] == "/media/products/p1.webp"  # not an upload: shown as it is


async def test_moderation_needs_reviews_moderate(client, session):
    spu = await make_product(session)
    review = await make_review(session, await make_shopper(session), spu)
    url = f"{ADMIN}/{review.id}"
    for role, status in (("owner", 200), ("operator", 200), ("customer_service", 200), ("warehouse", 403)):
        headers = staff_headers(await make_staff(session, role=role))
        assert (await client.get(ADMIN, headers=headers)).status_code == status, role
        assert (await client.post(f"{url}/hide", headers=headers, json={"reason": "测试"})).status_code == status
        assert (await client.post(f"{url}/unhide", headers=headers)).status_code == status
        assert (await client.put(f"{url}/reply", headers=headers, json={"content": "谢谢"})).status_code == status

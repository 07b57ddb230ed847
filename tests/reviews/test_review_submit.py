"""Shoppers review their own completed order lines once, with photos uploaded through the app, and may
add one follow-up in time. Bad input is always a 4xx; double submits race safely."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from qingmall.core import clock
from qingmall.core.errors import InvalidInput
from qingmall.core.security import issue_token
from qingmall.orders.models import Order
from qingmall.reviews import service
from qingmall.reviews.models import Review
from tests.factories import make_product, make_shopper, shopper_headers
from tests.reviews.review_helpers import make_order_line, photo_url

URL = "/api/v1/reviews"


def _long_lived_headers(shopper) -> dict[str, str]:
    """A token minted before the clock is moved (PyJWT refuses an ``iat`` later than the real time)."""
    token = issue_token(shopper.id, audience="shopper", token_type="access", ttl=timedelta(days=400))
    return {"Authorization": f"Bearer {token}"}


async def _count_reviews(db) -> int:
    async with db.sessionmaker() as s:
        return await s.scalar(select(func.count(Review.id)))


async def test_shopper_reviews_a_completed_order_line(client, session, db):
    # given a shopper with a completed order of a product
    shopper = await make_shopper(session, nickname="张三丰")
    spu = await make_product(session, title="保温杯")
    line = await make_order_line(session, shopper, spu, spec_text="白色/500ml")
    # when they review it with two uploaded photos
    response = await client.post(
        URL,
        headers=shopper_headers(shopper),
        json={
            "order_line_id": line.id,
            "rating": 4,
            "content": "  保温效果不错  ",
            "photos": [photo_url(1), photo_url(2, "jpg")],
        },
    )
    # then the review is stored with the line's product and spec
    assert response.status_code == 201
    body = response.json()
    assert (body["order_line_id"], body["order_id"], body["spu_id"], body["sku_id"]) == (
        line.id, line.order_id, spu.id, line.sku_id,
    )
    assert (body["rating"], body["content"], body["spec_text"], body["product_title"]) == (
        4, "保温效果不错", "白色/500ml", "保温杯",
    )
    assert body["photos"] == [photo_url(1), photo_url(2, "jpg")]
    assert (body["is_anonymous"], body["is_hidden"], body["can_follow_up"]) == (False, False, True)
    assert body["follow_up"] is None and body["reply"] is None
    async with db.sessionmaker() as s:
        review = (await s.scalars(select(Review))).one()
    assert (review.shopper_id, review.has_photos) == (shopper.id, True)


BAD_BODIES = [
    ({"rating": 0}, "rating"),
    ({"rating": 6}, "rating"),
    ({"rating": "five"}, "rating"),
    ({"content": "好" * 501}, "content"),
    ({"photos": [photo_url(i) for i in range(10)]}, "photos"),
    ({"photos": ["/media/" + "a" * 600]}, "photos.0"),
    ({"order_line_id": 0}, "order_line_id"),
    ({"order_line_id": 2**64}, "order_line_id"),
    ({"surprise": 1}, "surprise"),
]


async def test_out_of_bounds_input_is_422(client, session, db):
    shopper = await make_shopper(session)
    line = await make_order_line(session, shopper, await make_product(session))
    for change, field in BAD_BODIES:
        body = {"order_line_id": line.id, "rating": 5, **change}
        response = await client.post(URL, headers=shopper_headers(shopper), json=body)
        assert response.status_code == 422, change
        assert response.json()["code"] == "invalid_input"
        assert response.json()["details"][0]["field"] == field
    assert await _count_reviews(db) == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/x.png",
        "//evil.example.com/media/x.png",
        "/media/../secret.key",
        "/media/reviews/../../x.png",
        "/media//x.png",
        "/media/",
        "/mediax/a.png",
        "/media/a.png?x=1",
        "javascript:alert(1)",
        "/static/a.png",
        "/media/.hidden",
        "/media/reviews/a.webp",
        "/media/images/ab/not-a-content-hash.jpg",
        photo_url(1, "html"),
        photo_url(1, "svg"),
        photo_url(1).replace("/images/", "/images/../"),
        photo_url(1) + "?v=1",
        photo_url(1, prefix="https://evil.example.com/media"),
    ],
)
def test_photos_must_be_uploaded_through_the_app(url):
    with pytest.raises(InvalidInput) as caught:
        service.check_photos([photo_url(7), url])
    assert caught.value.code == "invalid_photo_url"
    assert caught.value.message == "图片地址无效，请通过商城上传图片"


async def test_a_foreign_photo_url_is_refused_over_http(client, session, db):
    shopper = await make_shopper(session)
    line = await make_order_line(session, shopper, await make_product(session))
    response = await client.post(
        URL,
        headers=shopper_headers(shopper),
        json={"order_line_id": line.id, "rating": 5, "photos": ["https://evil.example.com/x.png"]},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_photo_url"
    assert await _count_reviews(db) == 0


async def test_photos_under_the_public_base_url_are_accepted(client, session, settings, monkeypatch):
    monkeypatch.setattr(settings, "public_base_url", "https://shop.example.cn/")
    shopper = await make_shopper(session)
    line = await make_order_line(session, shopper, await make_product(session))
    response = await client.post(
        URL,
        headers=shopper_headers(shopper),
        json={"order_line_id": line.id, "rating": 5, "photos": [photo_url(3, prefix="https://shop.example.cn/media")]},
    )
    assert response.status_code == 201
    assert response.json()["photos"] == [photo_url(3, prefix="https://shop.example.cn/media")]


async def test_another_shoppers_line_is_404_and_unknown_line_is_404(client, session, db):
    owner = await make_shopper(session)
    intruder = await make_shopper(session)
    line = await make_order_line(session, owner, await make_product(session))
    for line_id in (line.id, line.id + 1000):
        response = await client.post(
            URL, headers=shopper_headers(intruder), json={"order_line_id": line_id, "rating": 1}
        )
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "订单商品不存在"}
    assert await _count_reviews(db) == 0


async def test_only_completed_orders_can_be_reviewed(client, session, db):
    shopper = await make_shopper(session)
    spu = await make_product(session)
    for status in ("pending_payment", "paid", "shipped", "cancelled"):
        line = await make_order_line(session, shopper, spu, status=status)
        body = {"order_line_id": line.id, "rating": 5}
        response = await client.post(URL, headers=shopper_headers(shopper), json=body)
        assert response.status_code == 409, status
        assert response.json() == {"code": "order_not_completed", "message": "订单确认收货后才能评价"}
    assert await _count_reviews(db) == 0


async def test_second_review_of_a_line_is_409(client, session, db):
    shopper = await make_shopper(session)
    line = await make_order_line(session, shopper, await make_product(session))
    first = await client.post(URL, headers=shopper_headers(shopper), json={"order_line_id": line.id, "rating": 5})
    second = await client.post(URL, headers=shopper_headers(shopper), json={"order_line_id": line.id, "rating": 1})
    assert (first.status_code, second.status_code) == (201, 409)
    assert second.json()["code"] == "already_reviewed"
    assert await _count_reviews(db) == 1


async def test_reviewing_needs_a_shopper_login(client, session):
    response = await client.post(URL, json={"order_line_id": 1, "rating": 5})
    assert response.status_code == 401


async def test_two_concurrent_submits_give_one_201_and_one_409(client, session, db, monkeypatch):
    # given a completed line, and an "already reviewed?" check that lingers so both requests pass it
    shopper = await make_shopper(session)
    line = await make_order_line(session, shopper, await make_product(session))
    original = service._review_id_for_line
    checked = 0
    both_checked = asyncio.Event()

    async def lingering(s, order_line_id):
        nonlocal checked
        found = await original(s, order_line_id)
        checked += 1
        if checked >= 2:
            both_checked.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both_checked.wait(), 0.5)
        return found

    monkeypatch.setattr(service, "_review_id_for_line", lingering)
    # when two submits race
    headers = shopper_headers(shopper)
    responses = await asyncio.gather(
        client.post(URL, headers=headers, json={"order_line_id": line.id, "rating": 5}),
        client.post(URL, headers=headers, json={"order_line_id": line.id, "rating": 3}),
    )
    # then the unique index lets exactly one through and the other gets a clean 409
    assert sorted(r.status_code for r in responses) == [201, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] == "already_reviewed"
    assert await _count_reviews(db) == 1


async def test_follow_up_once_within_the_window(client, session, settings, db):
    # given a review without photos
    shopper = await make_shopper(session)
    line = await make_order_line(session, shopper, await make_product(session))
    headers = _long_lived_headers(shopper)
    review = (await client.post(URL, headers=headers, json={"order_line_id": line.id, "rating": 5})).json()
    # when a follow-up with a photo is added 3 days later
    clock.advance(timedelta(days=3, hours=1))
    url = f"{URL}/{review['id']}/follow-up"
    body = {"content": "用了三天还不错", "photos": [photo_url(4)]}
    response = await client.post(url, headers=headers, json=body)
    # then it is attached, says how many days after, and the review now counts as "with photos"
    assert response.status_code == 200
    follow_up = response.json()["follow_up"]
    assert (follow_up["content"], follow_up["photos"], follow_up["days_after"]) == (
        "用了三天还不错", [photo_url(4)], 3,
    )
    assert response.json()["can_follow_up"] is False
    async with db.sessionmaker() as s:
        assert (await s.get(Review, review["id"])).has_photos is True
    # and a second follow-up is refused
    again = await client.post(url, headers=headers, json={"content": "再追一次"})
    assert (again.status_code, again.json()["code"]) == (409, "already_followed_up")


async def test_follow_up_rules(client, session, settings):
    shopper = await make_shopper(session)
    other = await make_shopper(session)
    spu = await make_product(session)
    headers = _long_lived_headers(shopper)
    first = (await client.post(
        URL, headers=headers, json={"order_line_id": (await make_order_line(session, shopper, spu)).id, "rating": 5}
    )).json()
    url = f"{URL}/{first['id']}/follow-up"
    # someone else's review is not found
    foreign = await client.post(url, headers=shopper_headers(other), json={"content": "冒充追评"})
    assert foreign.status_code == 404
    assert (await client.post(f"{URL}/999999/follow-up", headers=headers, json={"content": "x"})).status_code == 404
    # empty follow-ups and bad photos are refused
    empty = await client.post(url, headers=headers, json={"content": "   ", "photos": []})
    assert (empty.status_code, empty.json()["code"]) == (422, "empty_follow_up")
    bad = await client.post(url, headers=headers, json={"photos": ["http://x.cn/a.png"]})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_photo_url")
    too_many = await client.post(url, headers=headers, json={"photos": [photo_url(i) for i in range(10)]})
    assert too_many.status_code == 422
    # past the window it is too late
    clock.advance(timedelta(days=settings.review_follow_up_days, seconds=1))
    late = await client.post(url, headers=headers, json={"content": "太晚了"})
    assert late.status_code == 409
    assert late.json() == {
        "code": "follow_up_expired", "message": f"评价超过 {settings.review_follow_up_days} 天，不能再追评",
    }


async def test_concurrent_follow_ups_land_once(client, session, db):
    shopper = await make_shopper(session)
    line = await make_order_line(session, shopper, await make_product(session))
    headers = shopper_headers(shopper)
    review = (await client.post(URL, headers=headers, json={"order_line_id": line.id, "rating": 4})).json()
    url = f"{URL}/{review['id']}/follow-up"
    responses = await asyncio.gather(
        *(client.post(url, headers=headers, json={"content": f"追评{i}"}) for i in range(4))
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    winner = next(r for r in responses if r.status_code == 200).json()["follow_up"]["content"]
    async with db.sessionmaker() as s:
        assert (await s.get(Review, review["id"])).follow_up_content == winner


async def test_order_pages_say_which_lines_still_wait_for_a_review(client, session, db):
    # given a completed order that is not reviewed yet
    shopper = await make_shopper(session, nickname="待评价")
    spu = await make_product(session, title="帆布袋")
    line = await make_order_line(session, shopper, spu)
    order = await session.get(Order, line.order_id)
    order.order_no = order_no = f"{20261207000000000000 + line.order_id}"  # the shopper route's 20 digits
    await session.commit()
    headers = shopper_headers(shopper)

    def listed():
        return client.get("/api/v1/orders", headers=headers, params={"status": "completed"})

    assert (await listed()).json()["items"][0]["unreviewed_count"] == 1
    assert (await client.get(f"/api/v1/orders/{order_no}", headers=headers)).json()["lines"][0]["reviewed"] is False
    # when the shopper reviews the line
    answer = await client.post(URL, headers=headers, json={"order_line_id": line.id, "rating": 5})
    assert answer.status_code == 201
    # then the list and the detail say so
    assert (await listed()).json()["items"][0]["unreviewed_count"] == 0
    assert (await client.get(f"/api/v1/orders/{order_no}", headers=headers)).json()["lines"][0]["reviewed"] is True

"""What shoppers see: a product's visible reviews (filters, masking, cursor pages), their own reviews,
and the summary shown on the product page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingmall.core import clock
from qingmall.reviews import service, views
from tests.factories import counted_selects, make_product, make_shopper, shopper_headers
from tests.reviews.review_helpers import make_review

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _url(spu_id: int) -> str:
    return f"/api/v1/products/{spu_id}/reviews"


@pytest.mark.parametrize(
    ("nickname", "masked"), [("张三丰", "张**"), ("Lily", "L**"), ("李", "李**"), ("", "用户**"), ("  王五 ", "王**")]
)
def test_mask_nickname(nickname, masked):
    assert views.mask_nickname(nickname) == masked


@given(st.lists(st.integers(min_value=1, max_value=5), max_size=60))
def test_average_and_good_rate_arithmetic(ratings):
    count, total = len(ratings), sum(ratings)
    good = sum(1 for r in ratings if r >= 4)
    average = service.average_rating(total, count)
    rate = service.good_rate(good, count)
    if not ratings:
        assert average is None and rate is None
        return
    exact = Decimal(total) / Decimal(count)
    assert average == float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    assert abs(Decimal(str(average)) - exact) <= Decimal("0.05")
    assert 1.0 <= average <= 5.0
    # the good rate never overstates and is 100 only when every review is good
    assert rate * count <= good * 100 < (rate + 1) * count
    assert (rate == 100) == (good == count)


def test_rounding_edges():
    assert service.average_rating(89, 20) == 4.5  # 4.45 rounds half up
    assert service.average_rating(9, 2) == 4.5
    assert service.average_rating(13, 3) == 4.3
    assert service.good_rate(199, 200) == 99
    assert service.good_rate(2, 3) == 66
    assert service.good_rate(0, 7) == 0


async def test_product_reviews_filters_masking_and_hidden(client, session):
    # given a product with reviews from two shoppers, one anonymous, one hidden, some with photos
    spu = await make_product(session)
    other_spu = await make_product(session, title="别的商品")
    zhang = await make_shopper(session, nickname="张三丰")
    zhang.avatar_url = "/media/avatars/zhang.png"
    li = await make_shopper(session, nickname="李四")
    await session.commit()
    r1 = await make_review(session, zhang, spu, rating=5, content="很好", created_at=T0)
    r2 = await make_review(
        session, li, spu, rating=3, content="一般", photos=["/media/r/1.webp"], created_at=T0 + timedelta(hours=1)
    )
    r3 = await make_review(
        session, zhang, spu, rating=4, is_anonymous=True, photos=["/media/r/2.webp"],
        created_at=T0 + timedelta(hours=2),
    )
    await make_review(session, li, spu, rating=1, content="广告", is_hidden=True, created_at=T0 + timedelta(hours=3))
    await make_review(session, li, other_spu, rating=5, created_at=T0 + timedelta(hours=4))
    # when anyone lists the product's reviews (no login needed)
    page = (await client.get(_url(spu.id))).json()
    # then visible reviews come newest first, authors masked, the anonymous one without name or avatar
    assert [i["id"] for i in page["items"]] == [r3.id, r2.id, r1.id]
    assert page["next_cursor"] is None
    by_id = {i["id"]: i for i in page["items"]}
    assert (by_id[r1.id]["author_name"], by_id[r1.id]["author_avatar_url"]) == ("张**", "/media/avatars/zhang.png")
    assert (by_id[r2.id]["author_name"], by_id[r2.id]["author_avatar_url"]) == ("李**", None)
    assert (by_id[r3.id]["author_name"], by_id[r3.id]["author_avatar_url"]) == ("匿名用户", None)
    assert by_id[r2.id]["photos"] == ["/media/r/1.webp"]
    assert by_id[r1.id]["spec_text"] == "黑色/XL"
    assert "shopper_id" not in by_id[r1.id]
    # and the filters narrow it
    good = (await client.get(_url(spu.id), params={"filter": "good"})).json()["items"]
    assert [i["id"] for i in good] == [r3.id, r1.id]
    with_photos = (await client.get(_url(spu.id), params={"filter": "with_photos"})).json()["items"]
    assert [i["id"] for i in with_photos] == [r3.id, r2.id]
    # bad input is 422
    assert (await client.get(_url(spu.id), params={"filter": "bad"})).status_code == 422
    assert (await client.get(_url(spu.id), params={"limit": 51})).status_code == 422
    assert (await client.get(_url(spu.id), params={"cursor": "!!"})).status_code == 422
    assert (await client.get(_url(0))).status_code == 422


async def test_cursor_pages_are_complete_even_with_equal_timestamps(client, session):
    # given 7 reviews, 4 of them written at the very same instant
    spu = await make_product(session)
    shopper = await make_shopper(session)
    stamps = [T0, T0, T0, T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=2), T0 - timedelta(days=1)]
    ids = [(await make_review(session, shopper, spu, created_at=s)).id for s in stamps]
    # when they are read 3 at a time
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(_url(spu.id), params=params)).json()
        seen += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # then every review appears exactly once, newest first (ties by id, descending)
    assert pages == 3
    expected = sorted(zip(stamps, ids, strict=True), key=lambda p: (p[0], p[1]), reverse=True)
    assert seen == [i for _, i in expected]


async def test_my_reviews_shows_own_reviews_including_hidden(client, session, settings):
    me = await make_shopper(session)
    other = await make_shopper(session)
    spu = await make_product(session, title="蓝牙耳机")
    clock.advance(T0 - clock.now())
    too_old = T0 - timedelta(days=settings.review_follow_up_days + 1)
    mine_old = await make_review(session, me, spu, rating=2, created_at=too_old)
    mine_hidden = await make_review(session, me, spu, rating=1, is_hidden=True, created_at=T0 - timedelta(days=1))
    await make_review(session, other, spu, rating=5, created_at=T0)
    response = await client.get("/api/v1/me/reviews", headers=shopper_headers(me))
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["id"] for i in items] == [mine_hidden.id, mine_old.id]
    assert [(i["is_hidden"], i["can_follow_up"], i["product_title"]) for i in items] == [
        (True, True, "蓝牙耳机"), (False, False, "蓝牙耳机"),
    ]
    assert (await client.get("/api/v1/me/reviews")).status_code == 401


async def test_summary_counts_only_visible_reviews(session):
    # given a product with five visible reviews (two with photos) and one hidden
    spu = await make_product(session)
    shopper = await make_shopper(session, nickname="王小明")
    specs = [(5, None), (4, ["/media/a.webp"]), (3, None), (1, None), (5, ["/media/b.webp"])]
    for i, (rating, photos) in enumerate(specs):
        await make_review(session, shopper, spu, rating=rating, photos=photos, created_at=T0 + timedelta(minutes=i))
    await make_review(session, shopper, spu, rating=1, is_hidden=True, created_at=T0 + timedelta(hours=1))
    # when the summary is computed
    summary = await service.get_review_summary(session, spu.id)
    # then: 18 / 5 = 3.6; 3 good of 5 = 60 %; 2 with photos; the latest three visible ones
    assert (summary.review_count, summary.average_rating, summary.good_count, summary.good_rate) == (5, 3.6, 3, 60)
    assert summary.with_photos_count == 2
    assert [r.rating for r in summary.latest] == [5, 1, 3]
    assert summary.latest[0].photos == ["/media/b.webp"]
    assert summary.latest[0].author_name == "王**"


async def test_summary_of_a_product_without_reviews(session):
    spu = await make_product(session)
    summary = await service.get_review_summary(session, spu.id)
    assert summary.model_dump() == {
        "review_count": 0, "average_rating": None, "good_count": 0, "good_rate": None,
        "with_photos_count": 0, "latest": [],
    }


async def test_summary_uses_two_queries(session, db):
    spu = await make_product(session)
    shopper = await make_shopper(session)
    for rating in (5, 4, 2, 5):
        await make_review(session, shopper, spu, rating=rating)
    with counted_selects(db) as statements:
        summary = await service.get_review_summary(session, spu.id)
    assert summary.review_count == 4
    assert len(statements) == 2

"""Opening a product page while signed in adds it to the shopper's browsing history (足迹)."""

from __future__ import annotations

from tests.factories import make_product, make_shopper, shopper_headers


async def test_signed_in_visit_is_recorded_and_anonymous_is_not(client, session):
    # given a product and a shopper
    spu = await make_product(session, title="蓝牙音箱")
    shopper = await make_shopper(session)
    headers = shopper_headers(shopper)
    spu_id = spu.id

    # when an anonymous visitor and then the shopper open the page
    assert (await client.get(f"/api/v1/products/{spu_id}")).status_code == 200
    assert (await client.get("/api/v1/history", headers=headers)).json()["items"] == []
    assert (await client.get(f"/api/v1/products/{spu_id}", headers=headers)).status_code == 200

    # then only the shopper's visit is in their history
    history = (await client.get("/api/v1/history", headers=headers)).json()["items"]
    assert [item["spu_id"] for item in history] == [spu_id]

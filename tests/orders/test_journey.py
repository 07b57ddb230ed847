"""The shopper's journey through the HTTP API, and a sweep of bad input that must change nothing."""

from __future__ import annotations

from datetime import timedelta

from qingmall.core.security import issue_token
from tests.factories import make_product, make_shopper, make_staff, shopper_headers, staff_headers
from tests.orders.orders_testkit import create_order, make_address, make_buyer, make_sku, order_count, stock_of


async def test_browse_cart_preview_order_cancel_restores_stock(client, session, db):
    # given a product on the shelf and a shopper with an address
    spu = await make_product(session, title="手冲咖啡壶", skus=[{"price": 16800, "stock": 7, "weight_grams": 600}])
    spu_id = spu.id
    shopper = await make_shopper(session)
    headers = shopper_headers(shopper)
    address = await make_address(session, shopper.id)
    address_id = address.id

    # browse: the product page lists the SKU and its stock
    page = await client.get(f"/api/v1/products/{spu_id}")
    assert page.status_code == 200, page.text
    [sku] = page.json()["skus"]
    sku_id = sku["id"]
    assert (sku["price"], sku["stock"]) == (16800, 7)

    # add to cart
    added = await client.post("/api/v1/cart/items", headers=headers, json={"sku_id": sku_id, "quantity": 2})
    assert added.status_code == 200
    assert (added.json()["selected_quantity"], added.json()["selected_amount"]) == (2, 33600)

    # preview the ticked cart lines
    preview = await client.post(
        "/api/v1/checkout/preview", headers=headers, json={"from_cart": True, "address_id": address_id}
    )
    assert preview.status_code == 200
    assert (preview.json()["payable_amount"], preview.json()["can_submit"]) == (33600, True)

    # create the order
    created = await client.post(
        "/api/v1/orders", headers=headers,
        json={"from_cart": True, "address_id": address_id, "idempotency_key": "journey-0001"},
    )
    assert created.status_code == 201, created.text
    order = created.json()
    assert (order["status"], order["payable_amount"]) == ("pending_payment", 33600)
    assert await stock_of(db, sku_id) == 5
    assert (await client.get("/api/v1/cart", headers=headers)).json()["line_count"] == 0
    assert (await client.get("/api/v1/orders/counts", headers=headers)).json()["pending_payment"] == 1

    # cancel it
    cancelled = await client.post(f"/api/v1/orders/{order['order_no']}/cancel", headers=headers, json={})
    assert cancelled.status_code == 200
    assert cancelled.json()["order"]["status"] == "cancelled"

    # the stock is back and the product page shows it
    assert await stock_of(db, sku_id) == 7
    assert (await client.get(f"/api/v1/products/{spu_id}")).json()["skus"][0]["stock"] == 7
    listed = (await client.get("/api/v1/orders", headers=headers)).json()["items"]
    assert [(o["order_no"], o["status"]) for o in listed] == [(order["order_no"], "cancelled")]


async def test_bad_input_gets_a_clear_4xx_and_changes_nothing(client, session, db):
    # given a SKU with 10 units, one placed order, and a second shopper
    sku_id = await make_sku(session, stock=10, max_per_order=5)
    owner, headers, address_id = await make_buyer(session)
    order = await create_order(client, headers, address_id, [(sku_id, 1)])
    stranger, stranger_headers, stranger_address = await make_buyer(session)
    staff = await make_staff(session)
    refresh = issue_token(owner.id, audience="shopper", token_type="refresh", ttl=timedelta(days=1))
    stock_before, orders_before = await stock_of(db, sku_id), await order_count(db)

    def order_body(**overrides):
        body = {
            "items": [{"sku_id": sku_id, "quantity": 1}], "address_id": address_id, "idempotency_key": "bad-input-01",
        }
        body.update(overrides)
        return {k: v for k, v in body.items() if v is not ...}

    json_headers = {**headers, "Content-Type": "application/json"}
    cases = [
        # (method, url, kwargs, status, code)
        ("post", "/api/v1/orders", {"json": order_body(items=[{"sku_id": 987654, "quantity": 1}])}, 404,
         "sku_not_found"),
        ("post", "/api/v1/orders", {"json": order_body(items=[{"sku_id": sku_id, "quantity": 0}])}, 422,
         "invalid_input"),
        ("post", "/api/v1/orders", {"json": order_body(items=[{"sku_id": sku_id, "quantity": 10**9}])}, 422,
         "invalid_input"),
        ("post", "/api/v1/orders", {"json": order_body(items=[{"sku_id": sku_id, "quantity": 6}])}, 409,
         "exceeds_max_per_order"),
        ("post", "/api/v1/orders", {"json": order_body(items=[{"sku_id": 2**70, "quantity": 1}])}, 422,
         "invalid_input"),
        ("post", "/api/v1/orders", {"json": order_body(items=[])}, 422, "invalid_input"),
        ("post", "/api/v1/orders", {"json": order_body(idempotency_key=...)}, 422, "invalid_input"),
        ("post", "/api/v1/orders", {"json": order_body(idempotency_key="short")}, 422, "invalid_input"),
        ("post", "/api/v1/orders", {"json": order_body(idempotency_key="有中文的幂等键abcdefg")}, 422, "invalid_input"),
        ("post", "/api/v1/orders", {"json": order_body(address_id=...)}, 422, "invalid_input"),
        ("post", "/api/v1/orders", {"json": order_body(address_id=stranger_address)}, 404, "address_not_found"),
        ("post", "/api/v1/orders", {"json": order_body(unit_price=1)}, 422, "invalid_input"),
        ("post", "/api/v1/orders", {"json": order_body(from_cart=True)}, 422, "invalid_input"),
        ("post", "/api/v1/orders", {"json": order_body(delivery_method="drone")}, 422, "invalid_input"),
        ("post", "/api/v1/orders", {"json": order_body(remark="长" * 201)}, 422, "invalid_input"),
        ("post", "/api/v1/orders", {"content": b'{"items": [', "headers": json_headers}, 400, "malformed_json"),
        ("post", "/api/v1/checkout/preview", {"content": b"not json", "headers": json_headers}, 400,
         "malformed_json"),
        ("post", "/api/v1/cart/items", {"json": {"sku_id": sku_id, "quantity": 10**9}}, 422, "invalid_input"),
        ("post", "/api/v1/cart/items", {"json": {"sku_id": 987654, "quantity": 1}}, 404, "sku_not_found"),
        ("patch", "/api/v1/cart/items/99999999999999999999999", {"json": {"quantity": 1}}, 422, "invalid_input"),
        ("get", "/api/v1/orders/not-a-number", {}, 422, "invalid_input"),
        ("get", "/api/v1/orders/20990101000000000000", {}, 404, "not_found"),
        ("get", f"/api/v1/orders/{order['order_no']}", {"headers": stranger_headers}, 404, "not_found"),
        ("post", f"/api/v1/orders/{order['order_no']}/cancel", {"headers": stranger_headers}, 404, "not_found"),
        ("post", f"/api/v1/orders/{order['order_no']}/confirm-receipt", {"headers": stranger_headers}, 404,
         "not_found"),
        ("post", f"/api/v1/orders/{order['order_no']}/cancel", {"json": {"reason": "x" * 101}}, 422, "invalid_input"),
        ("post", "/api/v1/orders", {"json": order_body(), "headers": {"Authorization": "Bearer nonsense"}}, 401,
         "invalid_token"),
        ("post", "/api/v1/orders", {"json": order_body(), "headers": {"Authorization": f"Bearer {refresh}"}}, 401,
         "invalid_token"),
        ("post", "/api/v1/orders", {"json": order_body(), "headers": staff_headers(staff)}, 401, "invalid_token"),
        ("post", "/api/v1/orders", {"json": order_body(), "headers": {}}, 401, "not_authenticated"),
        ("post", f"/api/admin/v1/orders/{order['order_no']}/cancel", {"json": {"reason": "x"}}, 401,
         "invalid_token"),
        ("post", f"/api/admin/v1/orders/{order['order_no']}/ship",
         {"json": {"carrier_code": "SF", "carrier_name": "顺丰", "tracking_no": "<script>"},
          "headers": staff_headers(staff)}, 422, "invalid_input"),
        ("get", "/api/admin/v1/orders/20990101000000000000", {"headers": staff_headers(staff)}, 404, "not_found"),
    ]
    for method, url, kwargs, status, code in cases:
        kwargs = dict(kwargs)
        kwargs.setdefault("headers", headers)
        response = await client.request(method, url, **kwargs)
        body = response.json()
        assert (response.status_code, body.get("code")) == (status, code), (method, url, kwargs, response.text)
        assert isinstance(body["message"], str) and body["message"]
    # nothing changed
    assert (await stock_of(db, sku_id), await order_count(db)) == (stock_before, orders_before)
    assert stock_before == 9 and orders_before == 1
    assert (await client.get(f"/api/v1/orders/{order['order_no']}", headers=headers)).json()["status"] == (
        "pending_payment"
    )
    assert stranger.id != owner.id

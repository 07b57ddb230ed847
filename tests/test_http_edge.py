"""The HTTP edge: oversized bodies are refused before buffering, with the usual error shape."""

from __future__ import annotations


async def test_oversized_json_body_is_413(client):
    body = b'{"code":"' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = await client.post(
        "/api/v1/auth/wechat-login", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_oversized_chunked_body_is_413(client):
    async def chunks():
        for _ in range(40):
            yield b"x" * 65536

    response = await client.post(
        "/api/v1/auth/wechat-login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_malformed_json_is_400_with_code(client):
    response = await client.post(
        "/api/v1/auth/wechat-login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"


async def test_validation_errors_speak_chinese_and_name_the_field(client):
    response = await client.post("/api/v1/auth/sms-code", json={})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["message"] == "参数不合法（phone）：缺少必填项"
    assert body["details"] == [{"field": "phone", "type": "missing", "message": "缺少必填项"}]


async def test_unicode_digits_in_ids_are_422_not_500(client, session):
    from tests.factories import make_shopper, shopper_headers

    shopper = await make_shopper(session)
    response = await client.delete("/api/v1/cart/items", params={"ids": "³"}, headers=shopper_headers(shopper))
    assert response.status_code == 422
    keyword = await client.get("/api/v1/products", params={"keyword": "²³"})
    assert keyword.status_code == 200

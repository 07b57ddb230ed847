"""Core kernel: money allocation, yuan conversion, health check, error shape."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingmall.core.money import allocate, fen_to_yuan, yuan_to_fen


@given(st.integers(min_value=0, max_value=10**9), st.lists(st.integers(min_value=0, max_value=10**7), max_size=30))
def test_allocate_parts_sum_to_amount_and_stay_proportional(amount, weights):
    if not weights:
        assert allocate(0, weights) == []
        return
    parts = allocate(amount, weights)
    assert sum(parts) == amount
    assert all(p >= 0 for p in parts)
    total = sum(weights) or len(weights)
    effective = weights if sum(weights) else [1] * len(weights)
    for part, weight in zip(parts, effective, strict=True):
        exact = amount * weight / total
        assert exact - 1 < part < exact + 1


def test_allocate_gives_remainder_to_largest_fraction():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [3, 7, 0]) == [3, 7, 0]
    assert allocate(1, [1, 2]) == [0, 1]


@pytest.mark.parametrize(("fen", "yuan"), [(0, "0.00"), (1, "0.01"), (1999, "19.99"), (-250, "-2.50")])
def test_fen_yuan_round_trip(fen, yuan):
    assert fen_to_yuan(fen) == yuan
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize("bad", ["1.999", "abc", "1.x", "", "¹.00", "1.²"])
def test_yuan_to_fen_rejects_bad_amounts(bad):
    with pytest.raises(ValueError):
        yuan_to_fen(bad)


async def test_healthz_reports_database(client, db):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == db.dialect


async def test_unknown_route_is_json_404(client):
    response = await client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "资源不存在"}


def test_production_refuses_development_defaults():
    from qingmall.settings import Settings

    problems = Settings(environment="production", secret_key="", sandbox_enabled=True).problems_for_production()
    assert len(problems) == 6
    assert any("SANDBOX" in p for p in problems) and any("SMS_SENDER" in p for p in problems)
    ready = Settings(
        environment="production", secret_key="k" * 48, data_key="a" * 64, wechat_base_url="https://api.weixin.qq.com",
        wechat_appid="wx1234567890abcdef", wechat_secret="real-secret", sms_sender="aliyun",
    )
    assert ready.problems_for_production() == []
    assert ready.resolved_sandbox_enabled is False
    assert Settings().resolved_sandbox_enabled is True


def test_production_payment_channels_need_a_whole_configuration_and_an_https_public_url(tmp_path):
    from qingmall.settings import Settings

    base = dict(
        environment="production", secret_key="k" * 48, data_key="a" * 64, wechat_base_url="https://api.weixin.qq.com",
        wechat_appid="wx1234567890abcdef", wechat_secret="real-secret", sms_sender="aliyun",
    )
    half = Settings(**base, wechatpay_mchid="1900000109", alipay_app_id="2021000000000001").problems_for_production()
    assert [p.split("：")[0] for p in half] == [
        "微信支付配置不完整", "微信支付配置不完整", "QINGMALL_PUBLIC_BASE_URL 未设置为 https 地址", "支付宝配置不完整",
    ]
    whole = Settings(
        **base, public_base_url="https://shop.example.com", wechatpay_mchid="1900000109",
        wechatpay_merchant_serial_no="5157F09EFDC096DE", wechatpay_private_key_path=str(tmp_path / "k.pem"),
        wechatpay_apiv3_key="a" * 32, wechatpay_public_key_path=str(tmp_path / "pub.pem"),
    )
    assert whole.problems_for_production() == []


def test_app_will_not_start_in_production_with_the_sandbox():
    from qingmall.app import create_app
    from qingmall.settings import Settings

    with pytest.raises(RuntimeError, match="refusing to start in production"):
        create_app(Settings(environment="production"))


async def test_home_page_points_a_new_user_to_the_docs_until_the_storefront_is_built(db, settings, tmp_path):
    from qingmall.app import create_app

    app = create_app(settings.model_copy(update={"storefront_dir": tmp_path / "not-built"}), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        response = await client.get("/")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert 'href="/docs"' in response.text and "demo-credentials.txt" in response.text and "make h5" in response.text

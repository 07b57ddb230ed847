"""H5 SMS login: codes stored hashed with a TTL, single use, five wrong guesses burn a code; sending is
rate limited per phone and per IP on in-process memory and on real Redis."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from qingmall.app import create_app
from qingmall.core import clock
from qingmall.core.crypto import phone_hash
from qingmall.core.ratelimit import Rule
from qingmall.shoppers.auth_service import sms_rules
from qingmall.shoppers.models import Shopper, SmsCode
from tests.shoppers.shoppers_testkit import bearer, wire_partners

PHONE = "13812345678"


@pytest.fixture
def partners(app):
    return wire_partners(app)


def http(app, ip: str = "10.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 5000)), base_url="http://testserver")


async def request_code(client, phone=PHONE):
    return await client.post("/api/v1/auth/sms-code", json={"phone": phone})


async def login(client, code, phone=PHONE):
    return await client.post("/api/v1/auth/sms-login", json={"phone": phone, "code": code})


async def test_code_is_sent_stored_hashed_and_logs_a_new_shopper_in(client, partners, session):
    sent = await request_code(client)
    assert sent.status_code == 200
    assert sent.json() == {"expires_in": 300, "resend_after": 60}
    code = partners.sms.last_code(PHONE)
    assert len(code) == 6 and code.isdigit()
    row = (await session.execute(select(SmsCode))).scalar_one()
    assert row.phone_hash == phone_hash(PHONE)
    assert code not in row.code_hash and len(row.code_hash) == 64
    await session.rollback()

    response = await login(client, code)
    assert response.status_code == 200
    body = response.json()
    assert body["is_new"] is True
    assert body["shopper"]["phone_masked"] == "138****5678"
    assert body["shopper"]["nickname"] == "用户5678"
    assert body["shopper"]["has_wechat"] is False
    assert (await client.get("/api/v1/me", headers=bearer(body))).json()["phone_masked"] == "138****5678"
    shopper = (await session.execute(select(Shopper))).scalar_one()
    assert shopper.openid is None and PHONE not in shopper.phone_cipher


async def test_a_used_code_cannot_be_used_again_and_the_next_login_finds_the_same_shopper(app, partners):
    async with http(app) as client:
        await request_code(client)
        code = partners.sms.last_code(PHONE)
        first = await login(client, code)
        reused = await login(client, code)
    assert first.status_code == 200
    assert reused.status_code == 422
    assert reused.json()["code"] == "sms_code_invalid"
    await partners.limiter.clear(*sms_rules(app.state.settings, phone_hash(PHONE), "10.0.0.1"))
    async with http(app) as client:
        await request_code(client)
        again = await login(client, partners.sms.last_code(PHONE))
    assert again.json()["is_new"] is False
    assert again.json()["shopper"]["id"] == first.json()["shopper"]["id"]


async def test_five_wrong_guesses_burn_the_code(client, partners):
    await request_code(client)
    code = partners.sms.last_code(PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    seen = []
    for _ in range(5):
        response = await login(client, wrong)
        assert response.status_code == 422
        seen.append((response.json()["code"], response.json().get("details")))
    assert seen == [
        ("sms_code_wrong", {"attempts_left": 4}),
        ("sms_code_wrong", {"attempts_left": 3}),
        ("sms_code_wrong", {"attempts_left": 2}),
        ("sms_code_wrong", {"attempts_left": 1}),
        ("sms_code_invalid", None),
    ]
    burnt = await login(client, code)
    assert burnt.status_code == 422
    assert burnt.json()["code"] == "sms_code_invalid"


async def test_a_code_expires_after_its_ttl(client, partners):
    await request_code(client)
    clock.advance(timedelta(seconds=301))
    response = await login(client, partners.sms.last_code(PHONE))
    assert response.status_code == 422
    assert response.json()["code"] == "sms_code_expired"


async def test_a_new_code_replaces_the_previous_one(app, partners):
    async with http(app) as client:
        await request_code(client)
        old = partners.sms.last_code(PHONE)
        await partners.limiter.clear(Rule("1/minute", f"sms:phone:{phone_hash(PHONE)}"))
        assert (await request_code(client)).status_code == 200
        new = partners.sms.last_code(PHONE)
        if old != new:
            assert (await login(client, old)).json()["code"] == "sms_code_wrong"
        assert (await login(client, new)).status_code == 200


async def test_login_without_a_code_sent_is_invalid(client, partners):
    response = await login(client, "123456")
    assert response.status_code == 422
    assert response.json()["code"] == "sms_code_invalid"


async def test_bad_phone_and_code_input_is_422(client, partners):
    for phone in ["", "12345", "23812345678", "1381234567a", "138123456789", "+1 6505551234", None]:
        response = await request_code(client, phone)
        assert response.status_code == 422, phone
    for code in ["12345", "1234567", "abcdef", "", 123456]:
        response = await login(client, code)
        assert response.status_code == 422, code
    assert partners.sms.sent == []


async def test_phone_is_normalised_before_hashing(client, partners):
    assert (await request_code(client, "+86 138-1234-5678")).status_code == 200
    assert partners.sms.sent[-1].phone == PHONE
    assert (await login(client, partners.sms.last_code(PHONE), phone="+8613812345678")).status_code == 200


async def test_provider_failure_is_a_retryable_502(client, partners):
    partners.sms.fail_next = True
    response = await request_code(client)
    assert response.status_code == 502
    assert response.json()["code"] == "sms_send_failed"


# --- rate limits, on memory and on real Redis ---------------------------------------------------


@pytest.fixture
async def limited(db, settings, redis_url):
    """An app with small SMS limits and a limiter on the backend under test."""

    def build(**limits):
        app = create_app(settings.model_copy(update=limits), db)
        return app, wire_partners(app, redis_url=redis_url)

    return build


async def test_one_code_per_phone_per_minute(limited, redis_url):
    app, partners = limited()
    assert partners.limiter.backend == ("redis" if redis_url else "memory")
    async with http(app) as client:
        assert (await request_code(client)).status_code == 200
        refused = await request_code(client)
        other_phone = await request_code(client, "13912345678")
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_requests"
    assert 50 <= refused.json()["details"]["retry_after"] <= 60
    assert other_phone.status_code == 200
    assert len(partners.sms.sent) == 2


async def test_daily_cap_per_phone_and_refusals_spend_nothing(limited):
    app, partners = limited(sms_per_phone_per_minute=1, sms_per_phone_per_day=2)
    minute = Rule("1/minute", f"sms:phone:{phone_hash(PHONE)}")
    async with http(app) as client:
        assert (await request_code(client)).status_code == 200
        assert (await request_code(client)).status_code == 429  # minute rule; must not count for the day
        await partners.limiter.clear(minute)
        assert (await request_code(client)).status_code == 200  # second of the day
        await partners.limiter.clear(minute)
        refused = await request_code(client)
    assert refused.status_code == 429
    assert refused.json()["details"]["retry_after"] > 3600
    assert len(partners.sms.sent) == 2


async def test_per_ip_hourly_cap(limited):
    app, partners = limited(sms_per_ip_per_hour=2)
    async with http(app, ip="10.0.0.7") as client:
        assert (await request_code(client, "13800000001")).status_code == 200
        assert (await request_code(client, "13800000002")).status_code == 200
        refused = await request_code(client, "13800000003")
    async with http(app, ip="10.0.0.8") as elsewhere:
        allowed = await request_code(elsewhere, "13800000003")
    assert refused.status_code == 429
    assert allowed.status_code == 200
    assert [m.phone for m in partners.sms.sent] == ["13800000001", "13800000002", "13800000003"]


async def test_unreachable_redis_fails_closed(db, settings):
    app = create_app(settings, db)
    wire_partners(app, redis_url="redis://127.0.0.1:1/0")
    async with http(app) as client:
        response = await request_code(client)
    assert response.status_code == 503
    assert response.json()["code"] == "rate_limit_unavailable"

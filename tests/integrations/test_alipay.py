"""The Alipay adapter: RSA2 signing, the client against the sandbox gateway (real crypto through an ASGI
transport), replies and notifications that are forged, tampered or unsigned, and yuan only at the edge."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from qingmall.core import clock
from qingmall.core.money import yuan_to_fen
from qingmall.integrations.alipay import (
    AlipayClient,
    AlipayGatewayError,
    AlipayNotificationInvalid,
    AlipayRequestInvalid,
    AlipaySignatureInvalid,
    AlipayUnavailable,
    HuabeiInstallments,
    parse_notification,
)
from qingmall.integrations.alipay.signing import (
    canonical_string,
    extract_response_text,
    load_private_key,
    load_public_key,
    public_key_base64,
    sign_params,
    sign_text,
    verify_params,
    verify_text,
)
from qingmall.sandbox.alipay import AlipaySandbox, create_alipay_sandbox

APP_ID = "2021000000000001"
GATEWAY = "http://alipay.test/gateway.do"
OPEN_ID = "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo"


@pytest.fixture(scope="module")
def merchant_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def sandbox(merchant_key):
    clock.reset()
    yield AlipaySandbox(app_id=APP_ID, app_public_key=merchant_key.public_key())
    clock.reset()


def make_client(sandbox, merchant_key, *, transport=None, alipay_public_key=None, app_id=APP_ID) -> AlipayClient:
    return AlipayClient(
        app_id=app_id,
        private_key=merchant_key,
        alipay_public_key=alipay_public_key or sandbox.alipay_public_key_base64,
        gateway_url=GATEWAY,
        notify_url="https://shop.example.com/api/v1/payments/alipay/notify",
        transport=transport or httpx.ASGITransport(app=create_alipay_sandbox(sandbox)),
    )


@pytest.fixture
def client(sandbox, merchant_key):
    return make_client(sandbox, merchant_key)


# --- signing -------------------------------------------------------------------------------------------


def test_canonical_string_sorts_drops_empty_values_and_the_sign():
    params = {"method": "m", "app_id": "1", "sign": "x", "notify_url": "", "biz_content": '{"a":"中"}', "n": None}
    assert canonical_string(params) == 'app_id=1&biz_content={"a":"中"}&method=m'
    assert canonical_string({**params, "sign_type": "RSA2"}, exclude=("sign", "sign_type")) == canonical_string(params)


def test_sign_and_verify_round_trip_with_a_chinese_subject(merchant_key, other_key):
    params = {"app_id": APP_ID, "biz_content": '{"subject":"轻商城·春季新品 连衣裙"}', "sign_type": "RSA2"}
    signature = sign_params(params, merchant_key)
    verify_params({**params, "sign": signature}, merchant_key.public_key(), exclude=("sign",))
    assert len(base64.b64decode(signature)) == 256
    with pytest.raises(AlipaySignatureInvalid):
        verify_params(
            {**params, "biz_content": '{"subject":"轻商城·春季新品 连衣裤"}', "sign": signature},
            merchant_key.public_key(),
            exclude=("sign",),
        )
    with pytest.raises(AlipaySignatureInvalid):
        verify_text(canonical_string(params), signature, other_key.public_key())
    with pytest.raises(AlipaySignatureInvalid):
        verify_text(canonical_string(params), "not base64!", merchant_key.public_key())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_signature_is_plain_sha256_with_rsa_as_openssl_computes_it(tmp_path, merchant_key):
    """An independent implementation (OpenSSL) verifies our signature over the UTF-8 bytes."""
    text = 'app_id=1&biz_content={"subject":"花呗分期 测试"}&method=alipay.trade.create'
    (tmp_path / "data").write_bytes(text.encode("utf-8"))
    (tmp_path / "sig").write_bytes(base64.b64decode(sign_text(text, merchant_key)))
    (tmp_path / "pub.pem").write_bytes(
        merchant_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    result = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "data"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip() == "Verified OK"


def test_keys_load_from_pem_pkcs1_and_bare_base64(merchant_key):
    pkcs8 = merchant_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    pkcs1_der = merchant_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    bare_private = base64.b64encode(pkcs1_der).decode()
    bare_public = public_key_base64(merchant_key.public_key())
    for private in (pkcs8, bare_private):
        signature = sign_text("总价=19.99", load_private_key(private))
        verify_text("总价=19.99", signature, load_public_key(bare_public))
    with pytest.raises(ValueError):
        load_public_key("not a key at all!")


def test_extract_response_text_returns_the_member_text_untouched():
    inner = '{ "code" : "10000", "msg":"Success", "x":{"y":"}\\"{"}, "s":"\\u4e2d" }'
    body = '{"sign":"abc", "alipay_trade_query_response" : ' + inner + " }"
    assert extract_response_text(body, "alipay_trade_query_response") == inner
    assert extract_response_text(body, "error_response") is None
    assert extract_response_text("[1, 2]", "x") is None


# --- requests ------------------------------------------------------------------------------------------


def test_build_request_has_the_common_parameters_and_yuan_only_at_the_edge(client, merchant_key):
    clock.advance(datetime(2026, 11, 27, 16, 30, 5, tzinfo=UTC) - clock.now())
    params = client.build_request(
        "alipay.trade.create", {"total_amount": "19.99", "subject": "新品"}, notify_url="https://n.example/cb"
    )
    signature = params.pop("sign")
    assert {k: v for k, v in params.items() if k != "biz_content"} == {
        "app_id": APP_ID,
        "method": "alipay.trade.create",
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2026-11-28 00:30:05",
        "version": "1.0",
        "notify_url": "https://n.example/cb",
    }
    assert params["biz_content"] == '{"total_amount":"19.99","subject":"新品"}'
    verify_text(canonical_string(params), signature, merchant_key.public_key())


@settings(max_examples=40, deadline=None)
@given(fen=st.integers(min_value=1, max_value=10**10))
def test_fen_become_a_two_decimal_yuan_string_that_reads_back_exactly(fen, hypothesis_client):
    biz = hypothesis_client.trade_create_biz(out_trade_no="QM", total_amount=fen, subject="s", buyer_open_id=OPEN_ID)
    whole, _, decimals = biz["total_amount"].partition(".")
    assert (len(decimals), whole.isdigit(), decimals.isdigit()) == (2, True, True)
    assert yuan_to_fen(biz["total_amount"]) == fen


@pytest.fixture(scope="module")
def hypothesis_client(merchant_key):
    return AlipayClient(app_id=APP_ID, private_key=merchant_key, alipay_public_key=merchant_key.public_key())


def test_1999_fen_is_sent_as_19_99(hypothesis_client):
    biz = hypothesis_client.trade_create_biz(out_trade_no="QM", total_amount=1999, subject="s", buyer_open_id=OPEN_ID)
    assert biz["total_amount"] == "19.99"
    assert (
        hypothesis_client.trade_create_biz(out_trade_no="QM", total_amount=5, subject="s", buyer_open_id=OPEN_ID)[
            "total_amount"
        ]
        == "0.05"
    )


# --- trade.create with Huabei ----------------------------------------------------------------------------


@pytest.mark.parametrize(("periods", "seller_percent"), [(3, 0), (6, 100), (12, 0)])
async def test_create_trade_with_huabei_installments(client, sandbox, periods, seller_percent):
    created = await client.create_trade(
        out_trade_no=f"QM2026112700{periods}",
        total_amount=1999,
        subject="轻商城订单 连衣裙",
        buyer_open_id=OPEN_ID,
        installments=HuabeiInstallments(periods, seller_percent),
    )
    assert created.out_trade_no == f"QM2026112700{periods}"
    assert len(created.trade_no) == 28
    trade = sandbox.trades[created.out_trade_no]
    assert trade.trade_no == created.trade_no
    assert trade.total_fen == 1999
    assert trade.extend_params == {"hb_fq_num": str(periods), "hb_fq_seller_percent": str(seller_percent)}
    biz = json.loads(sandbox.requests[-1]["biz_content"])
    assert biz == {
        "out_trade_no": f"QM2026112700{periods}",
        "total_amount": "19.99",
        "subject": "轻商城订单 连衣裙",
        "product_code": "JSAPI_PAY",
        "op_app_id": APP_ID,
        "buyer_open_id": OPEN_ID,
        "extend_params": {"hb_fq_num": str(periods), "hb_fq_seller_percent": str(seller_percent)},
    }
    assert sandbox.requests[-1]["notify_url"] == "https://shop.example.com/api/v1/payments/alipay/notify"


@pytest.mark.parametrize(("periods", "seller_percent"), [(4, 0), (24, 100), (6, 50), (3, -1)])
def test_installments_outside_3_6_12_and_0_100_are_refused(periods, seller_percent):
    with pytest.raises(AlipayRequestInvalid):
        HuabeiInstallments(periods, seller_percent)


@pytest.mark.parametrize(
    ("out_trade_no", "amount", "subject"),
    [("x" * 65, 100, "s"), ("", 100, "s"), ("QM1", 0, "s"), ("QM1", -5, "s"), ("QM1", 100, "")],
)
async def test_bad_create_arguments_are_refused_before_anything_is_sent(client, sandbox, out_trade_no, amount, subject):
    with pytest.raises(AlipayRequestInvalid):
        await client.create_trade(
            out_trade_no=out_trade_no, total_amount=amount, subject=subject, buyer_open_id=OPEN_ID
        )
    assert sandbox.requests == []


async def test_a_64_character_out_trade_no_is_accepted(client):
    created = await client.create_trade(out_trade_no="Q" * 64, total_amount=1, subject="s", buyer_open_id=OPEN_ID)
    assert created.out_trade_no == "Q" * 64


async def test_same_out_trade_no_is_idempotent_but_changed_installments_need_a_new_one(client, sandbox):
    first = await client.create_trade(
        out_trade_no="QM-A",
        total_amount=60000,
        subject="手机",
        buyer_open_id=OPEN_ID,
        installments=HuabeiInstallments(3, 100),
    )
    again = await client.create_trade(
        out_trade_no="QM-A",
        total_amount=60000,
        subject="手机",
        buyer_open_id=OPEN_ID,
        installments=HuabeiInstallments(3, 100),
    )
    assert again.trade_no == first.trade_no
    with pytest.raises(AlipayGatewayError) as caught:
        await client.create_trade(
            out_trade_no="QM-A",
            total_amount=60000,
            subject="手机",
            buyer_open_id=OPEN_ID,
            installments=HuabeiInstallments(12, 100),
        )
    assert (caught.value.code, caught.value.sub_code) == ("40004", "ACQ.CONTEXT_INCONSISTENT")
    assert caught.value.retryable is False
    renewed = await client.create_trade(
        out_trade_no="QM-A-2",
        total_amount=60000,
        subject="手机",
        buyer_open_id=OPEN_ID,
        installments=HuabeiInstallments(12, 100),
    )
    assert renewed.trade_no != first.trade_no
    assert sandbox.trades["QM-A"].extend_params == {"hb_fq_num": "3", "hb_fq_seller_percent": "100"}


async def test_creating_a_paid_trade_again_is_refused(client, sandbox):
    await client.create_trade(out_trade_no="QM-P", total_amount=100, subject="s", buyer_open_id=OPEN_ID)
    sandbox.pay("QM-P")
    with pytest.raises(AlipayGatewayError) as caught:
        await client.create_trade(out_trade_no="QM-P", total_amount=100, subject="s", buyer_open_id=OPEN_ID)
    assert caught.value.sub_code == "ACQ.TRADE_HAS_SUCCESS"


# --- query / close / refund ------------------------------------------------------------------------------


async def test_query_follows_the_trade_from_unpaid_to_paid(client, sandbox):
    created = await client.create_trade(out_trade_no="QM-Q", total_amount=1999, subject="s", buyer_open_id=OPEN_ID)
    unpaid = await client.query_trade(out_trade_no="QM-Q")
    assert (unpaid.trade_status, unpaid.total_amount, unpaid.trade_no) == ("WAIT_BUYER_PAY", 1999, created.trade_no)
    assert unpaid.send_pay_date is None
    sandbox.pay("QM-Q", buyer_user_id="2088000011112222")
    paid = await client.query_trade(trade_no=created.trade_no)
    assert (paid.trade_status, paid.out_trade_no, paid.buyer_user_id) == ("TRADE_SUCCESS", "QM-Q", "2088000011112222")
    assert paid.buyer_open_id == OPEN_ID
    assert paid.send_pay_date is not None


async def test_query_of_an_unknown_trade_is_a_signed_gateway_error_in_chinese(client):
    with pytest.raises(AlipayGatewayError) as caught:
        await client.query_trade(out_trade_no="QM-NOPE")
    assert (caught.value.code, caught.value.sub_code, caught.value.sub_msg) == (
        "40004",
        "ACQ.TRADE_NOT_EXIST",
        "交易不存在",
    )


async def test_query_needs_a_trade_key(client):
    with pytest.raises(AlipayRequestInvalid):
        await client.query_trade()


async def test_close_an_unpaid_trade_but_not_a_paid_one(client, sandbox):
    created = await client.create_trade(out_trade_no="QM-C", total_amount=500, subject="s", buyer_open_id=OPEN_ID)
    closed = await client.close_trade(out_trade_no="QM-C")
    assert (closed.trade_no, closed.out_trade_no) == (created.trade_no, "QM-C")
    assert (await client.query_trade(out_trade_no="QM-C")).trade_status == "TRADE_CLOSED"
    await client.create_trade(out_trade_no="QM-C2", total_amount=500, subject="s", buyer_open_id=OPEN_ID)
    sandbox.pay("QM-C2")
    with pytest.raises(AlipayGatewayError) as caught:
        await client.close_trade(out_trade_no="QM-C2")
    assert caught.value.sub_code == "ACQ.TRADE_STATUS_ERROR"


async def test_full_refund_closes_the_trade(client, sandbox):
    await client.create_trade(out_trade_no="QM-R", total_amount=1999, subject="s", buyer_open_id=OPEN_ID)
    sandbox.pay("QM-R")
    refund = await client.refund_trade(out_trade_no="QM-R", refund_amount=1999, out_request_no="QM-R-1")
    assert (refund.refund_amount, refund.refund_fee, refund.fund_change) == (1999, 1999, True)
    assert json.loads(sandbox.requests[-1]["biz_content"])["refund_amount"] == "19.99"
    assert (await client.query_trade(out_trade_no="QM-R")).trade_status == "TRADE_CLOSED"


async def test_partial_refunds_add_up_and_a_retry_does_not_refund_twice(client, sandbox):
    await client.create_trade(out_trade_no="QM-PR", total_amount=1999, subject="s", buyer_open_id=OPEN_ID)
    sandbox.pay("QM-PR")
    first = await client.refund_trade(
        out_trade_no="QM-PR", refund_amount=500, out_request_no="RF-1", refund_reason="少件"
    )
    retry = await client.refund_trade(out_trade_no="QM-PR", refund_amount=500, out_request_no="RF-1")
    second = await client.refund_trade(out_trade_no="QM-PR", refund_amount=1000, out_request_no="RF-2")
    assert (first.refund_fee, first.fund_change) == (500, True)
    assert (retry.refund_fee, retry.fund_change) == (500, False)
    assert (second.refund_fee, second.fund_change) == (1500, True)
    with pytest.raises(AlipayGatewayError) as caught:
        await client.refund_trade(out_trade_no="QM-PR", refund_amount=500, out_request_no="RF-3")
    assert caught.value.sub_code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    last = await client.refund_trade(out_trade_no="QM-PR", refund_amount=499, out_request_no="RF-3")
    assert last.refund_fee == 1999
    assert sandbox.trades["QM-PR"].refunds == {"RF-1": 500, "RF-2": 1000, "RF-3": 499}


async def test_refund_of_an_unpaid_trade_is_refused(client):
    await client.create_trade(out_trade_no="QM-U", total_amount=100, subject="s", buyer_open_id=OPEN_ID)
    with pytest.raises(AlipayGatewayError) as caught:
        await client.refund_trade(out_trade_no="QM-U", refund_amount=100, out_request_no="RF")
    assert caught.value.sub_code == "ACQ.TRADE_STATUS_ERROR"


# --- signatures on the wire --------------------------------------------------------------------------------


async def test_sandbox_refuses_a_request_signed_with_another_key(sandbox, other_key):
    stranger = make_client(sandbox, other_key)
    with pytest.raises(AlipayGatewayError) as caught:
        await stranger.create_trade(out_trade_no="QM-S", total_amount=100, subject="s", buyer_open_id=OPEN_ID)
    assert (caught.value.code, caught.value.sub_code) == ("40002", "isv.invalid-signature")
    assert sandbox.trades == {}


async def test_sandbox_refuses_a_request_changed_after_signing(client, sandbox):
    params = client.build_request(
        "alipay.trade.create",
        {
            "out_trade_no": "QM-T",
            "total_amount": "19.99",
            "subject": "s",
            "product_code": "JSAPI_PAY",
            "op_app_id": APP_ID,
            "buyer_open_id": OPEN_ID,
        },
    )
    params["biz_content"] = params["biz_content"].replace("19.99", "0.01")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_alipay_sandbox(sandbox))) as http:
        reply = await http.post(GATEWAY, data=params)
    body = json.loads(reply.text)
    assert body["alipay_trade_create_response"]["sub_code"] == "isv.invalid-signature"
    sandbox.verify_reply_signature(extract_response_text(reply.text, "alipay_trade_create_response"), body["sign"])
    assert sandbox.trades == {}


async def test_sandbox_refuses_another_app_id(sandbox, merchant_key):
    with pytest.raises(AlipayGatewayError) as caught:
        await make_client(sandbox, merchant_key, app_id="2021999").query_trade(out_trade_no="x")
    assert caught.value.sub_code == "isv.invalid-app-id"


async def test_reply_signed_by_someone_else_is_rejected(sandbox, merchant_key, other_key):
    client = make_client(sandbox, merchant_key, alipay_public_key=other_key.public_key())
    with pytest.raises(AlipaySignatureInvalid):
        await client.create_trade(out_trade_no="QM-X", total_amount=100, subject="s", buyer_open_id=OPEN_ID)


async def test_reply_is_verified_over_the_text_as_received_not_a_reserialisation(client, sandbox):
    sandbox.compact_json = False
    await client.create_trade(out_trade_no="QM-E", total_amount=100, subject="中文", buyer_open_id=OPEN_ID)
    with pytest.raises(AlipayGatewayError) as caught:
        await client.query_trade(out_trade_no="QM-404")
    assert caught.value.sub_msg == "交易不存在"
    text = sandbox.render("k", {"code": "40004", "sub_msg": "交易不存在"})
    raw = extract_response_text(text, "k")
    assert "\\u4ea4" in raw
    assert json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":")) != raw


def _proxy(sandbox, rewrite):
    """A transport that forwards to the sandbox and rewrites the reply text."""
    inner = httpx.ASGITransport(app=create_alipay_sandbox(sandbox))

    class Rewriting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            response = await inner.handle_async_request(request)
            text = (await response.aread()).decode()
            status, new_text = rewrite(text)
            return httpx.Response(status, text=new_text)

    return Rewriting()


async def test_tampered_reply_is_rejected(sandbox, merchant_key):
    sandbox.compact_json = True

    def swap_trade_no(text):
        body = json.loads(text)
        real = body["alipay_trade_create_response"]["trade_no"]
        return 200, text.replace(real, "2026112722001999999999999999")

    client = make_client(sandbox, merchant_key, transport=_proxy(sandbox, swap_trade_no))
    with pytest.raises(AlipaySignatureInvalid):
        await client.create_trade(out_trade_no="QM-TT", total_amount=100, subject="s", buyer_open_id=OPEN_ID)


async def test_unsigned_success_is_rejected_but_unsigned_error_is_a_gateway_error(sandbox, merchant_key):
    def drop_sign(text):
        body = json.loads(text)
        body.pop("sign")
        return 200, json.dumps(body)

    client = make_client(sandbox, merchant_key, transport=_proxy(sandbox, drop_sign))
    with pytest.raises(AlipaySignatureInvalid):
        await client.create_trade(out_trade_no="QM-US", total_amount=100, subject="s", buyer_open_id=OPEN_ID)
    with pytest.raises(AlipayGatewayError) as caught:
        await client.query_trade(out_trade_no="QM-NONE")
    assert caught.value.sub_code == "ACQ.TRADE_NOT_EXIST"


@pytest.mark.parametrize(
    "rewrite", [lambda text: (502, "Bad Gateway"), lambda text: (200, "<html>busy</html>"), lambda text: (200, "{}")]
)
async def test_broken_replies_are_retryable_unavailability(sandbox, merchant_key, rewrite):
    client = make_client(sandbox, merchant_key, transport=_proxy(sandbox, rewrite))
    with pytest.raises(AlipayUnavailable) as caught:
        await client.query_trade(out_trade_no="QM-1")
    assert caught.value.retryable is True


async def test_network_error_is_unavailable(sandbox, merchant_key):
    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    client = make_client(sandbox, merchant_key, transport=httpx.MockTransport(refuse))
    with pytest.raises(AlipayUnavailable):
        await client.query_trade(out_trade_no="QM-1")


def test_system_error_is_retryable_and_business_error_is_not():
    assert AlipayGatewayError("20000", "Service Currently Unavailable", "isp.unknow-error").retryable is True
    assert AlipayGatewayError("40004", "Business Failed", "ACQ.SYSTEM_ERROR").retryable is True
    assert AlipayGatewayError("40004", "Business Failed", "ACQ.TRADE_NOT_EXIST").retryable is False


# --- notifications -----------------------------------------------------------------------------------------


async def _paid_trade(client, sandbox, out_trade_no="QM-N", fen=1999):
    await client.create_trade(
        out_trade_no=out_trade_no,
        total_amount=fen,
        subject="轻商城订单 春季新品",
        buyer_open_id=OPEN_ID,
        installments=HuabeiInstallments(6, 100),
    )
    sandbox.pay(out_trade_no, buyer_user_id="2088000011112222")


def _as_posted(form: dict[str, str]) -> dict[str, str]:
    """The form as the notify route receives it: urlencoded by Alipay, decoded by the web framework."""
    return dict(parse_qsl(urlencode(form), keep_blank_values=True))


async def test_notification_is_verified_and_parsed_to_fen(client, sandbox):
    await _paid_trade(client, sandbox)
    notification = client.verify_notification(_as_posted(sandbox.build_notification("QM-N")))
    trade = sandbox.trades["QM-N"]
    assert (notification.out_trade_no, notification.trade_no) == ("QM-N", trade.trade_no)
    assert (notification.trade_status, notification.total_amount) == ("TRADE_SUCCESS", 1999)
    assert (notification.app_id, notification.seller_id) == (APP_ID, sandbox.seller_id)
    assert (notification.buyer_open_id, notification.buyer_id) == (OPEN_ID, "2088000011112222")
    assert notification.notify_type == "trade_status_sync"
    assert notification.refund_fee is None
    assert notification.fields["subject"] == "轻商城订单 春季新品"
    assert notification.fields["total_amount"] == "19.99"
    assert "sign" not in notification.fields


async def test_refund_notification_carries_the_refunded_total(client, sandbox):
    await _paid_trade(client, sandbox)
    await client.refund_trade(out_trade_no="QM-N", refund_amount=999, out_request_no="RF-1")
    notification = client.verify_notification(sandbox.build_notification("QM-N"))
    assert (notification.trade_status, notification.refund_fee, notification.total_amount) == (
        "TRADE_SUCCESS",
        999,
        1999,
    )


@pytest.mark.parametrize(
    "tamper",
    [
        {"total_amount": "0.01"},
        {"total_amount": "19.98"},
        {"trade_status": "TRADE_FINISHED"},
        {"out_trade_no": "QM-OTHER"},
        {"seller_id": "2088999999999999"},
        {"sign": ""},
    ],
)
async def test_tampered_notification_is_rejected(client, sandbox, tamper):
    await _paid_trade(client, sandbox)
    form = sandbox.build_notification("QM-N", tamper=tamper)
    with pytest.raises(AlipaySignatureInvalid):
        client.verify_notification(_as_posted(form))


async def test_notification_signed_with_another_key_is_rejected(client, sandbox):
    await _paid_trade(client, sandbox)
    with pytest.raises(AlipaySignatureInvalid):
        client.verify_notification(sandbox.build_notification("QM-N", forge=True))


async def test_notification_without_sign_is_rejected(client, sandbox):
    await _paid_trade(client, sandbox)
    form = sandbox.build_notification("QM-N")
    del form["sign"]
    with pytest.raises(AlipaySignatureInvalid):
        client.verify_notification(form)


async def test_sign_type_is_not_part_of_the_signed_notification_text(client, sandbox):
    await _paid_trade(client, sandbox)
    form = sandbox.build_notification("QM-N")
    del form["sign_type"]
    assert client.verify_notification(form).total_amount == 1999
    with pytest.raises(AlipayNotificationInvalid):
        client.verify_notification({**form, "sign_type": "RSA"})


async def test_notification_for_another_app_is_invalid(sandbox, merchant_key):
    client = make_client(sandbox, merchant_key)
    await _paid_trade(client, sandbox)
    form = sandbox.build_notification("QM-N")
    with pytest.raises(AlipayNotificationInvalid):
        parse_notification(form, sandbox.alipay_public_key, app_id="2021000000009999")
    assert parse_notification(form, sandbox.alipay_public_key_base64).app_id == APP_ID


async def test_the_same_notification_can_be_resent_with_its_notify_id(client, sandbox):
    await _paid_trade(client, sandbox)
    clock.advance(timedelta(minutes=4))
    first = client.verify_notification(sandbox.build_notification("QM-N", notify_id="n-1"))
    clock.advance(timedelta(minutes=10))
    again = client.verify_notification(sandbox.build_notification("QM-N", notify_id="n-1"))
    assert first.notify_id == again.notify_id == "n-1"
    assert first.notify_time != again.notify_time

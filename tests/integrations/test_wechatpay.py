"""WeChat Pay API v3: our crypto, the client against the sandbox (real HTTP over ASGI), notifications in both
key modes, and a cross-check with the independent ``wechatpayv3`` SDK in both directions."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from functools import cache

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from wechatpayv3 import utils as sdk
from wechatpayv3.core import Core as SdkCore

from qingmall.core import clock
from qingmall.integrations.wechatpay import (
    SignatureVerifier,
    WeChatPayClient,
    WeChatPayDecryptError,
    WeChatPayGatewayError,
    WeChatPaySignatureInvalid,
    WeChatPayTimestampStale,
    WeChatPayUnavailable,
    WeChatPayUnknownSerial,
    WeChatPayVerificationError,
    aes_gcm_decrypt,
    aes_gcm_encrypt,
    build_authorization,
    parse_authorization,
    rsa_sign,
    rsa_verify,
)
from qingmall.integrations.wechatpay.crypto import request_message, response_message
from qingmall.sandbox.wechatpay import WeChatPaySandbox, create_wechatpay_sandbox, private_key_pem, public_key_pem

MCHID, APPID, MERCHANT_SERIAL = "1900000109", "wxpaytest0000001", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
APIV3_KEY = "a" * 16 + "0123456789ABCDEF"
NOTIFY_URL = "https://shop.example.com/api/v1/payments/wechatpay/notify"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


@cache
def merchant_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def sandbox():
    clock.reset()
    yield WeChatPaySandbox(
        mchid=MCHID,
        appid=APPID,
        apiv3_key=APIV3_KEY,
        merchant_serial_no=MERCHANT_SERIAL,
        merchant_public_key=merchant_key().public_key(),
    )
    clock.reset()


def both_keys(sandbox: WeChatPaySandbox) -> SignatureVerifier:
    return SignatureVerifier(
        public_keys={sandbox.public_key_id: sandbox.public_key}, certificates=[sandbox.certificate]
    )


def make_client(sandbox, *, key=None, verifier=None, apiv3_key=APIV3_KEY, transport=None) -> WeChatPayClient:
    return WeChatPayClient(
        mchid=MCHID,
        merchant_serial_no=MERCHANT_SERIAL,
        merchant_private_key=key or merchant_key(),
        apiv3_key=apiv3_key,
        verifier=verifier or both_keys(sandbox),
        base_url="http://wechatpay.test",
        transport=transport or httpx.ASGITransport(app=create_wechatpay_sandbox(sandbox)),
    )


async def prepay(client: WeChatPayClient, out_trade_no: str, total: int = 2990) -> str:
    return await client.jsapi_prepay(
        appid=APPID,
        description="轻商城-订单",
        out_trade_no=out_trade_no,
        total=total,
        openid=OPENID,
        notify_url=NOTIFY_URL,
    )


# --- signing and verification -------------------------------------------------------------------------------


def test_authorization_header_signs_the_exact_request_and_a_changed_body_fails():
    header = build_authorization(
        mchid=MCHID,
        serial_no=MERCHANT_SERIAL,
        private_key=merchant_key(),
        method="POST",
        path_with_query="/v3/pay/transactions/jsapi",
        body='{"a":1}',
        timestamp="1700000000",
        nonce="NONCE123",
    )
    params = parse_authorization(header)
    assert header.startswith('WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="NONCE123",signature="')
    assert (params["mchid"], params["serial_no"], params["timestamp"]) == (MCHID, MERCHANT_SERIAL, "1700000000")
    public = merchant_key().public_key()
    signed = request_message("POST", "/v3/pay/transactions/jsapi", "1700000000", "NONCE123", '{"a":1}')
    assert signed == 'POST\n/v3/pay/transactions/jsapi\n1700000000\nNONCE123\n{"a":1}\n'
    assert rsa_verify(public, signed, params["signature"]) is True
    tampered = request_message("POST", "/v3/pay/transactions/jsapi", "1700000000", "NONCE123", '{"a":2}')
    assert rsa_verify(public, tampered, params["signature"]) is False
    assert rsa_verify(other_key().public_key(), signed, params["signature"]) is False
    with pytest.raises(WeChatPaySignatureInvalid):
        parse_authorization('WECHATPAY2-SHA256-RSA2048 mchid="1"')


def test_verifier_picks_the_key_by_serial_and_rejects_probe_unknown_wrong_key_and_stale(sandbox):
    clock.reset()
    verifier = SignatureVerifier(public_keys={"PUB_KEY_ID_0001": merchant_key().public_key()})
    ts, nonce, body = str(int(clock.now().timestamp())), "N1", '{"ok":true}'
    good = rsa_sign(merchant_key(), response_message(ts, nonce, body))
    verifier.verify(serial="PUB_KEY_ID_0001", timestamp=ts, nonce=nonce, signature=good, body=body)

    with pytest.raises(WeChatPaySignatureInvalid):
        verifier.verify(serial="PUB_KEY_ID_0001", timestamp=ts, nonce=nonce, signature=good, body=body + " ")
    with pytest.raises(WeChatPaySignatureInvalid):
        wrong = rsa_sign(other_key(), response_message(ts, nonce, body))
        verifier.verify(serial="PUB_KEY_ID_0001", timestamp=ts, nonce=nonce, signature=wrong, body=body)
    with pytest.raises(WeChatPaySignatureInvalid, match="probe"):
        probe = "WECHATPAY/SIGNTEST/" + good
        verifier.verify(serial="PUB_KEY_ID_0001", timestamp=ts, nonce=nonce, signature=probe, body=body)
    with pytest.raises(WeChatPayUnknownSerial):
        verifier.verify(serial="PUB_KEY_ID_0002", timestamp=ts, nonce=nonce, signature=good, body=body)
    with pytest.raises(WeChatPayUnknownSerial):
        verifier.verify(serial=sandbox.certificate_serial, timestamp=ts, nonce=nonce, signature=good, body=body)
    with pytest.raises(ValueError):
        SignatureVerifier(public_keys={"NOT_A_KEY_ID": merchant_key().public_key()})

    clock.advance(timedelta(seconds=301))
    with pytest.raises(WeChatPayTimestampStale):
        verifier.verify(serial="PUB_KEY_ID_0001", timestamp=ts, nonce=nonce, signature=good, body=body)
    clock.reset()
    future = str(int(clock.now().timestamp()) + 301)
    signed_future = rsa_sign(merchant_key(), response_message(future, nonce, body))
    with pytest.raises(WeChatPayTimestampStale):
        verifier.verify(serial="PUB_KEY_ID_0001", timestamp=future, nonce=nonce, signature=signed_future, body=body)


def test_aes_gcm_round_trip_and_tampering_fails():
    ciphertext = aes_gcm_encrypt(APIV3_KEY, "abcdefghijkl", "支付成功".encode(), "transaction")
    assert aes_gcm_decrypt(APIV3_KEY, "abcdefghijkl", ciphertext, "transaction") == "支付成功".encode()
    with pytest.raises(WeChatPayDecryptError):
        aes_gcm_decrypt(APIV3_KEY, "abcdefghijkl", ciphertext, "refund")
    with pytest.raises(WeChatPayDecryptError):
        aes_gcm_decrypt("b" * 32, "abcdefghijkl", ciphertext, "transaction")


# --- the client against the sandbox --------------------------------------------------------------------------


async def test_prepay_is_idempotent_and_payment_params_carry_a_valid_pay_sign(sandbox):
    client = make_client(sandbox)
    prepay_id = await prepay(client, "QM20260101000001")
    assert prepay_id.startswith("wx")
    assert await prepay(client, "QM20260101000001") == prepay_id
    with pytest.raises(WeChatPayGatewayError) as changed:
        await prepay(client, "QM20260101000001", total=1)
    assert (changed.value.status_code, changed.value.code) == (400, "INVALID_REQUEST")

    params = client.request_payment_params(APPID, prepay_id)
    assert params["appId"] == APPID
    assert params["package"] == f"prepay_id={prepay_id}"
    assert params["signType"] == "RSA"
    assert abs(int(params["timeStamp"]) - clock.now().timestamp()) < 5
    assert len(params["nonceStr"]) == 32
    message = f"{APPID}\n{params['timeStamp']}\n{params['nonceStr']}\nprepay_id={prepay_id}\n"
    assert rsa_verify(merchant_key().public_key(), message, params["paySign"]) is True
    assert sandbox.calls["jsapi"] == 3
    await client.aclose()


async def test_query_close_and_refund_follow_the_order_through_its_states(sandbox):
    client = make_client(sandbox)
    await prepay(client, "QM-PAID-0001", total=2990)
    await prepay(client, "QM-OPEN-0001", total=500)

    unpaid = await client.query_by_out_trade_no("QM-PAID-0001")
    assert (unpaid.trade_state, unpaid.total, unpaid.transaction_id, unpaid.openid) == ("NOTPAY", 2990, None, OPENID)

    order = sandbox.pay("QM-PAID-0001")
    paid = await client.query_by_out_trade_no("QM-PAID-0001")
    assert (paid.trade_state, paid.transaction_id, paid.payer_total, paid.mchid) == (
        "SUCCESS",
        order.transaction_id,
        2990,
        MCHID,
    )
    assert paid.success_time is not None and paid.success_time.utcoffset() == timedelta(hours=8)

    assert await client.close("QM-OPEN-0001") is None
    assert (await client.query_by_out_trade_no("QM-OPEN-0001")).trade_state == "CLOSED"
    with pytest.raises(WeChatPayGatewayError) as paid_close:
        await client.close("QM-PAID-0001")
    assert (paid_close.value.status_code, paid_close.value.code, paid_close.value.retryable) == (
        400,
        "ORDERPAID",
        False,
    )
    with pytest.raises(WeChatPayGatewayError) as missing:
        await client.query_by_out_trade_no("QM-NOPE-0001")
    assert (missing.value.status_code, missing.value.code) == (404, "ORDER_NOT_EXIST")

    refund = await client.refund(out_refund_no="RF-0001", out_trade_no="QM-PAID-0001", refund=1000, total=2990)
    assert (refund.status, refund.refund, refund.total, refund.out_trade_no) == (
        "PROCESSING",
        1000,
        2990,
        "QM-PAID-0001",
    )
    assert refund.transaction_id == order.transaction_id
    again = await client.refund(out_refund_no="RF-0001", out_trade_no="QM-PAID-0001", refund=1000, total=2990)
    assert again.refund_id == refund.refund_id
    with pytest.raises(WeChatPayGatewayError) as too_much:
        await client.refund(out_refund_no="RF-0002", transaction_id=order.transaction_id, refund=1991, total=2990)
    assert too_much.value.code == "INVALID_REQUEST"
    rest = await client.refund(out_refund_no="RF-0003", transaction_id=order.transaction_id, refund=1990, total=2990)
    assert rest.refund == 1990
    with pytest.raises(WeChatPayGatewayError) as unpaid_refund:
        await client.refund(out_refund_no="RF-0004", out_trade_no="QM-OPEN-0001", refund=1, total=500)
    assert (unpaid_refund.value.status_code, unpaid_refund.value.code) == (404, "RESOURCE_NOT_EXISTS")


async def test_sandbox_answers_401_sign_error_to_a_wrong_key_and_to_a_stale_request(sandbox):
    with pytest.raises(WeChatPayGatewayError) as wrong_key:
        await prepay(make_client(sandbox, key=other_key()), "QM-WRONGKEY-01")
    assert (wrong_key.value.status_code, wrong_key.value.code) == (401, "SIGN_ERROR")

    transport = httpx.ASGITransport(app=create_wechatpay_sandbox(sandbox))
    path = f"/v3/pay/transactions/out-trade-no/QM-ANY-0001?mchid={MCHID}"
    old = str(int(clock.now().timestamp()) - 301)
    header = build_authorization(
        mchid=MCHID,
        serial_no=MERCHANT_SERIAL,
        private_key=merchant_key(),
        method="GET",
        path_with_query=path,
        timestamp=old,
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://wechatpay.test") as http:
        stale = await http.get(path, headers={"Authorization": header})
        unsigned = await http.get(path)
    assert (stale.status_code, stale.json()["code"]) == (401, "SIGN_ERROR")
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "SIGN_ERROR")
    assert sandbox.orders == {}


async def test_client_rejects_responses_it_cannot_verify_and_follows_a_key_migration(sandbox):
    only_cert = SignatureVerifier(certificates=[sandbox.certificate])
    with pytest.raises(WeChatPayUnknownSerial):
        await prepay(make_client(sandbox, verifier=only_cert), "QM-MIGRATE-01")
    impostor = SignatureVerifier(public_keys={sandbox.public_key_id: other_key().public_key()})
    with pytest.raises(WeChatPaySignatureInvalid):
        await prepay(make_client(sandbox, verifier=impostor), "QM-MIGRATE-02")

    client = make_client(sandbox)
    await prepay(client, "QM-MIGRATE-03")
    sandbox.mode = "certificate"
    assert (await client.query_by_out_trade_no("QM-MIGRATE-03")).trade_state == "NOTPAY"
    sandbox.mode = "public_key"
    assert await client.close("QM-MIGRATE-03") is None

    sandbox.mode = "certificate"
    clock.advance(timedelta(days=5 * 365 + 2))
    with pytest.raises(WeChatPaySignatureInvalid, match="validity"):
        await client.query_by_out_trade_no("QM-MIGRATE-03")


# --- notifications -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["public_key", "certificate"])
async def test_payment_and_refund_notifications_decrypt_in_both_key_modes(sandbox, mode):
    sandbox.mode = mode
    client = make_client(sandbox)
    await prepay(client, "QM-NOTIFY-0001", total=8800)
    order = sandbox.pay("QM-NOTIFY-0001")

    note = sandbox.build_notification("QM-NOTIFY-0001")
    expected_serial = sandbox.public_key_id if mode == "public_key" else sandbox.certificate_serial
    assert note.headers["Wechatpay-Serial"] == expected_serial
    lower_headers = {k.lower(): v for k, v in note.headers.items()}
    parsed = client.parse_payment_notification(lower_headers, note.body)
    assert parsed.envelope.event_type == "TRANSACTION.SUCCESS"
    assert parsed.envelope.resource_type == "encrypt-resource"
    tx = parsed.transaction
    assert (tx.out_trade_no, tx.transaction_id, tx.trade_state, tx.total, tx.payer_total, tx.appid, tx.mchid) == (
        "QM-NOTIFY-0001",
        order.transaction_id,
        "SUCCESS",
        8800,
        8800,
        APPID,
        MCHID,
    )
    assert tx.openid == OPENID

    await client.refund(out_refund_no="RF-NOTIFY-1", out_trade_no="QM-NOTIFY-0001", refund=800, total=8800)
    sandbox.complete_refund("RF-NOTIFY-1")
    refund_note = sandbox.build_notification(out_refund_no="RF-NOTIFY-1")
    parsed_refund = client.parse_refund_notification(refund_note.headers, refund_note.body)
    assert parsed_refund.envelope.event_type == "REFUND.SUCCESS"
    assert (parsed_refund.refund.status, parsed_refund.refund.refund, parsed_refund.refund.out_refund_no) == (
        "SUCCESS",
        800,
        "RF-NOTIFY-1",
    )
    assert parsed_refund.refund.success_time is not None
    with pytest.raises(WeChatPayVerificationError, match="not a payment"):
        client.parse_payment_notification(refund_note.headers, refund_note.body)


@pytest.mark.parametrize("mode", ["public_key", "certificate"])
async def test_stale_forged_probe_and_tampered_notifications_are_rejected(sandbox, mode):
    sandbox.mode = mode
    client = make_client(sandbox)
    await prepay(client, "QM-BAD-000001")
    sandbox.pay("QM-BAD-000001")

    stale = sandbox.build_notification("QM-BAD-000001", variant="stale")
    with pytest.raises(WeChatPayTimestampStale):
        client.parse_payment_notification(stale.headers, stale.body)
    forged = sandbox.build_notification("QM-BAD-000001", variant="forged")
    with pytest.raises(WeChatPaySignatureInvalid):
        client.parse_payment_notification(forged.headers, forged.body)
    probe = sandbox.build_notification("QM-BAD-000001", variant="probe")
    assert probe.headers["Wechatpay-Signature"].startswith("WECHATPAY/SIGNTEST/")
    with pytest.raises(WeChatPaySignatureInvalid):
        client.parse_payment_notification(probe.headers, probe.body)

    good = sandbox.build_notification("QM-BAD-000001")
    with pytest.raises(WeChatPaySignatureInvalid):
        client.parse_payment_notification(
            good.headers, good.body.replace(b'"TRANSACTION.SUCCESS"', b'"TRANSACTION.FAKE"')
        )
    with pytest.raises(WeChatPayDecryptError):
        make_client(sandbox, apiv3_key="z" * 32).parse_payment_notification(good.headers, good.body)
    clock.advance(timedelta(minutes=6))
    with pytest.raises(WeChatPayTimestampStale):
        client.parse_payment_notification(good.headers, good.body)


# --- cross-check with the independent wechatpayv3 SDK -------------------------------------------------------


def sdk_core(sandbox: WeChatPaySandbox, mode: str, cert_dir) -> SdkCore:
    if mode == "public_key":
        return SdkCore(
            mchid=MCHID,
            cert_serial_no=MERCHANT_SERIAL,
            private_key=private_key_pem(merchant_key()),
            apiv3_key=APIV3_KEY,
            public_key=sandbox.public_key_pem,
            public_key_id=sandbox.public_key_id,
        )
    (cert_dir / f"{sandbox.certificate_serial}.pem").write_text(sandbox.certificate_pem)
    return SdkCore(
        mchid=MCHID,
        cert_serial_no=MERCHANT_SERIAL,
        private_key=private_key_pem(merchant_key()),
        apiv3_key=APIV3_KEY,
        cert_dir=str(cert_dir),
    )


@pytest.mark.parametrize("mode", ["public_key", "certificate"])
async def test_sdk_verifies_and_decrypts_sandbox_notifications_and_refuses_the_bad_ones(sandbox, mode, tmp_path):
    sandbox.mode = mode
    core = sdk_core(sandbox, mode, tmp_path)
    await prepay(make_client(sandbox), "QM-SDK-000001", total=1234)
    sandbox.pay("QM-SDK-000001")
    note = sandbox.build_notification("QM-SDK-000001")
    decrypted = core.decrypt_callback(note.headers, note.body)
    assert decrypted is not None
    assert json.loads(decrypted) == note.plaintext
    assert json.loads(decrypted)["amount"]["total"] == 1234
    for variant in ("forged", "probe"):
        bad = sandbox.build_notification("QM-SDK-000001", variant=variant)
        assert core.decrypt_callback(bad.headers, bad.body) is None


async def test_sdk_signatures_match_ours_byte_for_byte_and_verify_each_other(sandbox):
    core = sdk_core(sandbox, "public_key", None)
    message = "GET\n/v3/certificates\n1700000000\nNONCE\n\n"
    assert sdk.rsa_sign(merchant_key(), message) == rsa_sign(merchant_key(), message)  # PKCS#1 v1.5 is deterministic

    client = make_client(sandbox)
    params = client.request_payment_params(APPID, "wx201410272009395522657a690389285100")
    sdk_pay_sign = core.sign([APPID, params["timeStamp"], params["nonceStr"], params["package"]])
    assert params["paySign"] == sdk_pay_sign

    header = build_authorization(
        mchid=MCHID,
        serial_no=MERCHANT_SERIAL,
        private_key=merchant_key(),
        method="POST",
        path_with_query="/v3/refund/domestic/refunds",
        body='{"x":1}',
    )
    ours = parse_authorization(header)
    assert sdk.rsa_verify(
        "POST",
        "/v3/refund/domestic/refunds",
        f'{ours["timestamp"]}\n{ours["nonce_str"]}\n{{"x":1}}',
        ours["signature"],
        merchant_key().public_key(),
    )

    ts, nonce, body = str(int(clock.now().timestamp())), "SDKNONCE", '{"from":"sdk"}'
    sdk_signature = sdk.rsa_sign(other_key(), f"{ts}\n{nonce}\n{body}\n")
    verifier = SignatureVerifier(public_keys={"PUB_KEY_ID_SDK": other_key().public_key()})
    verifier.verify_headers(
        {
            "Wechatpay-Serial": "PUB_KEY_ID_SDK",
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": sdk_signature,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        },
        body.encode(),
    )
    assert sdk.rsa_verify(ts, nonce, body + "!", sdk_signature, other_key().public_key()) is False


async def test_sandbox_accepts_a_request_signed_by_the_sdk_and_sdk_decrypts_our_ciphertext(sandbox):
    payload = {
        "appid": APPID,
        "mchid": MCHID,
        "description": "SDK 下单",
        "out_trade_no": "QM-SDKREQ-0001",
        "notify_url": NOTIFY_URL,
        "amount": {"total": 1, "currency": "CNY"},
        "payer": {"openid": OPENID},
    }
    sdk_body = json.dumps(payload)
    authorization = sdk.build_authorization(
        "/v3/pay/transactions/jsapi", "POST", MCHID, MERCHANT_SERIAL, merchant_key(), data=payload
    )
    transport = httpx.ASGITransport(app=create_wechatpay_sandbox(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://wechatpay.test") as http:
        response = await http.post(
            "/v3/pay/transactions/jsapi",
            content=sdk_body.encode(),
            headers={"Authorization": authorization, "Content-Type": "application/json"},
        )
        tampered = await http.post(
            "/v3/pay/transactions/jsapi",
            content=sdk_body.replace('"total": 1', '"total": 2').encode(),
            headers={"Authorization": authorization, "Content-Type": "application/json"},
        )
    assert response.status_code == 200
    assert response.json()["prepay_id"] == sandbox.orders["QM-SDKREQ-0001"].prepay_id
    assert (tampered.status_code, tampered.json()["code"]) == (401, "SIGN_ERROR")
    assert sdk.rsa_verify(
        response.headers["Wechatpay-Timestamp"],
        response.headers["Wechatpay-Nonce"],
        response.text,
        response.headers["Wechatpay-Signature"],
        sdk.load_public_key(public_key_pem(sandbox.public_key)),
    )

    plaintext = orjson.dumps({"out_trade_no": "QM-SDKREQ-0001", "amount": {"total": 1}})
    ciphertext = aes_gcm_encrypt(APIV3_KEY, "123456789012", plaintext, "transaction")
    assert sdk.aes_decrypt("123456789012", ciphertext, "transaction", APIV3_KEY) == plaintext.decode()
    assert len(base64.b64decode(ciphertext)) == len(plaintext) + 16  # GCM tag appended, as WeChat Pay does


async def test_client_signs_the_path_below_a_mount_prefix_and_percent_encodes_odd_order_numbers(sandbox):
    parent = FastAPI()
    parent.mount("/sandbox/wechatpay", create_wechatpay_sandbox(sandbox))
    client = WeChatPayClient(
        mchid=MCHID,
        merchant_serial_no=MERCHANT_SERIAL,
        merchant_private_key=merchant_key(),
        apiv3_key=APIV3_KEY,
        verifier=both_keys(sandbox),
        base_url="http://localhost:8000/sandbox/wechatpay/",
        transport=httpx.ASGITransport(app=parent),
    )
    await prepay(client, "QM|2026*0001")
    sandbox.pay("QM|2026*0001")
    transaction = await client.query_by_out_trade_no("QM|2026*0001")
    assert (transaction.out_trade_no, transaction.trade_state) == ("QM|2026*0001", "SUCCESS")


async def test_broken_gateways_raise_typed_errors(sandbox):
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/close"):
            raise httpx.ConnectError("refused", request=request)
        if request.url.path.endswith("/jsapi"):
            return httpx.Response(502, text="<html>Bad Gateway</html>")
        return httpx.Response(200, json={"trade_state": "SUCCESS"})  # unsigned

    client = make_client(sandbox, transport=httpx.MockTransport(answer))
    with pytest.raises(WeChatPayGatewayError) as bad_gateway:
        await prepay(client, "QM-BROKEN-0001")
    assert (bad_gateway.value.status_code, bad_gateway.value.code, bad_gateway.value.retryable) == (
        502,
        "HTTP_ERROR",
        True,
    )
    with pytest.raises(WeChatPayUnavailable) as refused:
        await client.close("QM-BROKEN-0001")
    assert refused.value.retryable is True
    with pytest.raises(WeChatPaySignatureInvalid, match="missing"):
        await client.query_by_out_trade_no("QM-BROKEN-0001")

"""The cryptography of WeChat Pay API v3, shared by the client and the sandbox.

- Requests are signed by the merchant: SHA256withRSA (PKCS#1 v1.5) over
  ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``, sent as the ``Authorization`` header.
- Responses and notifications are signed by WeChat Pay over ``TIMESTAMP\\nNONCE\\nBODY\\n``; the
  ``Wechatpay-Serial`` header says which key: ``PUB_KEY_ID_...`` is a WeChat Pay public key, anything
  else is the hex serial of a platform certificate. ``SignatureVerifier`` holds both kinds at once
  (merchants migrate from certificates to the public key while old serials are still in flight).
- Notification ``resource`` is AEAD_AES_256_GCM with the 32-byte APIv3 key.

Every check fails closed: a probe signature (``WECHATPAY/SIGNTEST/...``), an unknown serial, a
timestamp outside the window or any malformed header raises a ``WeChatPayVerificationError``.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from qingmall.core import clock
from qingmall.integrations.wechatpay.errors import (
    WeChatPayDecryptError,
    WeChatPaySignatureInvalid,
    WeChatPayTimestampStale,
    WeChatPayUnknownSerial,
)

AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"
PUBLIC_KEY_SERIAL_PREFIX = "PUB_KEY_ID_"
PROBE_SIGNATURE_PREFIX = "WECHATPAY/SIGNTEST/"
DEFAULT_MAX_SKEW = timedelta(minutes=5)
_AUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')


def new_nonce() -> str:
    """A 32-character random nonce (upper-case hex), as WeChat Pay's own SDKs produce."""
    return secrets.token_hex(16).upper()


def load_private_key(pem: str | bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("WeChat Pay keys are RSA")
    return key


def load_public_key(pem: str | bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("WeChat Pay keys are RSA")
    return key


def load_certificate(pem: str | bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)


def certificate_serial(certificate: x509.Certificate) -> str:
    """The serial as WeChat Pay writes it in ``Wechatpay-Serial``: upper-case hex, no separators."""
    return format(certificate.serial_number, "X")


def rsa_sign(private_key: rsa.RSAPrivateKey, message: str) -> str:
    """Base64 SHA256withRSA (PKCS#1 v1.5) signature of ``message`` (UTF-8)."""
    return base64.b64encode(private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(public_key: rsa.RSAPublicKey, message: str, signature: str) -> bool:
    """True only for a well-formed base64 signature of ``message`` by ``public_key``; probes are always False."""
    if not signature or signature.startswith(PROBE_SIGNATURE_PREFIX):
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def request_message(method: str, path_with_query: str, timestamp: str, nonce: str, body: str) -> str:
    return f"{method.upper()}\n{path_with_query}\n{timestamp}\n{nonce}\n{body}\n"


def response_message(timestamp: str, nonce: str, body: str) -> str:
    return f"{timestamp}\n{nonce}\n{body}\n"


def pay_sign_message(appid: str, timestamp: str, nonce: str, package: str) -> str:
    return f"{appid}\n{timestamp}\n{nonce}\n{package}\n"


def build_authorization(
    *,
    mchid: str,
    serial_no: str,
    private_key: rsa.RSAPrivateKey,
    method: str,
    path_with_query: str,
    body: str = "",
    timestamp: str | None = None,
    nonce: str | None = None,
) -> str:
    """The ``Authorization`` header value for one request. ``path_with_query`` is exactly what is sent."""
    timestamp = timestamp or str(int(clock.now().timestamp()))
    nonce = nonce or new_nonce()
    signature = rsa_sign(private_key, request_message(method, path_with_query, timestamp, nonce, body))
    return (
        f'{AUTH_SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def parse_authorization(value: str) -> dict[str, str]:
    """The parameters of an ``Authorization`` header; raises ``WeChatPaySignatureInvalid`` if malformed."""
    schema, _, params = value.strip().partition(" ")
    if schema != AUTH_SCHEMA:
        raise WeChatPaySignatureInvalid("Authorization schema is not " + AUTH_SCHEMA)
    parsed = dict(_AUTH_PARAM.findall(params))
    missing = {"mchid", "nonce_str", "signature", "timestamp", "serial_no"} - parsed.keys()
    if missing:
        raise WeChatPaySignatureInvalid(f"Authorization lacks {sorted(missing)}")
    return parsed


def check_timestamp(timestamp: str, max_skew: timedelta = DEFAULT_MAX_SKEW) -> datetime:
    """The timestamp as a time, if within ``max_skew`` of ``clock.now()``; otherwise ``WeChatPayTimestampStale``."""
    try:
        seconds = int(timestamp)
    except (TypeError, ValueError):
        raise WeChatPayTimestampStale(f"timestamp {timestamp!r} is not an integer") from None
    now = clock.now()
    if abs(now.timestamp() - seconds) > max_skew.total_seconds():
        raise WeChatPayTimestampStale(f"timestamp {seconds} is more than {max_skew} away from now")
    return datetime.fromtimestamp(seconds, tz=now.tzinfo)


def aes_gcm_decrypt(apiv3_key: str | bytes, nonce: str, ciphertext: str, associated_data: str = "") -> bytes:
    """Plaintext of a notification ``resource``; ``WeChatPayDecryptError`` on any failure."""
    key = apiv3_key.encode() if isinstance(apiv3_key, str) else apiv3_key
    try:
        return AESGCM(key).decrypt(nonce.encode(), base64.b64decode(ciphertext), associated_data.encode())
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise WeChatPayDecryptError(f"cannot decrypt resource: {type(exc).__name__}") from exc


def aes_gcm_encrypt(apiv3_key: str | bytes, nonce: str, plaintext: bytes, associated_data: str = "") -> str:
    """Base64 ciphertext+tag, the inverse of ``aes_gcm_decrypt`` (the sandbox builds notifications with it)."""
    key = apiv3_key.encode() if isinstance(apiv3_key, str) else apiv3_key
    return base64.b64encode(AESGCM(key).encrypt(nonce.encode(), plaintext, associated_data.encode())).decode()


class SignatureVerifier:
    """Verifies WeChat Pay signatures by ``Wechatpay-Serial``.

    ``public_keys`` maps ``PUB_KEY_ID_...`` ids to WeChat Pay public keys; ``certificates`` are platform
    certificates, looked up by their hex serial and honoured only within their validity period. Both may
    be configured at once. A ``PUB_KEY_ID_`` serial is never matched against a certificate or vice versa.
    """

    def __init__(
        self,
        *,
        public_keys: Mapping[str, rsa.RSAPublicKey] | None = None,
        certificates: Iterable[x509.Certificate] = (),
        max_skew: timedelta = DEFAULT_MAX_SKEW,
    ) -> None:
        self._public_keys = dict(public_keys or {})
        for key_id in self._public_keys:
            if not key_id.startswith(PUBLIC_KEY_SERIAL_PREFIX):
                raise ValueError(f"public key id must start with {PUBLIC_KEY_SERIAL_PREFIX}: {key_id!r}")
        self._certificates = {certificate_serial(cert): cert for cert in certificates}
        self.max_skew = max_skew

    def key_for(self, serial: str) -> rsa.RSAPublicKey:
        if serial.startswith(PUBLIC_KEY_SERIAL_PREFIX):
            key = self._public_keys.get(serial)
            if key is None:
                raise WeChatPayUnknownSerial(serial)
            return key
        cert = self._certificates.get(serial.upper())
        if cert is None:
            raise WeChatPayUnknownSerial(serial)
        now = clock.now()
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise WeChatPaySignatureInvalid(f"platform certificate {serial} is outside its validity period")
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise WeChatPaySignatureInvalid("platform certificate key is not RSA")
        return key

    def verify(self, *, serial: str, timestamp: str, nonce: str, signature: str, body: str) -> None:
        """Raise unless ``signature`` is WeChat Pay's over ``TIMESTAMP\\nNONCE\\nBODY\\n`` and is fresh.

        The signature is checked before the timestamp so a forged message never reports "stale".
        """
        if not (serial and timestamp and nonce and signature):
            raise WeChatPaySignatureInvalid("missing Wechatpay-* signature headers")
        if signature.startswith(PROBE_SIGNATURE_PREFIX):
            raise WeChatPaySignatureInvalid("probe signature (WECHATPAY/SIGNTEST/) rejected")
        key = self.key_for(serial)
        if not rsa_verify(key, response_message(timestamp, nonce, body), signature):
            raise WeChatPaySignatureInvalid(f"signature does not match key {serial}")
        check_timestamp(timestamp, self.max_skew)

    def verify_headers(self, headers: Mapping[str, str], body: bytes | str) -> None:
        """``verify`` with the ``Wechatpay-*`` headers of a response or notification (any header case)."""
        lower = {k.lower(): v for k, v in headers.items()}
        signature_type = lower.get("wechatpay-signature-type")
        if signature_type is not None and signature_type != AUTH_SCHEMA:
            raise WeChatPaySignatureInvalid(f"unsupported Wechatpay-Signature-Type {signature_type!r}")
        try:
            text = body.decode() if isinstance(body, bytes) else body
        except UnicodeDecodeError:
            raise WeChatPaySignatureInvalid("body is not UTF-8") from None
        self.verify(
            serial=lower.get("wechatpay-serial", ""),
            timestamp=lower.get("wechatpay-timestamp", ""),
            nonce=lower.get("wechatpay-nonce", ""),
            signature=lower.get("wechatpay-signature", ""),
            body=text,
        )

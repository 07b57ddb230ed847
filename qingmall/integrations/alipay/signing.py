"""RSA2 (SHA256withRSA, PKCS#1 v1.5) signing and verification the way Alipay does it.

Request and notification parameters are signed over their canonical string: every parameter except
``sign`` (and, for notifications, ``sign_type``) whose value is not empty, sorted by key, joined as
``k=v`` with ``&``; values are the raw (URL-decoded) strings, encoded as UTF-8. Synchronous responses are
signed over the JSON text of the ``<method>_response`` object exactly as Alipay sent it, so that text
is cut out of the body byte for byte (``extract_response_text``) rather than re-serialised.

Keys may be PEM (PKCS#8 / PKCS#1 / SubjectPublicKeyInfo) or the bare base64 bodies that Alipay's key
tool and open platform console hand out.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from qingmall.integrations.alipay.errors import AlipaySignatureInvalid

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


def load_private_key(key: str | bytes | rsa.RSAPrivateKey) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM or bare base64 DER (PKCS#8 or PKCS#1)."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key
    data = key.encode() if isinstance(key, str) else key
    if data.lstrip().startswith(b"-----"):
        loaded = serialization.load_pem_private_key(data, password=None)
    else:
        loaded = serialization.load_der_private_key(_b64decode_key(data), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError("Alipay RSA2 needs an RSA private key")
    return loaded


def load_public_key(key: str | bytes | rsa.RSAPublicKey) -> rsa.RSAPublicKey:
    """An RSA public key from PEM or bare base64 DER (SubjectPublicKeyInfo or PKCS#1)."""
    if isinstance(key, rsa.RSAPublicKey):
        return key
    data = key.encode() if isinstance(key, str) else key
    if data.lstrip().startswith(b"-----"):
        loaded = serialization.load_pem_public_key(data)
    else:
        loaded = serialization.load_der_public_key(_b64decode_key(data))
    if not isinstance(loaded, rsa.RSAPublicKey):
        raise ValueError("Alipay RSA2 needs an RSA public key")
    return loaded


def public_key_base64(key: rsa.RSAPublicKey) -> str:
    """The bare base64 SubjectPublicKeyInfo, the form Alipay's console shows and accepts."""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def _b64decode_key(data: bytes) -> bytes:
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except binascii.Error as exc:
        raise ValueError("key is neither PEM nor base64 DER") from exc


def canonical_string(params: Mapping[str, object], exclude: Iterable[str] = ("sign",)) -> str:
    """``k1=v1&k2=v2`` over the non-empty parameters sorted by key, ``exclude`` left out."""
    skip = set(exclude)
    pairs = sorted((k, str(v)) for k, v in params.items() if k not in skip and v is not None and str(v) != "")
    return "&".join(f"{k}={v}" for k, v in pairs)


def sign_text(text: str, private_key: rsa.RSAPrivateKey) -> str:
    """Base64 SHA256withRSA (PKCS#1 v1.5) signature of the UTF-8 bytes of ``text``."""
    signature = private_key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def verify_text(text: str, signature: str, public_key: rsa.RSAPublicKey) -> None:
    """Raise ``AlipaySignatureInvalid`` unless ``signature`` (base64) signs ``text`` under ``public_key``."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AlipaySignatureInvalid("signature is not base64") from exc
    try:
        public_key.verify(raw, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise AlipaySignatureInvalid("signature does not match") from exc


def sign_params(params: Mapping[str, object], private_key: rsa.RSAPrivateKey) -> str:
    """The ``sign`` value of a request: RSA2 over ``canonical_string(params)``."""
    return sign_text(canonical_string(params), private_key)


def verify_params(
    params: Mapping[str, str], public_key: rsa.RSAPublicKey, exclude: Iterable[str] = ("sign", "sign_type")
) -> None:
    """Verify a signed parameter set (a notification form): ``sign`` over the rest minus ``exclude``."""
    signature = params.get("sign")
    if not signature:
        raise AlipaySignatureInvalid("missing sign")
    verify_text(canonical_string(params, exclude), signature, public_key)


def extract_response_text(body: str, key: str) -> str | None:
    """The raw JSON text of the top-level member ``key`` of the JSON object ``body``, or None if absent.

    Walks the top level of the object with the standard decoder, so nested braces, escaped quotes
    and a ``"sign"`` placed before or after the response all work; the text is returned untouched.
    """
    index = _skip(body, 0)
    if index >= len(body) or body[index] != "{":
        return None
    index = _skip(body, index + 1)
    while index < len(body) and body[index] != "}":
        if body[index] != '"':
            return None
        name, index = json.decoder.scanstring(body, index + 1)
        index = _skip(body, index)
        if index >= len(body) or body[index] != ":":
            return None
        start = _skip(body, index + 1)
        _, end = _DECODER.raw_decode(body, start)
        if name == key:
            return body[start:end]
        index = _skip(body, end)
        if index < len(body) and body[index] == ",":
            index = _skip(body, index + 1)
    return None


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index

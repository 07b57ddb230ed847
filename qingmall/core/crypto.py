"""Encryption of personal data at rest (phone numbers) and keyed blind indexes for looking it up.

- ``encrypt`` / ``decrypt``: AES-256-GCM with a random 96-bit nonce per value. The text form is
  ``v1.<urlsafe base64 of nonce || ciphertext || tag>``; the version prefix lets a later key or algorithm
  be introduced without rewriting every row at once. An optional ``purpose`` is bound as associated data,
  so a cipher copied from one column into another (an address phone into a shopper row) fails to decrypt.
- ``blind_index``: HMAC-SHA256 under a separate key, hex. Equal inputs give equal indexes, so a unique
  index on it enforces "one shopper per phone" and an exact search works, while the table alone reveals
  no number. Inputs are normalised by the caller (see ``normalize_phone``).
- Keys: ``QINGMALL_DATA_KEY`` (base64 or hex of exactly 32 bytes) when set, otherwise derived with
  HKDF-SHA256 from ``settings.resolved_secret_key``. The encryption and index keys are derived from that
  material with different HKDF ``info`` so neither reveals the other. Changing the secret without setting
  ``QINGMALL_DATA_KEY`` makes stored phones unreadable: production should set ``QINGMALL_DATA_KEY``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from qingmall.settings import get_settings

VERSION = "v1"
NONCE_BYTES = 12
MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class DecryptionError(ValueError):
    """A stored value could not be decrypted: wrong key, wrong purpose, or tampered/corrupt text."""


def _hkdf(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"qingmall-personal-data", info=info).derive(material)


def _decode_data_key(value: str) -> bytes:
    text = value.strip()
    candidates: list[bytes] = []
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        candidates.append(bytes.fromhex(text))
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            candidates.append(decoder(text + "=" * (-len(text) % 4)))
        except (binascii.Error, ValueError):
            continue
    for key in candidates:
        if len(key) == 32:
            return key
    raise RuntimeError("QINGMALL_DATA_KEY must be 32 bytes, given as base64 or 64 hex digits")


@lru_cache(maxsize=8)
def _keys(data_key: str, secret_key: str) -> tuple[bytes, bytes]:
    material = _decode_data_key(data_key) if data_key else secret_key.encode()
    return _hkdf(material, b"qingmall/aes-256-gcm/v1"), _hkdf(material, b"qingmall/blind-index/v1")


def _current_keys() -> tuple[bytes, bytes]:
    settings = get_settings()
    data_key = str(getattr(settings, "data_key", "") or os.environ.get("QINGMALL_DATA_KEY", ""))
    return _keys(data_key, "" if data_key else settings.resolved_secret_key)


def encrypt(plaintext: str, *, purpose: str = "") -> str:
    """Encrypt ``plaintext`` (UTF-8) to ``v1.<base64>``; a fresh random nonce every call."""
    encryption_key, _ = _current_keys()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(encryption_key).encrypt(nonce, plaintext.encode(), purpose.encode() or None)
    return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def decrypt(token: str, *, purpose: str = "") -> str:
    """Reverse ``encrypt``; raises ``DecryptionError`` for anything that is not an intact value of ours."""
    version, _, body = token.partition(".")
    if version != VERSION or not body:
        raise DecryptionError("unknown cipher text version")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("cipher text is not base64") from exc
    if len(raw) < NONCE_BYTES + 16:
        raise DecryptionError("cipher text is too short")
    encryption_key, _ = _current_keys()
    try:
        plain = AESGCM(encryption_key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode() or None)
    except InvalidTag as exc:
        raise DecryptionError("cipher text failed authentication") from exc
    return plain.decode()


def blind_index(value: str, *, purpose: str = "") -> str:
    """Keyed HMAC-SHA256 (hex, 64 chars) of ``purpose`` + ``value``: deterministic, not reversible."""
    _, index_key = _current_keys()
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(index_key, message, hashlib.sha256).hexdigest()


def normalize_phone(phone: str) -> str:
    """Strip spaces and dashes and a leading +86/0086, so one number has one blind index."""
    text = re.sub(r"[\s-]", "", phone)
    for prefix in ("+86", "0086"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
    return text


def is_mainland_mobile(phone: str) -> bool:
    return bool(MAINLAND_MOBILE.match(phone))


def phone_hash(phone: str) -> str:
    """The blind index of a phone number (``shoppers.phone_hash``, SMS codes, admin search)."""
    return blind_index(normalize_phone(phone), purpose="phone")


def mask_phone(phone: str) -> str:
    """``13812345678 -> 138****5678``; shorter numbers keep at most their first 3 and last 4 characters."""
    text = normalize_phone(phone)
    if len(text) >= 11:
        return f"{text[:3]}{'*' * (len(text) - 7)}{text[-4:]}"
    if len(text) > 4:
        return f"{'*' * (len(text) - 4)}{text[-4:]}"
    return "*" * len(text)

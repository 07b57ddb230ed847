"""What an order keeps of the shipping address, and how each audience sees it.

The snapshot is taken from ``shoppers.service.address_snapshot`` at order time, so later edits or
deletion of the address never change the order. The phone is personal data: the order stores it
re-encrypted under its own purpose (``order.address.phone``) next to its masked form, never in clear.
Shoppers see the masked phone; merchants get it decrypted to ship the parcel.
"""

from __future__ import annotations

import contextlib
from typing import Any

from qingmall.checkout.schemas import AddressSnapshotPublic
from qingmall.core.crypto import DecryptionError, decrypt, encrypt, mask_phone, phone_hash
from qingmall.orders.schemas import AdminAddressPublic
from qingmall.shoppers.models import Address
from qingmall.shoppers.service import address_snapshot

PHONE_PURPOSE = "order.address.phone"


def snapshot_address(address: Address) -> dict[str, Any]:
    """The JSON stored in ``orders.address``: names, codes, detail, encrypted and masked phone."""
    snapshot = dict(address_snapshot(address))
    phone = str(snapshot.pop("phone", "") or "")
    snapshot["phone_cipher"] = encrypt(phone, purpose=PHONE_PURPOSE) if phone else ""
    snapshot["phone_masked"] = mask_phone(phone) if phone else address.phone_masked
    return snapshot


def receiver_phone_hash(snapshot: dict[str, Any] | None) -> str | None:
    """The blind index of the snapshot's phone (``orders.receiver_phone_hash``); None without a readable phone."""
    cipher = (snapshot or {}).get("phone_cipher")
    if not cipher:
        return None
    try:
        return phone_hash(decrypt(cipher, purpose=PHONE_PURPOSE))
    except DecryptionError:
        return None


def _fields(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        "address_id": snapshot.get("address_id"),
        "recipient_name": snapshot.get("recipient_name", ""),
        "phone_masked": snapshot.get("phone_masked", ""),
        "province": snapshot.get("province", ""),
        "city": snapshot.get("city", ""),
        "district": snapshot.get("district", ""),
        "detail": snapshot.get("detail", ""),
        "full_address": snapshot.get("full_address", ""),
        "province_code": snapshot.get("province_code", ""),
        "city_code": snapshot.get("city_code", ""),
        "district_code": snapshot.get("district_code", ""),
    }


def shopper_address(snapshot: dict[str, Any] | None) -> AddressSnapshotPublic | None:
    if not snapshot:
        return None
    return AddressSnapshotPublic(**_fields(snapshot))


def admin_address(snapshot: dict[str, Any] | None) -> AdminAddressPublic | None:
    """The address with the phone decrypted; the masked phone if the key no longer opens it."""
    if not snapshot:
        return None
    phone = snapshot.get("phone_masked", "")
    if snapshot.get("phone_cipher"):
        with contextlib.suppress(DecryptionError):
            phone = decrypt(snapshot["phone_cipher"], purpose=PHONE_PURPOSE)
    return AdminAddressPublic(**_fields(snapshot), phone=phone, postal_code=snapshot.get("postal_code", ""))


def region_codes(snapshot: dict[str, Any] | None) -> tuple[str, ...]:
    """The destination's codes for shipping rules (province, city, district)."""
    if not snapshot:
        return ()
    codes = (snapshot.get(key, "") for key in ("province_code", "city_code", "district_code"))
    return tuple(code for code in codes if code)

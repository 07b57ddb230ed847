"""Shipping addresses: at most ``MAX_ADDRESSES`` per shopper, exactly one default while any exist.

Every change locks the shopper's row first (``SELECT ... FOR UPDATE``; on SQLite the ``BEGIN IMMEDIATE``
write lock does the same), so two concurrent requests of one shopper cannot both pass the count check or leave two
defaults; a partial unique index on ``(shopper_id) WHERE is_default`` backs the default rule in the
database. The first address becomes the default; deleting the default promotes the most recently
updated remaining address.

Region names are filled from the codes (``qingmall.core.regions``); the phone is stored encrypted with
its masked form for display. ``get_address`` and ``address_snapshot`` are for checkout.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.crypto import decrypt, encrypt, mask_phone
from qingmall.core.errors import Conflict, InvalidInput, NotFound
from qingmall.core.regions import resolve_address_region
from qingmall.shoppers.models import Address, Shopper
from qingmall.shoppers.schemas import AddressCreate, AddressDetail, AddressPublic, AddressUpdate

MAX_ADDRESSES = 20
PHONE_PURPOSE = "address.phone"


async def _lock_shopper(session: AsyncSession, shopper_id: int) -> None:
    """Serialise address changes of one shopper: the shopper row is locked until commit on PostgreSQL;
    on SQLite every write transaction already holds the database lock from its first statement."""
    await session.execute(select(Shopper.id).where(Shopper.id == shopper_id).with_for_update())


def _ordered(shopper_id: int) -> Any:
    return (
        select(Address)
        .where(Address.shopper_id == shopper_id)
        .order_by(Address.is_default.desc(), Address.updated_at.desc(), Address.id.desc())
    )


async def list_addresses(session: AsyncSession, shopper_id: int) -> list[Address]:
    """The shopper's addresses, default first, then most recently changed."""
    return list((await session.execute(_ordered(shopper_id))).scalars())


async def get_address(session: AsyncSession, shopper_id: int, address_id: int) -> Address:
    """The address if it belongs to ``shopper_id``; another shopper's address is ``NotFound``."""
    address = (
        await session.execute(select(Address).where(Address.id == address_id, Address.shopper_id == shopper_id))
    ).scalar_one_or_none()
    if address is None:
        raise NotFound("地址不存在", code="address_not_found")
    return address


async def get_default_address(session: AsyncSession, shopper_id: int) -> Address | None:
    return (
        await session.execute(select(Address).where(Address.shopper_id == shopper_id, Address.is_default.is_(True)))
    ).scalar_one_or_none()


def address_phone(address: Address) -> str:
    return decrypt(address.phone_cipher, purpose=PHONE_PURPOSE)


async def get_address_detail(session: AsyncSession, shopper_id: int, address_id: int) -> AddressDetail:
    """One address for its owner's edit form, with the phone in clear (lists show it masked)."""
    address = await get_address(session, shopper_id, address_id)
    return AddressDetail(**AddressPublic.model_validate(address).model_dump(), phone=address_phone(address))


def address_snapshot(address: Address) -> dict[str, Any]:
    """What an order keeps of the address: decrypted phone, names, codes and detail (plain JSON)."""
    return {
        "address_id": address.id,
        "recipient_name": address.recipient_name,
        "phone": address_phone(address),
        "province_code": address.province_code,
        "city_code": address.city_code,
        "district_code": address.district_code,
        "province": address.province,
        "city": address.city,
        "district": address.district,
        "detail": address.detail,
        "postal_code": address.postal_code,
        "full_address": f"{address.province}{address.city}{address.district}{address.detail}",
    }


async def _clear_default(session: AsyncSession, shopper_id: int) -> None:
    await session.execute(
        update(Address).where(Address.shopper_id == shopper_id, Address.is_default.is_(True)).values(is_default=False)
    )


def _set_phone(address: Address, phone: str) -> None:
    address.phone_cipher = encrypt(phone, purpose=PHONE_PURPOSE)
    address.phone_masked = mask_phone(phone)


def _set_region(address: Address, province_code: str, city_code: str, district_code: str) -> None:
    region = resolve_address_region(province_code, city_code, district_code)
    address.province_code, address.city_code, address.district_code = (
        region.province_code,
        region.city_code,
        region.district_code,
    )
    address.province, address.city, address.district = region.province, region.city, region.district


async def create_address(session: AsyncSession, shopper_id: int, data: AddressCreate) -> Address:
    """Add an address; the first one (or one asked to be) becomes the default."""
    address = Address(
        shopper_id=shopper_id,
        recipient_name=data.recipient_name,
        detail=data.detail,
        postal_code=data.postal_code,
        tag=data.tag,
    )
    _set_region(address, data.province_code, data.city_code, data.district_code)
    _set_phone(address, data.phone)
    await _lock_shopper(session, shopper_id)
    count = (
        await session.execute(select(func.count()).select_from(Address).where(Address.shopper_id == shopper_id))
    ).scalar_one()
    if count >= MAX_ADDRESSES:
        await session.rollback()
        raise Conflict(f"最多保存 {MAX_ADDRESSES} 个收货地址", code="address_limit_reached")
    address.is_default = data.is_default or count == 0
    if address.is_default:
        await _clear_default(session, shopper_id)
    session.add(address)
    await session.commit()
    return address


async def update_address(session: AsyncSession, shopper_id: int, address_id: int, data: AddressUpdate) -> Address:
    """Change the given fields. ``is_default: true`` makes it the default; the default cannot be unset
    directly (choose another default instead), so exactly one default remains."""
    await _lock_shopper(session, shopper_id)
    address = await get_address(session, shopper_id, address_id)
    if data.is_default is False and address.is_default:
        await session.rollback()
        raise InvalidInput("请将其他地址设为默认地址", code="default_address_required")
    if data.province_code is not None and data.city_code is not None and data.district_code is not None:
        _set_region(address, data.province_code, data.city_code, data.district_code)
    if data.phone is not None:
        _set_phone(address, data.phone)
    for field in ("recipient_name", "detail", "postal_code", "tag"):
        value = getattr(data, field)
        if value is not None:
            setattr(address, field, value)
    if data.is_default and not address.is_default:
        await _clear_default(session, shopper_id)
        address.is_default = True
    address.updated_at = clock.now()
    await session.commit()
    return address


async def set_default_address(session: AsyncSession, shopper_id: int, address_id: int) -> Address:
    await _lock_shopper(session, shopper_id)
    address = await get_address(session, shopper_id, address_id)
    if not address.is_default:
        await _clear_default(session, shopper_id)
        address.is_default = True
    await session.commit()
    return address


async def delete_address(session: AsyncSession, shopper_id: int, address_id: int) -> None:
    """Delete the address; if it was the default, the most recently updated remaining one takes over."""
    await _lock_shopper(session, shopper_id)
    address = await get_address(session, shopper_id, address_id)
    was_default = address.is_default
    await session.delete(address)
    await session.flush()
    if was_default:
        successor = (await session.execute(_ordered(shopper_id).limit(1))).scalar_one_or_none()
        if successor is not None:
            successor.is_default = True
    await session.commit()

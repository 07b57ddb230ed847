"""Shapes at the edge of the shoppers area: login, profile, addresses, regions, favourites, history, admin.

Every input is bounded. Free text refuses control characters (PostgreSQL rejects NUL in text, and
nothing a person types needs them); phones must be mainland mobiles; region codes are six digits and
region names sent by a client are ignored (they are filled from the codes).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from qingmall.core.crypto import is_mainland_mobile, normalize_phone

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("不能包含控制字符")
    return value


def _mainland_mobile(value: str) -> str:
    phone = normalize_phone(value)
    if not is_mainland_mobile(phone):
        raise ValueError("请输入正确的手机号")
    return phone


def _image_url(value: str) -> str:
    if value and not (value.startswith(("https://", "http://")) or (value.startswith("/") and "//" not in value)):
        raise ValueError("图片地址须为 http(s) 链接或站内路径")
    return value


def text(min_length: int, max_length: int) -> type[str]:
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_no_control_characters),
    ]


MobilePhone = Annotated[str, StringConstraints(max_length=20), AfterValidator(_mainland_mobile)]
OneTimeCode = Annotated[str, StringConstraints(pattern=r"^[\x21-\x7e]{1,128}$")]
SmsCodeText = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
ImageUrl = Annotated[
    str, StringConstraints(max_length=512), AfterValidator(_no_control_characters), AfterValidator(_image_url)
]
Nickname = text(1, 32)


# --- auth and profile ---------------------------------------------------------------------------


class WeChatLoginRequest(BaseModel):
    code: OneTimeCode
    nickname: Nickname | None = None
    avatar_url: ImageUrl | None = None


class SmsCodeRequest(BaseModel):
    phone: MobilePhone


class SmsCodeSent(BaseModel):
    expires_in: int
    resend_after: int


class SmsLoginRequest(BaseModel):
    phone: MobilePhone
    code: SmsCodeText


class RefreshRequest(BaseModel):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class PhoneBindRequest(BaseModel):
    code: OneTimeCode


class ShopperPublic(BaseModel):
    """A shopper as they see themselves; the phone only ever masked."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    nickname: str
    avatar_url: str
    phone_masked: str | None
    has_wechat: bool
    created_at: datetime


class ShopperUpdate(BaseModel):
    nickname: Nickname | None = None
    avatar_url: ImageUrl | None = None


class LoginResult(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    is_new: bool = False
    shopper: ShopperPublic


class TokenPairPublic(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


# --- addresses and regions ----------------------------------------------------------------------


class AddressCreate(BaseModel):
    recipient_name: text(1, 32)  # type: ignore[valid-type]
    phone: MobilePhone
    province_code: RegionCode
    city_code: RegionCode
    district_code: RegionCode
    detail: text(2, 200)  # type: ignore[valid-type]
    postal_code: Annotated[str, StringConstraints(pattern=r"^(\d{6})?$")] = ""
    tag: text(0, 16) = ""  # type: ignore[valid-type]
    is_default: bool = False


class AddressUpdate(BaseModel):
    """Partial update; the three region codes travel together (all or none)."""

    recipient_name: text(1, 32) | None = None  # type: ignore[valid-type]
    phone: MobilePhone | None = None
    province_code: RegionCode | None = None
    city_code: RegionCode | None = None
    district_code: RegionCode | None = None
    detail: text(2, 200) | None = None  # type: ignore[valid-type]
    postal_code: Annotated[str, StringConstraints(pattern=r"^(\d{6})?$")] | None = None
    tag: text(0, 16) | None = None  # type: ignore[valid-type]
    is_default: bool | None = None

    @model_validator(mode="after")
    def _region_together(self) -> AddressUpdate:
        given = [self.province_code, self.city_code, self.district_code]
        if any(code is not None for code in given) and not all(code is not None for code in given):
            raise ValueError("修改地区时须同时提供省、市、区县代码")
        return self


class AddressPublic(BaseModel):
    """An address in lists: phone masked."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    recipient_name: str
    phone_masked: str
    province_code: str
    city_code: str
    district_code: str
    province: str
    city: str
    district: str
    detail: str
    postal_code: str
    tag: str
    is_default: bool


class AddressDetail(AddressPublic):
    """One address opened by its owner for editing: includes the full phone number."""

    phone: str


class RegionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: str
    has_children: bool


# --- favourites and history ---------------------------------------------------------------------


class ProductCard(BaseModel):
    spu_id: int
    title: str
    main_image_url: str
    price_min: int = Field(description="fen")
    price_max: int = Field(description="fen")
    is_on_shelf: bool


class FavouritePublic(ProductCard):
    favourited_at: datetime


class FavouriteState(BaseModel):
    spu_id: int
    is_favourite: bool


class ViewedProductPublic(ProductCard):
    viewed_at: datetime


# --- admin --------------------------------------------------------------------------------------


class ShopperAdminPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    nickname: str
    avatar_url: str
    phone_masked: str | None
    has_wechat: bool
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class ShopperAdminDetail(ShopperAdminPublic):
    addresses: list[AddressPublic]
    favourite_count: int

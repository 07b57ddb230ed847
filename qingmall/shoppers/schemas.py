"""Shapes at the edge of the shoppers area: login, profile, addresses, regions, favourites, history, admin.

Every input is bounded. Free text refuses control characters (``core.text``: PostgreSQL rejects NUL in
text, and nothing a person types needs them); tokens and one-time codes are printable ASCII; phones must
be mainland mobiles; region codes are six digits and region names sent by a client are ignored (they are
filled from the codes).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from qingmall.core.crypto import is_mainland_mobile, normalize_phone
from qingmall.core.text import SINGLE_LINE_PATTERN, single_line


def _mainland_mobile(value: str) -> str:
    phone = normalize_phone(value)
    if not is_mainland_mobile(phone):
        raise ValueError("请输入正确的手机号")
    return phone


def _image_url(value: str) -> str:
    if value and not (value.startswith(("https://", "http://")) or (value.startswith("/") and "//" not in value)):
        raise ValueError("图片地址须为 http(s) 链接或站内路径")
    return value


MobilePhone = Annotated[str, StringConstraints(max_length=20), AfterValidator(_mainland_mobile)]
OneTimeCode = Annotated[str, StringConstraints(pattern=r"^[\x21-\x7e]{1,128}$")]
SmsCodeText = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
ImageUrl = Annotated[str, StringConstraints(max_length=512, pattern=SINGLE_LINE_PATTERN), AfterValidator(_image_url)]
Nickname = single_line(32, min_length=1)
RecipientName = single_line(32, min_length=1)
AddressText = single_line(200, min_length=2)
AddressTag = single_line(16)


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
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=2048, pattern=r"^[\x21-\x7e]*$")]


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
    recipient_name: RecipientName
    phone: MobilePhone
    province_code: RegionCode
    city_code: RegionCode
    district_code: RegionCode
    detail: AddressText
    postal_code: Annotated[str, StringConstraints(pattern=r"^(\d{6})?$")] = ""
    tag: AddressTag = ""
    is_default: bool = False


class AddressUpdate(BaseModel):
    """Partial update; the three region codes travel together (all or none)."""

    recipient_name: RecipientName | None = None
    phone: MobilePhone | None = None
    province_code: RegionCode | None = None
    city_code: RegionCode | None = None
    district_code: RegionCode | None = None
    detail: AddressText | None = None
    postal_code: Annotated[str, StringConstraints(pattern=r"^(\d{6})?$")] | None = None
    tag: AddressTag | None = None
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
    """A shopper in the merchant's list, with what they bought: ``paid_order_count`` / ``paid_total`` (fen)
    count orders that were paid (refunds are not subtracted), ``last_order_at`` is their newest order of any
    status, ``balance`` their stored value in fen (0 without an account)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    nickname: str
    avatar_url: str
    phone_masked: str | None
    has_wechat: bool
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
    paid_order_count: int = 0
    paid_total: int = Field(0, description="fen")
    last_order_at: datetime | None = None
    balance: int = Field(0, description="fen")


class ShopperAdminDetail(ShopperAdminPublic):
    addresses: list[AddressPublic]
    favourite_count: int

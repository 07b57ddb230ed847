"""Shopper routes of the shoppers area (mounted under /api/v1): login, profile, addresses, regions,
favourites and browsing history. Routes only parse, call one service function and shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from qingmall.core.db import SessionDep
from qingmall.core.pagination import Page
from qingmall.core.regions import list_regions
from qingmall.shoppers import address_service, auth_service, favourite_service, service
from qingmall.shoppers.deps import (
    AppSettings,
    ClientIp,
    CurrentLogin,
    CurrentShopper,
    RateLimiterDep,
    SmsSenderDep,
    WeChatClientDep,
)
from qingmall.shoppers.schemas import (
    AddressCreate,
    AddressDetail,
    AddressPublic,
    AddressUpdate,
    FavouritePublic,
    FavouriteState,
    LoginResult,
    PhoneBindRequest,
    RefreshRequest,
    RegionPublic,
    ShopperPublic,
    ShopperUpdate,
    SmsCodeRequest,
    SmsCodeSent,
    SmsLoginRequest,
    TokenPairPublic,
    ViewedProductPublic,
    WeChatLoginRequest,
)

router = APIRouter(tags=["shoppers"])

IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
Cursor = Annotated[str | None, Query(max_length=512)]
Limit = Annotated[int, Query(ge=1, le=50)]


def _login_result(outcome: auth_service.LoginOutcome) -> LoginResult:
    return LoginResult(
        access_token=outcome.tokens.access_token,
        refresh_token=outcome.tokens.refresh_token,
        expires_in=outcome.tokens.expires_in,
        is_new=outcome.is_new,
        shopper=service.to_public(outcome.shopper),
    )


# --- auth ---------------------------------------------------------------------------------------


@router.post("/auth/wechat-login", summary="小程序登录（wx.login code）")
async def wechat_login(body: WeChatLoginRequest, session: SessionDep, client: WeChatClientDep) -> LoginResult:
    outcome = await auth_service.login_with_wechat(
        session, client, code=body.code, nickname=body.nickname, avatar_url=body.avatar_url
    )
    return _login_result(outcome)


@router.post("/auth/sms-code", summary="发送短信验证码（H5）")
async def send_sms_code(
    body: SmsCodeRequest,
    session: SessionDep,
    sender: SmsSenderDep,
    limiter: RateLimiterDep,
    settings: AppSettings,
    ip: ClientIp,
) -> SmsCodeSent:
    return await auth_service.send_sms_code(session, sender, limiter, settings, phone=body.phone, ip=ip)


@router.post("/auth/sms-login", summary="短信验证码登录（H5）")
async def sms_login(body: SmsLoginRequest, session: SessionDep) -> LoginResult:
    return _login_result(await auth_service.login_with_sms(session, phone=body.phone, code=body.code))


@router.post("/auth/refresh", summary="刷新登录凭证（refresh token 单次有效）")
async def refresh(body: RefreshRequest, session: SessionDep) -> TokenPairPublic:
    tokens = await auth_service.refresh_tokens(session, refresh_token=body.refresh_token)
    return TokenPairPublic(
        access_token=tokens.access_token, refresh_token=tokens.refresh_token, expires_in=tokens.expires_in
    )


@router.post("/auth/logout", status_code=204, summary="退出登录（吊销本次登录的全部凭证）")
async def logout(login: CurrentLogin, session: SessionDep) -> None:
    await auth_service.logout(session, session_id=login.session_id)


@router.post("/auth/phone", summary="绑定微信手机号（getPhoneNumber code）")
async def bind_phone(
    body: PhoneBindRequest, shopper: CurrentShopper, session: SessionDep, client: WeChatClientDep
) -> ShopperPublic:
    return service.to_public(await auth_service.bind_wechat_phone(session, client, shopper, code=body.code))


# --- profile ------------------------------------------------------------------------------------


@router.get("/me", summary="我的资料")
async def get_me(shopper: CurrentShopper) -> ShopperPublic:
    return service.to_public(shopper)


@router.patch("/me", summary="修改昵称、头像")
async def update_me(body: ShopperUpdate, shopper: CurrentShopper, session: SessionDep) -> ShopperPublic:
    return service.to_public(await service.update_profile(session, shopper, body))


# --- addresses and regions ----------------------------------------------------------------------


@router.get("/addresses", summary="收货地址列表")
async def list_addresses(shopper: CurrentShopper, session: SessionDep) -> list[AddressPublic]:
    addresses = await address_service.list_addresses(session, shopper.id)
    return [AddressPublic.model_validate(a) for a in addresses]


@router.post("/addresses", status_code=201, summary="新增收货地址")
async def create_address(body: AddressCreate, shopper: CurrentShopper, session: SessionDep) -> AddressPublic:
    return AddressPublic.model_validate(await address_service.create_address(session, shopper.id, body))


@router.get("/addresses/{address_id}", summary="收货地址详情（编辑用，含完整手机号）")
async def get_address(address_id: IdPath, shopper: CurrentShopper, session: SessionDep) -> AddressDetail:
    return await address_service.get_address_detail(session, shopper.id, address_id)


@router.patch("/addresses/{address_id}", summary="修改收货地址")
async def update_address(
    address_id: IdPath, body: AddressUpdate, shopper: CurrentShopper, session: SessionDep
) -> AddressPublic:
    return AddressPublic.model_validate(await address_service.update_address(session, shopper.id, address_id, body))


@router.post("/addresses/{address_id}/default", summary="设为默认地址")
async def set_default_address(address_id: IdPath, shopper: CurrentShopper, session: SessionDep) -> AddressPublic:
    return AddressPublic.model_validate(await address_service.set_default_address(session, shopper.id, address_id))


@router.delete("/addresses/{address_id}", status_code=204, summary="删除收货地址")
async def delete_address(address_id: IdPath, shopper: CurrentShopper, session: SessionDep) -> None:
    await address_service.delete_address(session, shopper.id, address_id)


@router.get("/regions", summary="省市区（不带 parent 时为省份列表）")
async def regions(parent: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None) -> list[RegionPublic]:
    return [RegionPublic.model_validate(r) for r in list_regions(parent)]


# --- favourites and history ---------------------------------------------------------------------


@router.get("/favourites", summary="我的收藏")
async def list_favourites(
    shopper: CurrentShopper, session: SessionDep, cursor: Cursor = None, limit: Limit = 20
) -> Page[FavouritePublic]:
    return await favourite_service.list_favourites(session, shopper.id, cursor=cursor, limit=limit)


@router.get("/favourites/{spu_id}", summary="是否已收藏")
async def get_favourite(spu_id: IdPath, shopper: CurrentShopper, session: SessionDep) -> FavouriteState:
    return await favourite_service.is_favourite(session, shopper.id, spu_id)


@router.post("/favourites/{spu_id}", summary="收藏商品（重复收藏无副作用）")
async def add_favourite(spu_id: IdPath, shopper: CurrentShopper, session: SessionDep) -> FavouriteState:
    return await favourite_service.add_favourite(session, shopper.id, spu_id)


@router.delete("/favourites/{spu_id}", status_code=204, summary="取消收藏")
async def remove_favourite(spu_id: IdPath, shopper: CurrentShopper, session: SessionDep) -> None:
    await favourite_service.remove_favourite(session, shopper.id, spu_id)


@router.get("/history", summary="浏览足迹")
async def list_history(
    shopper: CurrentShopper, session: SessionDep, cursor: Cursor = None, limit: Limit = 20
) -> Page[ViewedProductPublic]:
    return await favourite_service.list_history(session, shopper.id, cursor=cursor, limit=limit)


@router.delete("/history", status_code=204, summary="清空浏览足迹")
async def clear_history(shopper: CurrentShopper, session: SessionDep) -> None:
    await favourite_service.clear_history(session, shopper.id)

"""Payment schemas at the edge."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WeChatPayParamsPublic(BaseModel):
    """Exactly what the mini-program passes to ``wx.requestPayment`` (field names as WeChat spells them)."""

    model_config = ConfigDict(populate_by_name=True)

    app_id: str = Field(alias="appId")
    time_stamp: str = Field(alias="timeStamp")
    nonce_str: str = Field(alias="nonceStr")
    package: str
    sign_type: str = Field(alias="signType")
    pay_sign: str = Field(alias="paySign")

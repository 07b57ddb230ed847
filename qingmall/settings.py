"""Runtime settings, read from ``QINGMALL_*`` environment variables.

Secrets are never hard-coded: when ``QINGMALL_SECRET_KEY`` is not given, a random key is created once in
the data directory and reused, so a laptop install works out of the box and production sets its own.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the service; defaults give a working one-machine demo shop on SQLite."""

    model_config = SettingsConfigDict(env_prefix="QINGMALL_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = ""
    data_key: str = ""
    port: int = Field(default=8000, validation_alias="PORT")
    public_base_url: str = ""
    debug: bool = False
    # "development" (laptop defaults: sandbox WeChat, SMS codes in the log) or "production" (refuses to start
    # until real partners and keys are configured; see problems_for_production)
    environment: str = "development"
    log_format: str = "console"  # "console" (readable) or "json" (production)
    log_level: str = "INFO"

    # jobs: "sqlite" (embedded, durable), "redis", "memory" (tests), "immediate" (tests: run inline)
    jobs_backend: str = "sqlite"
    inprocess_jobs: bool = True
    sweep_interval_seconds: int = 60

    # order timings
    order_unpaid_timeout_minutes: int = 30
    order_auto_complete_days: int = 7
    review_follow_up_days: int = 180

    # tokens
    access_token_minutes: int = 120
    refresh_token_days: int = 30
    staff_token_minutes: int = 480
    staff_max_failed_logins: int = 5
    staff_lockout_minutes: int = 15

    # WeChat mini-program; the sandbox is used unless a real base URL, appid and secret are configured
    wechat_base_url: str = ""
    wechat_appid: str = "wxsandbox0000001"
    wechat_secret: str = "sandbox-secret"
    sandbox_enabled: bool | None = None  # default: on in development, off in production
    sandbox_refund_seconds: float = 3.0  # the WeChat Pay sandbox completes refunds after this long (0: never)

    # WeChat Pay API v3. Unset in development with the sandbox on: the shop pays through the in-process
    # WeChat Pay sandbox with merchant keys generated into the data directory. Unset in production: disabled.
    wechatpay_base_url: str = ""
    wechatpay_mchid: str = ""
    wechatpay_merchant_serial_no: str = ""
    wechatpay_private_key_path: str = ""
    wechatpay_apiv3_key: str = ""
    wechatpay_public_key_id: str = ""  # "PUB_KEY_ID_..." (public-key mode)
    wechatpay_public_key_path: str = ""
    wechatpay_platform_certificate_path: str = ""  # certificate mode (either or both)

    # Alipay (mini-program JSAPI_PAY with Huabei); the same sandbox rule as WeChat Pay
    alipay_gateway_url: str = ""
    alipay_app_id: str = ""
    alipay_seller_id: str = ""
    alipay_private_key_path: str = ""
    alipay_public_key_path: str = ""
    alipay_huabei_seller_percent: Literal[0, 100] = 0  # 100: the shop bears Huabei installment fees (免息)

    # after-sales window after an order completes
    after_sale_days: int = 7

    # SMS login (H5)
    sms_sender: str = "console"
    sms_code_ttl_seconds: int = 300
    sms_per_phone_per_minute: int = 1
    sms_per_phone_per_day: int = 10
    sms_per_ip_per_hour: int = 30

    # public catalog pages cached per process (0 turns the cache off)
    catalog_cache_seconds: float = 3.0

    # uploads
    upload_max_bytes: int = 5 * 1024 * 1024
    video_upload_max_bytes: int = 20 * 1024 * 1024  # product videos (POST /api/admin/v1/media/videos)
    media_url_prefix: str = "/media"
    # The built H5 storefront served at "/" (``make h5`` builds it); empty = this checkout's build folder.
    storefront_dir: Path | None = None
    # The built merchant console served at "/console/" (``make console``); empty = this checkout's build folder.
    console_dir: Path | None = None

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def resolved_sandbox_enabled(self) -> bool:
        return (not self.is_production) if self.sandbox_enabled is None else self.sandbox_enabled

    def problems_for_production(self) -> list[str]:
        """What stops this configuration from serving real shoppers (empty in development)."""
        if not self.is_production:
            return []
        problems = []
        if not self.secret_key:
            problems.append("QINGMALL_SECRET_KEY 未设置（令牌签名密钥）")
        if not self.data_key:
            problems.append("QINGMALL_DATA_KEY 未设置（个人信息加密密钥，32 字节）")
        if self.resolved_sandbox_enabled:
            problems.append("QINGMALL_SANDBOX_ENABLED 必须为 false：沙箱允许任何人以演示身份登录")
        if not self.wechat_base_url or "/sandbox/" in self.wechat_base_url:
            problems.append("QINGMALL_WECHAT_BASE_URL 未指向微信服务器（例如 https://api.weixin.qq.com）")
        if self.wechat_appid.startswith("wxsandbox") or self.wechat_secret == "sandbox-secret":
            problems.append("QINGMALL_WECHAT_APPID / QINGMALL_WECHAT_SECRET 仍是沙箱值")
        if self.wechatpay_mchid and not all((self.wechatpay_merchant_serial_no, self.wechatpay_private_key_path,
                                             self.wechatpay_apiv3_key)):
            problems.append("微信支付配置不完整：需要商户号、证书序列号、私钥文件和 APIv3 密钥")
        if self.wechatpay_mchid and not (self.wechatpay_public_key_path or self.wechatpay_platform_certificate_path):
            problems.append("微信支付配置不完整：需要微信支付公钥或平台证书，用于验证应答和通知")
        if (self.wechatpay_mchid or self.alipay_app_id) and not self.public_base_url.startswith("https://"):
            problems.append(
                "QINGMALL_PUBLIC_BASE_URL 未设置为 https 地址：支付通知和支付后返回地址由它决定，不能取自请求的 Host"
            )
        if self.alipay_app_id and not all((self.alipay_private_key_path, self.alipay_public_key_path,
                                           self.alipay_seller_id)):
            problems.append("支付宝配置不完整：需要应用私钥、支付宝公钥和卖家 ID")
        if self.sms_sender == "console":
            problems.append("QINGMALL_SMS_SENDER=console 只把验证码打印到日志，生产环境需要真实短信通道")
        return problems

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'qingmall.db').resolve()}"

    @property
    def resolved_storefront_dir(self) -> Path:
        if self.storefront_dir is not None:
            return self.storefront_dir
        return Path(__file__).resolve().parent.parent / "frontend" / "storefront" / "dist" / "build" / "h5"

    @property
    def resolved_console_dir(self) -> Path:
        if self.console_dir is not None:
            return self.console_dir
        return Path(__file__).resolve().parent.parent / "frontend" / "console" / "dist"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        self.secret_key = path.read_text().strip()
        return self.secret_key

    @property
    def resolved_wechat_base_url(self) -> str:
        if self.wechat_base_url:
            return self.wechat_base_url.rstrip("/")
        return f"http://127.0.0.1:{self.port}/sandbox/wechat"


@lru_cache
def get_settings() -> Settings:
    return Settings()

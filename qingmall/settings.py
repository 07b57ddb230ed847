"""Runtime settings, read from ``QINGMALL_*`` environment variables.

Secrets are never hard-coded: when ``QINGMALL_SECRET_KEY`` is not given, a random key is created once in
the data directory and reused, so a laptop install works out of the box and production sets its own.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

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
    sandbox_enabled: bool = True

    # SMS login (H5)
    sms_sender: str = "console"
    sms_code_ttl_seconds: int = 300
    sms_per_phone_per_minute: int = 1
    sms_per_phone_per_day: int = 10
    sms_per_ip_per_hour: int = 30

    # uploads
    upload_max_bytes: int = 5 * 1024 * 1024
    media_url_prefix: str = "/media"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'qingmall.db').resolve()}"

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

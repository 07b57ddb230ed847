"""Shop: shop_settings, the one row of settings the owner edits (店铺设置)

Revision ID: 0006_shop_settings
Revises: 0005_order_phone_index
Create Date: 2026-12-07 09:00:00.000000

No row is inserted: without one every value is the environment's default, as before this migration.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qingmall.core.db

revision: str = "0006_shop_settings"
down_revision: str | None = "0005_order_phone_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shop_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("logo_url", sa.String(length=512), nullable=False),
        sa.Column("service_phone", sa.String(length=20), nullable=False),
        sa.Column("order_unpaid_timeout_minutes", sa.Integer(), nullable=False),
        sa.Column("order_auto_complete_days", sa.Integer(), nullable=False),
        sa.Column("after_sale_days", sa.Integer(), nullable=False),
        sa.Column("wechat_pay_enabled", sa.Boolean(), nullable=False),
        sa.Column("alipay_enabled", sa.Boolean(), nullable=False),
        sa.Column("balance_pay_enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", qingmall.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", qingmall.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_shop_settings_single_row")),
        sa.CheckConstraint(
            "wechat_pay_enabled OR alipay_enabled OR balance_pay_enabled",
            name=op.f("ck_shop_settings_one_payment_channel"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_settings")),
    )


def downgrade() -> None:
    op.drop_table("shop_settings")

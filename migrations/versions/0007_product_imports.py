"""Catalog: product CSV imports (progress and per-row errors)

Revision ID: 0007_product_imports
Revises: 0006_shop_settings
Create Date: 2026-12-07 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qingmall.core.db

revision: str = "0007_product_imports"
down_revision: str | None = "0006_shop_settings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product_imports",
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("done", sa.BigInteger(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("lease_until", qingmall.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", qingmall.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("message", sa.String(length=255), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("created_at", qingmall.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", qingmall.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'done', 'failed')", name=op.f("ck_product_imports_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_product_imports_staff_id_staff"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_imports")),
    )
    op.create_index("ix_product_imports_status", "product_imports", ["status", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_product_imports_status", table_name="product_imports")
    op.drop_table("product_imports")

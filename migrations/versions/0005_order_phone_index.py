"""Orders: receiver_phone_hash, the blind index of the receiver's phone (order search by phone)

Revision ID: 0005_order_phone_index
Revises: 0004
Create Date: 2026-12-07 07:30:00.000000

The backfill runs inside this migration: it reads each order's encrypted snapshot phone, decrypts it with the
application's own key (``core.crypto``, the same settings the server runs with) and stores only the keyed
hash, in id-ordered batches. It is idempotent (only rows still NULL are touched), writes no phone in clear,
and a row whose cipher the current key cannot open is left NULL and counted in the log (its order is then
found by the shopper's account phone or order number, not by the receiver phone). Offline (``--sql``) runs
only add the column and index: re-running ``qingmall migrate`` later does not backfill them, so run the
upgrade online.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from qingmall.core.crypto import DecryptionError, decrypt, phone_hash

revision: str = "0005_order_phone_index"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
PHONE_PURPOSE = "order.address.phone"  # qingmall.orders.snapshots.PHONE_PURPOSE, frozen here


def _hash_of(address: object) -> str | None:
    if not isinstance(address, dict) or not address.get("phone_cipher"):
        return None
    try:
        return phone_hash(decrypt(str(address["phone_cipher"]), purpose=PHONE_PURPOSE))
    except DecryptionError:
        return None


def _backfill() -> None:
    orders = sa.table(
        "orders",
        sa.column("id", sa.BigInteger()),
        sa.column("address", sa.JSON()),
        sa.column("receiver_phone_hash", sa.String(64)),
    )
    bind = op.get_bind()
    after_id, unreadable = 0, 0
    while True:
        rows = bind.execute(
            sa.select(orders.c.id, orders.c.address)
            .where(orders.c.id > after_id, orders.c.receiver_phone_hash.is_(None))
            .order_by(orders.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for order_id, address in rows:
            value = _hash_of(address)
            if value is None:
                unreadable += bool(isinstance(address, dict) and address.get("phone_cipher"))
                continue
            bind.execute(sa.update(orders).where(orders.c.id == order_id).values(receiver_phone_hash=value))
        after_id = rows[-1][0]
    if unreadable:
        print(f"0005_order_phone_index: {unreadable} order phone(s) could not be decrypted and stay unindexed")


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receiver_phone_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_orders_receiver_phone_hash"), ["receiver_phone_hash"], unique=False)
    if not context.is_offline_mode():
        _backfill()


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_receiver_phone_hash"))
        batch_op.drop_column("receiver_phone_hash")

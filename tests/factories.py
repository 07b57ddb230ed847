"""Small builders for tests: rows with sensible defaults, tokens for a shopper or a staff member."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from itertools import count
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog.models import Category, Sku, Spu
from qingmall.core.security import hash_password, issue_token
from qingmall.shoppers.models import Shopper
from qingmall.staff.models import Staff

_seq = count(1)


async def make_category(session: AsyncSession, name: str = "数码", parent_id: int | None = None) -> Category:
    category = Category(name=name, parent_id=parent_id)
    session.add(category)
    await session.flush()
    return category


async def make_product(
    session: AsyncSession,
    *,
    title: str = "测试商品",
    category: Category | None = None,
    skus: list[dict[str, Any]] | None = None,
    on_shelf: bool = True,
    **spu_fields: Any,
) -> Spu:
    """An SPU with SKUs (default: one SKU, price 1999 fen, stock 100); commits."""
    if category is None:
        category = await make_category(session)
    skus = skus or [{"price": 1999, "stock": 100}]
    spu = Spu(
        title=title,
        category_id=category.id,
        is_on_shelf=on_shelf,
        main_image_url="/media/test.png",
        spec_dimensions=spu_fields.pop("spec_dimensions", []),
        **spu_fields,
    )
    session.add(spu)
    await session.flush()
    for i, fields in enumerate(skus):
        values = fields.pop("spec_values", [] if len(skus) == 1 else [f"规格{i + 1}"])
        session.add(Sku(spu_id=spu.id, spec_values=values, spec_key="/".join(values), **fields))
    await session.flush()
    prices = [s.get("price", 0) for s in skus]
    spu.price_min, spu.price_max = min(prices), max(prices)
    await session.commit()
    return spu


async def make_shopper(session: AsyncSession, nickname: str = "") -> Shopper:
    n = next(_seq)
    shopper = Shopper(openid=f"test-openid-{n}", nickname=nickname or f"顾客{n}")
    session.add(shopper)
    await session.commit()
    return shopper


def shopper_headers(shopper: Shopper) -> dict[str, str]:
    token = issue_token(shopper.id, audience="shopper", token_type="access", ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


async def make_staff(session: AsyncSession, role: str = "owner", password: str = "Passw0rd!23") -> Staff:
    n = next(_seq)
    staff = Staff(username=f"staff{n}", display_name=f"员工{n}", password_hash=hash_password(password), role=role)
    session.add(staff)
    await session.commit()
    return staff


def staff_headers(staff: Staff) -> dict[str, str]:
    token = issue_token(
        staff.id, audience="staff", token_type="access", ttl=timedelta(hours=1), extra={"ver": staff.token_version}
    )
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def counted_selects(db: Any) -> Iterator[list[str]]:
    """The SELECT statements the database ``db`` runs inside the block (to pin a query count)."""
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note)

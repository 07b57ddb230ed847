"""Fixtures of the catalog tests: staff tokens by role and product payload builders."""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest

from qingmall.catalog.models import Category
from qingmall.staff.models import Staff
from tests.factories import staff_headers

_numbers = count(1)


async def staff_with_role(session, role: str) -> dict[str, str]:
    """Token headers of a new staff member; no password (these tests never log in, and argon2 is slow)."""
    staff = Staff(username=f"catalog{next(_numbers)}", password_hash="!", role=role)
    session.add(staff)
    await session.commit()
    return staff_headers(staff)


@pytest.fixture
async def owner(session) -> dict[str, str]:
    return await staff_with_role(session, "owner")


@pytest.fixture
async def support(session) -> dict[str, str]:
    """A customer-service member: may read the catalog, may not change it."""
    return await staff_with_role(session, "customer_service")


@pytest.fixture
async def category(session) -> Category:
    row = Category(name="手机")
    session.add(row)
    await session.commit()
    return row


def tee_payload(category_id: int, **overrides: Any) -> dict[str, Any]:
    """A T-shirt in 2 colours x 3 sizes: six SKUs, prices 9900..10400 fen, stock 10 each."""
    colours, sizes = ["黑", "白"], ["S", "M", "L"]
    skus = [
        {"spec_values": [c, s], "price": 9900 + 100 * (i * 3 + j), "original_price": 19900, "stock": 10}
        for i, c in enumerate(colours)
        for j, s in enumerate(sizes)
    ]
    payload: dict[str, Any] = {
        "category_id": category_id,
        "title": "纯棉短袖T恤",
        "subtitle": "夏季新款",
        "images": ["/media/a.jpg", "https://cdn.example.com/b.jpg"],
        "detail": [{"type": "text", "text": "面料：纯棉"}, {"type": "image", "url": "/media/d.jpg"}],
        "spec_dimensions": [{"name": "颜色", "values": colours}, {"name": "尺码", "values": sizes}],
        "skus": skus,
        "tags": ["新品"],
        "is_on_shelf": True,
    }
    payload.update(overrides)
    return payload


def simple_payload(category_id: int, title: str = "单规格商品", price: int = 1000, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "category_id": category_id,
        "title": title,
        "skus": [{"price": price, "stock": 5}],
        "is_on_shelf": True,
    }
    payload.update(overrides)
    return payload

"""Crafted cursors and extreme date filters are refused with a 422, never a 500, on every listing.

A cursor is opaque to clients but trivially forged (base64 of a JSON list), so every value decoded from it
must be checked before it reaches SQL: ids must fit BIGINT (SQLite overflows at 2**63), times must carry a
timezone and lie in 2000..2200 (UTC conversion overflows near year 1 and 9999). One parametrized sweep goes
over every listing that takes a cursor; each case swaps one position of a well-formed cursor for a bad value.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from qingmall.core.pagination import encode_cursor
from tests.factories import make_product, make_shopper, make_staff, shopper_headers, staff_headers

ACCEPTED_CODES = {"invalid_cursor", "invalid_date", "invalid_input"}

GOOD = {"time": "2024-05-01T08:00:00+08:00", "id": 5, "int": 100, "float": -0.5}

BAD: dict[str, list[Any]] = {
    "id": [2**63, 2**64, 0, -1, True, False, 1.5, "7", None, [5], {"id": 5}],  # plus the listing's max_id + 1
    "int": [2**63, 2**64, 2**62 + 1, -(2**62) - 1, -(2**63) - 1, True, 1.5, "100", None, [100]],
    "float": ["0.5", None, True, [0.5], {"score": 1}],
    "time": [
        "2024-05-01T08:00:00",  # naive
        "0001-01-01T00:00:00+08:00",  # year 1: overflows when converted to UTC
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59-08:00",  # overflows the other way
        "1999-12-31T23:59:59+00:00",
        "2200-01-01T00:00:00+00:00",
        "2024-13-01T00:00:00+00:00",
        "yesterday",
        "",
        1714550400,
        True,
        None,
        ["2024-05-01T08:00:00+08:00"],
    ],
}


def _raw(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _encode(values: list[Any]) -> str:
    """``encode_cursor``, or the same encoding by hand for integers orjson refuses to write (beyond 64 bits)."""
    try:
        return encode_cursor(values)
    except TypeError:
        return _raw(json.dumps(values).encode())


GARBAGE = [
    "%%%",
    "not-base64!",
    "AAAA",  # three NUL bytes: not JSON
    "游标",
    "====",
    _raw(b"null"),
    _raw(b"[]"),
    _raw(b'{"id": 5}'),
    _raw(b'"2024-05-01T08:00:00+08:00"'),
    _raw(b"[1e999, 5]"),
    _raw(b"[18446744073709551616]"),
    encode_cursor([1, 2, 3, 4, 5, 6]),
    "x" * 600,  # longer than any route's max_length
]


@dataclass(frozen=True)
class Listing:
    """One listing endpoint: its URL, who may call it, and the shape of its cursor."""

    url: str
    who: str  # "shopper" | "staff" | "anyone"
    kinds: tuple[str, ...]
    head: str | None = None  # the catalog's "<sort>:<mode>" first element
    params: tuple[tuple[str, str], ...] = ()
    max_id: int = 2**62  # ``core.pagination.cursor_id``'s ceiling

    def cursor(self, values: list[Any]) -> str:
        return _encode([self.head, *values] if self.head else values)

    def query(self, cursor: str) -> dict[str, str]:
        return {**dict(self.params), "cursor": cursor}

    def good(self) -> list[Any]:
        return [GOOD[kind] for kind in self.kinds]


def _products(sort: str, kinds: tuple[str, ...], *, keyword: str = "", mode: str = "all") -> Listing:
    params = (("sort", sort), ("keyword", keyword)) if keyword else (("sort", sort),)
    return Listing("/api/v1/products", "anyone", kinds, f"{sort}:{mode}", params)


LISTINGS = {
    "shopper_orders": Listing("/api/v1/orders", "shopper", ("time", "id")),
    "admin_orders": Listing("/api/admin/v1/orders", "staff", ("time", "id")),
    "audit_logs": Listing("/api/admin/v1/audit-logs", "staff", ("id",)),
    "favourites": Listing("/api/v1/favourites", "shopper", ("id",)),
    "history": Listing("/api/v1/history", "shopper", ("time", "id")),
    "product_reviews": Listing("/api/v1/products/1/reviews", "anyone", ("time", "id")),
    "my_reviews": Listing("/api/v1/me/reviews", "shopper", ("time", "id")),
    "admin_reviews": Listing("/api/admin/v1/reviews", "staff", ("id",)),
    "products_default": _products("default", ("int", "int", "id")),
    "products_sales": _products("sales", ("int", "id")),
    "products_price_asc": _products("price_asc", ("int", "id")),
    "products_price_desc": _products("price_desc", ("int", "id")),
    "products_newest": _products("newest", ("time", "id")),
    "search_relevance": _products("default", ("float", "id"), keyword="茶叶", mode="and"),
    "search_newest": _products("newest", ("time", "id"), keyword="茶叶", mode="or"),
    "admin_products": Listing("/api/admin/v1/products", "staff", ("id",), "admin:all"),
    "admin_shoppers": Listing("/api/admin/v1/shoppers", "staff", ("id",)),
}


def _crafted(listing: Listing) -> list[str]:
    """Every single-position corruption of a well-formed cursor, a few shape errors, and raw garbage."""
    cursors = []
    for position, kind in enumerate(listing.kinds):
        for bad in BAD[kind] + ([listing.max_id + 1] if kind == "id" else []):
            values = listing.good()
            values[position] = bad
            cursors.append(listing.cursor(values))
    cursors.append(listing.cursor([*listing.good(), 5]))  # one value too many
    if listing.head:
        cursors.append(encode_cursor(["other:all", *listing.good()]))
        cursors.append(encode_cursor([7, *listing.good()]))
        cursors.append(encode_cursor([listing.head.replace(":", ""), *listing.good()]))
    return cursors + GARBAGE


@pytest.fixture
async def lenient_client(app) -> AsyncIterator[httpx.AsyncClient]:
    """A client that turns an unhandled exception into the 500 a real client would see, so one test can
    collect every failing cursor instead of stopping at the first."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def auth(session) -> dict[str, dict[str, str]]:
    """Headers per caller, and one product on the shelf so the catalog queries have a row to compare."""
    await make_product(session, title="明前龙井茶叶")
    shopper = await make_shopper(session)
    staff = await make_staff(session)
    return {"shopper": shopper_headers(shopper), "staff": staff_headers(staff), "anyone": {}}


async def _failures(client: httpx.AsyncClient, headers: dict[str, str], url: str, params: list[dict[str, str]]):
    failures = []
    for query in params:
        response = await client.get(url, params=query, headers=headers)
        is_json = response.headers.get("content-type", "").startswith("application/json")
        code = response.json().get("code") if is_json else None
        if response.status_code != 422 or code not in ACCEPTED_CODES:
            failures.append((query, response.status_code, code))
    return failures


@pytest.mark.parametrize("name", list(LISTINGS))
async def test_crafted_cursor_is_a_422_not_a_500(lenient_client, auth, name):
    # given a listing and a well-formed cursor that it accepts
    listing = LISTINGS[name]
    headers = auth[listing.who]
    good = await lenient_client.get(listing.url, params=listing.query(listing.cursor(listing.good())), headers=headers)
    assert good.status_code == 200, good.text
    # when any one value of the cursor is forged, or the cursor is garbage
    failures = await _failures(
        lenient_client, headers, listing.url, [listing.query(cursor) for cursor in _crafted(listing)]
    )
    # then every request is refused as bad input
    assert failures == []


DATE_FILTERS = {
    "admin_orders": (
        "/api/admin/v1/orders",
        {"created_from": "2000-01-01", "created_to": "2199-12-31"},
        [
            {"created_to": "9999-12-31"},  # the day after overflows
            {"created_from": "0001-01-01"},  # Shanghai midnight of year 1 overflows in UTC
            {"created_from": "0001-01-01", "created_to": "0001-01-02"},
            {"created_from": "1999-12-31"},
            {"created_to": "2200-01-01"},
        ],
    ),
    "audit_logs": (
        "/api/admin/v1/audit-logs",
        {"since": "2000-01-01T08:00:00", "until": "2199-12-31T23:59:59+00:00"},  # naive is Beijing time
        [
            {"since": "0001-01-01T00:00:00"},
            {"since": "0001-01-01T00:00:00Z"},
            {"until": "0001-01-01T00:00:00+08:00"},
            {"until": "9999-12-31T23:59:59-08:00"},
            {"until": "9999-12-31T23:59:59"},
            {"since": "2000-01-01T07:59:59"},  # 1999 in UTC
            {"until": "2200-01-01T00:00:00+00:00"},
        ],
    ),
}


@pytest.mark.parametrize("name", list(DATE_FILTERS))
async def test_extreme_date_filter_is_a_422_invalid_date(lenient_client, auth, name):
    # given a merchant list whose widest allowed date range is an ordinary (empty) page
    url, widest, extremes = DATE_FILTERS[name]
    edge = await lenient_client.get(url, params=widest, headers=auth["staff"])
    assert (edge.status_code, edge.json()["items"], edge.json()["next_cursor"]) == (200, [], None)
    # when a date filter is far outside anything the shop can hold
    failures = []
    for params in extremes:
        response = await lenient_client.get(url, params=params, headers=auth["staff"])
        if (response.status_code, response.json().get("code")) != (422, "invalid_date"):
            failures.append((params, response.status_code, response.json().get("code")))
    # then each is refused as an invalid date, not a crash
    assert failures == []

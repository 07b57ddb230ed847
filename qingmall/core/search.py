"""Chinese full-text search without a database plugin: segment in Python, index space-separated words.

Debian's PostgreSQL has no Chinese parser (zhparser, pg_jieba), and SQLite's trigram tokenizer misses
two-character words, so text is cut into words by rjieba here and the database only splits on spaces:

- SQLite: an FTS5 table ``spu_search`` (external content = ``spus.search_text``, tokenizer unicode61),
  kept in step by triggers on ``spus``, ranked by ``bm25``;
- PostgreSQL: a GIN index on ``to_tsvector('simple', search_text)``, ranked by ``ts_rank``.

Documents and queries are segmented differently on purpose (see ``index_text`` and ``query_groups``): a
document carries its precise words twice, plus their sub-words, single characters and letter/digit runs
once, so a query word that is a whole word of a title (``手机`` in a phone's title) outranks the same word
found only inside a compound (``手机`` in ``手机壳``), and one-character queries (``茶``, ``梨``) still find
products. A query word matches as itself or as all of its sub-words (``蓝牙耳机`` finds ``蓝牙 耳机``),
and is never expanded into single characters, which keeps multi-character queries precise. Every query
word must match; only when that finds nothing are the multi-character terms OR-ed.
``DOMAIN_WORDS`` are added to rjieba's (process-wide) dictionary; after changing them, re-index with
``catalog.service.reindex_all``.

User text only ever reaches SQL as bound parameters; FTS5 terms are additionally double-quoted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import rjieba
from sqlalchemy import DDL, ColumnElement, Float, Table, bindparam, cast, column, event, func, literal_column, table

FTS_TABLE = "spu_search"
PG_INDEX = "ix_spus_search_tsv"
MAX_QUERY_TERMS = 12

# Shop words the stock dictionary lacks; whole words rank above their parts (手机壳 vs 手机).
DOMAIN_WORDS = (
    "手机壳", "手机膜", "手机套", "手机支架", "钢化膜", "保护壳", "保护套", "充电宝", "充电器", "充电线",
    "数据线", "耳机线", "蓝牙耳机", "蓝牙音箱", "智能手表", "每日坚果", "夏威夷果", "碧根果", "巴旦木",
    "坚果礼盒", "保温杯", "纸尿裤", "洗衣液", "卫生纸", "抽纸", "面膜", "口红", "防晒霜", "连衣裙", "卫衣",
)
for _word in DOMAIN_WORDS:
    rjieba.add_word(_word, None, None)

_PIECE = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTERS_OR_DIGITS = re.compile(r"[a-z]+|[0-9]+")


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _pieces(word: str) -> list[str]:
    """Letters, digits and CJK of one word, split at anything else (punctuation and spaces vanish)."""
    return _PIECE.findall(word)


def segment(text: str) -> str:
    """Search-mode segmentation: lowercased, NFKC-normalised, punctuation dropped, words joined by spaces.

    ``segment("无线耳机，降噪!") == "无线 耳机 降噪"``. A general helper (e.g. for FAQ matching); product
    search builds on the same cut with ``query_groups`` (queries) and ``index_text`` (documents).
    """
    tokens: list[str] = []
    for word in rjieba.cut_for_search(_normalise(text)):
        tokens.extend(_pieces(word))
    return " ".join(tokens)


def _parts(word: str) -> list[str]:
    """The dictionary sub-words of one word and, for a mixed word, its letter and digit runs
    (``iphone15`` -> ``iphone``, ``15``). Never single characters."""
    parts: list[str] = []
    if len(word) > 1:
        for sub in rjieba.cut_for_search(word):
            if sub != word:
                parts.extend(_pieces(sub))
        runs = _LETTERS_OR_DIGITS.findall(word)
        if len(runs) > 1:
            parts.extend(runs)
    return list(dict.fromkeys(part for part in parts if part != word))


def query_groups(text: str) -> list[list[str]]:
    """A query as ``[[word, *its parts], ...]`` (distinct words, at most ``MAX_QUERY_TERMS``).

    A group matches a document holding the word itself or all of its parts, so ``蓝牙耳机`` also finds
    a title written ``蓝牙 耳机``; the AND search needs every group to match.
    """
    groups: dict[str, list[str]] = {}
    for word in rjieba.cut(_normalise(text)):
        for piece in _pieces(word):
            if piece not in groups:
                groups[piece] = [piece, *_parts(piece)]
    return list(groups.values())[:MAX_QUERY_TERMS]


def query_terms(text: str) -> list[str]:
    """Every distinct term of a query's groups, in order (the OR fallback searches these)."""
    return list(dict.fromkeys(term for group in query_groups(text) for term in group))


def _expansions(word: str) -> list[str]:
    """What a document adds besides the word itself: its parts and its single CJK characters."""
    extra = _parts(word)
    if len(word) > 1 and _CJK.search(word):
        extra.extend(ch for ch in dict.fromkeys(word) if _CJK.match(ch))
    return extra


def index_text(*parts: str) -> str:
    """The text stored in ``spus.search_text`` for some fields (title, subtitle, tags, category names).

    Each precise word appears twice and each expansion once, so whole-word matches rank higher.
    """
    tokens: list[str] = []
    for part in parts:
        for word in rjieba.cut(_normalise(part)):
            for piece in _pieces(word):
                tokens.extend((piece, piece))
                tokens.extend(_expansions(piece))
    return " ".join(tokens)


# ---- DDL --------------------------------------------------------------------------------------------

def search_ddl(dialect_name: str) -> list[str]:
    """Statements that create the search index over ``spus.search_text`` (idempotent).

    Used by ``metadata.create_all`` (through DDL events) and by the Alembic migration. SQLite's index is
    an external-content FTS5 table kept in step by triggers, so any write to ``search_text`` (from any
    area, any tool) is indexed in the same transaction; PostgreSQL uses an expression index.
    """
    if dialect_name == "sqlite":
        delete_old = (
            f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
        )
        insert_new = f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);"
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "search_text, content='spus', content_rowid='id', tokenize='unicode61')",
            f"CREATE TRIGGER IF NOT EXISTS spus_search_insert AFTER INSERT ON spus BEGIN {insert_new} END",
            f"CREATE TRIGGER IF NOT EXISTS spus_search_delete AFTER DELETE ON spus BEGIN {delete_old} END",
            "CREATE TRIGGER IF NOT EXISTS spus_search_update AFTER UPDATE OF search_text ON spus "
            f"BEGIN {delete_old} {insert_new} END",
            f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
        ]
    if dialect_name == "postgresql":
        return [
            f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON spus USING gin (to_tsvector('simple', search_text))",
        ]
    return []


def drop_search_ddl(dialect_name: str) -> list[str]:
    """Statements that remove the search index (the Alembic downgrade; triggers go with the table)."""
    if dialect_name == "sqlite":
        return [
            "DROP TRIGGER IF EXISTS spus_search_insert",
            "DROP TRIGGER IF EXISTS spus_search_delete",
            "DROP TRIGGER IF EXISTS spus_search_update",
            f"DROP TABLE IF EXISTS {FTS_TABLE}",
        ]
    if dialect_name == "postgresql":
        return [f"DROP INDEX IF EXISTS {PG_INDEX}"]
    return []


def is_search_object(name: str | None) -> bool:
    """Whether a database object belongs to the search index (the FTS5 table and its shadow tables, the
    GIN index). They are made by ``search_ddl``, not by the models, so Alembic's autogenerate and the
    migrations-match-models check must skip them (``include_name``)."""
    if not name:
        return False
    return name in (PG_INDEX, FTS_TABLE) or name.startswith(FTS_TABLE + "_")


def attach_search_ddl(table: Table) -> None:
    """Make ``metadata.create_all``/``drop_all`` create and drop the search index with ``table``."""
    for dialect_name in ("sqlite", "postgresql"):
        for statement in search_ddl(dialect_name):
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect_name))
    event.listen(table, "before_drop", DDL(f"DROP TABLE IF EXISTS {FTS_TABLE}").execute_if(dialect="sqlite"))


# ---- queries ----------------------------------------------------------------------------------------

def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts5_query(groups: list[list[str]], *, match_all: bool) -> str:
    """An FTS5 MATCH string in which every term is a quoted string, so no input is FTS syntax.

    AND: ``("蓝牙耳机" OR ("蓝牙" AND "耳机")) AND "无线"``; OR: every term of the OR fallback.
    """
    if not match_all:
        return " OR ".join(_quote(term) for term in or_fallback_terms(groups))
    clauses = []
    for word, *parts in groups:
        if parts:
            clauses.append(f"({_quote(word)} OR ({' AND '.join(_quote(p) for p in parts)}))")
        else:
            clauses.append(_quote(word))
    return " AND ".join(clauses)


def or_fallback_terms(groups: list[list[str]]) -> list[str]:
    """Terms for the OR fallback: the multi-character ones if there are any (single characters such as
    ``我``/``买`` would match half the shop), else all of them."""
    terms = list(dict.fromkeys(term for group in groups for term in group))
    longer = [term for term in terms if len(term) > 1]
    return longer or terms


def _tsquery_term(term: str) -> ColumnElement[Any]:
    return func.plainto_tsquery(literal_column("'simple'"), bindparam("search_term", term, unique=True))


def _combine(parts: list[ColumnElement[Any]], operator: str) -> ColumnElement[Any]:
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.op(operator)(part)
    return combined.self_group()


def pg_tsquery(groups: list[list[str]], *, match_all: bool) -> ColumnElement[Any]:
    """The same query as ``fts5_query`` built from ``plainto_tsquery('simple', :term)`` pieces joined by
    ``&&``/``||``: each term is a bound parameter, none is parsed as tsquery syntax."""
    if not match_all:
        return _combine([_tsquery_term(t) for t in or_fallback_terms(groups)], "||")
    clauses = []
    for word, *parts in groups:
        clause = _tsquery_term(word)
        if parts:
            clause = _combine([clause, _combine([_tsquery_term(p) for p in parts], "&&")], "||")
        clauses.append(clause)
    return _combine(clauses, "&&")


@dataclass(frozen=True)
class TextMatch:
    """A search condition over the product table and its score, where a lower score is a better match
    on both databases (SQLite's bm25 is negative-is-better; PostgreSQL's ts_rank is negated).

    ``join`` is ``(table, onclause)`` to join when the dialect keeps its index in a separate table.
    """

    condition: ColumnElement[bool]
    score: ColumnElement[float]
    join: tuple[Any, ColumnElement[bool]] | None = None


def text_match(
    dialect_name: str, id_column: Any, text_column: Any, groups: list[list[str]], *, match_all: bool
) -> TextMatch:
    """Build the match for ``query_groups`` output (AND of groups, or the OR fallback) on ``dialect_name``."""
    if not groups:
        raise ValueError("text_match needs at least one term")
    if dialect_name == "sqlite":
        index = table(FTS_TABLE, column("rowid"))
        match = literal_column(FTS_TABLE).op("MATCH")(
            bindparam("search_query", fts5_query(groups, match_all=match_all), unique=True)
        )
        return TextMatch(
            condition=match,
            score=cast(func.bm25(literal_column(FTS_TABLE)), Float),
            join=(index, index.c.rowid == id_column),
        )
    if dialect_name == "postgresql":
        vector = func.to_tsvector(literal_column("'simple'"), text_column)
        query = pg_tsquery(groups, match_all=match_all)
        return TextMatch(
            condition=vector.op("@@")(query),
            score=cast(-func.ts_rank(vector, query, 1), Float),
        )
    raise NotImplementedError(f"full-text search is not implemented for {dialect_name}")

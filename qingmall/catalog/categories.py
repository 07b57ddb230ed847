"""Category tree rules: at most three levels, no cycles, delete only when empty.

The whole tree is small (tens to hundreds of rows), so rules that need the tree load it in one query.
"""

from __future__ import annotations

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog.cache import invalidate_catalog
from qingmall.catalog.models import Category, Spu
from qingmall.catalog.schemas import CategoryCreate, CategoryNode, CategoryRef, CategoryUpdate
from qingmall.core.errors import Conflict, InvalidInput, NotFound

MAX_DEPTH = 3


async def _tree(session: AsyncSession) -> dict[int, Category]:
    rows = (await session.scalars(select(Category).order_by(Category.sort_order, Category.id))).all()
    return {row.id: row for row in rows}


def _depth(tree: dict[int, Category], category_id: int) -> int:
    """1 for a top-level category; bounded so a corrupt cycle cannot loop forever."""
    depth, current = 0, tree.get(category_id)
    while current is not None and depth <= len(tree):
        depth += 1
        current = tree.get(current.parent_id) if current.parent_id is not None else None
    return depth


def _children(tree: dict[int, Category]) -> dict[int | None, list[Category]]:
    children: dict[int | None, list[Category]] = {}
    for row in tree.values():
        children.setdefault(row.parent_id, []).append(row)
    return children


def _subtree_ids(tree: dict[int, Category], root_id: int) -> list[int]:
    children = _children(tree)
    ids, stack, seen = [], [root_id], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        ids.append(current)
        stack.extend(child.id for child in children.get(current, []))
    return ids


def _height(tree: dict[int, Category], root_id: int) -> int:
    """Levels in the subtree under and including ``root_id``."""
    return max(_depth(tree, i) for i in _subtree_ids(tree, root_id)) - _depth(tree, root_id) + 1


async def get_category(session: AsyncSession, category_id: int) -> Category:
    category = await session.get(Category, category_id)
    if category is None:
        raise NotFound("类目不存在", code="category_not_found")
    return category


async def create_category(session: AsyncSession, data: CategoryCreate) -> Category:
    """Add a category under ``parent_id`` (or at the top); commits."""
    if data.parent_id is not None:
        tree = await _tree(session)
        if data.parent_id not in tree:
            raise InvalidInput("上级类目不存在", code="category_parent_not_found")
        if _depth(tree, data.parent_id) + 1 > MAX_DEPTH:
            raise InvalidInput(f"类目最多 {MAX_DEPTH} 级", code="category_too_deep")
    category = Category(**data.model_dump())
    session.add(category)
    await session.commit()
    await invalidate_catalog()
    return category


async def update_category(session: AsyncSession, category_id: int, data: CategoryUpdate) -> Category:
    """Change the fields sent; moving keeps the tree acyclic and within ``MAX_DEPTH``; commits.

    Renaming re-indexes the products under the category, whose search text carries the category path.
    """
    category = await get_category(session, category_id)
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "icon_url", "sort_order", "is_visible"):
        if field in changes and changes[field] is None:
            raise InvalidInput("字段不能为空", code="invalid_input", details={"field": field})
    tree = await _tree(session)
    if "parent_id" in changes and changes["parent_id"] != category.parent_id:
        parent_id = changes["parent_id"]
        if parent_id is not None:
            if parent_id not in tree:
                raise InvalidInput("上级类目不存在", code="category_parent_not_found")
            if parent_id in _subtree_ids(tree, category_id):
                raise InvalidInput("不能把类目移动到它自己或它的下级类目下", code="category_cycle")
            if _depth(tree, parent_id) + _height(tree, category_id) > MAX_DEPTH:
                raise InvalidInput(f"类目最多 {MAX_DEPTH} 级", code="category_too_deep")
    renamed = "name" in changes and changes["name"] != category.name
    moved = "parent_id" in changes and changes["parent_id"] != category.parent_id
    for field, value in changes.items():
        setattr(category, field, value)
    if renamed or moved:
        from qingmall.catalog.service import refresh_spu  # the product service depends on this module

        await session.flush()
        spu_ids = (
            await session.scalars(select(Spu.id).where(Spu.category_id.in_(_subtree_ids(tree, category_id))))
        ).all()
        for spu_id in spu_ids:
            await refresh_spu(session, spu_id)
    await session.commit()
    await invalidate_catalog()
    return category


async def delete_category(session: AsyncSession, category_id: int) -> None:
    """Delete an empty category; 409 while it has sub-categories or products. Commits.

    One conditional DELETE, so a product added at the same moment cannot be orphaned (the foreign key
    would refuse the delete anyway, which is reported the same way).
    """
    child = Category.__table__.alias("child")
    statement = (
        delete(Category)
        .where(
            Category.id == category_id,
            ~exists().where(child.c.parent_id == Category.id),
            ~exists().where(Spu.category_id == Category.id),
        )
        .execution_options(synchronize_session=False)
    )
    try:
        result = await session.execute(statement)
        await session.commit()
        await invalidate_catalog()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("类目下还有商品，不能删除", code="category_has_products") from exc
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return
    await get_category(session, category_id)
    if await session.scalar(select(exists().where(Category.parent_id == category_id))):
        raise Conflict("类目下还有子类目，不能删除", code="category_has_children")
    raise Conflict("类目下还有商品，不能删除", code="category_has_products")


async def list_categories(session: AsyncSession) -> list[Category]:
    """Every category, hidden ones too, by ``sort_order`` then id (the merchant console)."""
    return list((await _tree(session)).values())


async def visible_tree(session: AsyncSession) -> list[CategoryNode]:
    """The shopper's tree: visible categories nested, siblings by ``sort_order`` then id.

    A hidden category hides everything under it.
    """
    tree = await _tree(session)
    children = _children(tree)

    def build(parent_id: int | None, depth: int) -> list[CategoryNode]:
        if depth > MAX_DEPTH + 1:
            return []
        return [
            CategoryNode(id=c.id, name=c.name, icon_url=c.icon_url, children=build(c.id, depth + 1))
            for c in children.get(parent_id, [])
            if c.is_visible
        ]

    return build(None, 1)


async def category_path(session: AsyncSession, category_id: int) -> list[CategoryRef]:
    """Root-to-leaf names of a category (for breadcrumbs and search text); at most ``MAX_DEPTH`` reads."""
    path: list[CategoryRef] = []
    current = await session.get(Category, category_id)
    while current is not None and len(path) <= MAX_DEPTH:
        path.append(CategoryRef(id=current.id, name=current.name))
        current = await session.get(Category, current.parent_id) if current.parent_id is not None else None
    return list(reversed(path))

"""Product CSV imports: accept a file at once (202), then apply it product by product in a job.

The upload is checked for what makes a whole file unusable (size, encoding, header, row count) and stored
as a ``ProductImport``; a huey job (``jobs.run_product_import``) then applies its products one at a time
through ``catalog.service`` (the same rules as the product editor), each product in its own transaction,
recording progress and per-row errors on the import row.

Crash safety: a worker claims an import with a conditional UPDATE (pending, or running with an expired
lease) that bumps ``attempts``; every later progress write is conditional on that ``attempts`` value, so a
worker that lost its lease stops at its next write. A created product and the progress that counts it are
committed together (the progress UPDATE runs inside ``create_product``'s transaction), so a resumed import
never creates a product twice; updates are idempotent, so one re-applied after a crash changes nothing.
The periodic sweep (``jobs.sweep_product_imports``) resumes imports whose worker died.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall import jobs
from qingmall.catalog import service
from qingmall.catalog.media import Readable
from qingmall.catalog.models import Sku, Spu
from qingmall.catalog.schemas import ProductCreate, ProductUpdate
from qingmall.catalog.transfer import (
    MAX_IMPORT_BYTES,
    CategoryIndex,
    ProductGroup,
    RowError,
    RowsInvalid,
    build_draft,
    category_paths,
    decode_upload,
    group_rows,
    read_rows,
    service_errors,
)
from qingmall.catalog.transfer_models import ProductImport
from qingmall.core import clock
from qingmall.core.errors import AppError, NotFound

log = structlog.get_logger("qingmall.catalog.imports")

LEASE = timedelta(minutes=2)
PENDING_GRACE = timedelta(seconds=30)
MAX_ATTEMPTS = 5
MAX_STORED_ERRORS = 1000
SWEEP_BATCH = 5
GIVEN_UP = "导入多次中断，已停止；可重新上传未完成的商品"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


class LeaseLost(Exception):
    """Another worker took this import over (our lease ran out); stop without writing anything more."""


async def start_import(
    session: AsyncSession, upload: Readable, *, filename: str, staff_id: int | None
) -> ProductImport:
    """Check and store an uploaded CSV, then queue its job; commits. 413/422 for an unusable file."""
    text, encoding = decode_upload(await upload.read(MAX_IMPORT_BYTES + 1))
    rows = read_rows(text)
    job = ProductImport(
        staff_id=staff_id,
        filename=_UNSAFE_NAME.sub("", filename)[:255],
        encoding=encoding,
        status="pending",
        source=text,
        row_count=len(rows),
        total=len(group_rows(rows)),
        errors=[],
    )
    session.add(job)
    await session.commit()
    jobs.schedule_product_import(job.id)
    return job


async def get_import(session: AsyncSession, import_id: int) -> ProductImport:
    job = await session.get(ProductImport, import_id, populate_existing=True)
    if job is None:
        raise NotFound("导入任务不存在", code="import_not_found")
    return job


@dataclass
class _Progress:
    """The import's counters as this worker holds them (written back after every product)."""

    import_id: int
    attempt: int
    staff_id: int | None
    done: int
    created: int
    updated: int
    failed: int
    errors: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""

    def values(self, now: datetime) -> dict[str, Any]:
        return {
            "done": self.done,
            "created": self.created,
            "updated": self.updated,
            "failed": self.failed,
            "lease_until": now + LEASE,
            "message": self.message,
        }


async def _write(session: AsyncSession, progress: _Progress, **values: Any) -> None:
    """Write progress if this worker still holds the import (does not commit); ``LeaseLost`` otherwise."""
    statement = (
        update(ProductImport)
        .where(
            ProductImport.id == progress.import_id,
            ProductImport.attempts == progress.attempt,
            ProductImport.status == "running",
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if (await session.execute(statement)).rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        raise LeaseLost(progress.import_id)


async def _record_failure(session: AsyncSession, progress: _Progress, errors: list[RowError]) -> None:
    await session.rollback()
    room = MAX_STORED_ERRORS - len(progress.errors)
    if len(errors) > room:
        progress.message = f"错误超过 {MAX_STORED_ERRORS} 条，只保留了前 {MAX_STORED_ERRORS} 条"
    progress.errors = progress.errors + [e.as_dict() for e in errors[: max(room, 0)]]
    progress.done += 1
    progress.failed += 1
    await _write(session, progress, **progress.values(clock.now()), errors=progress.errors)
    await session.commit()


async def _apply(session: AsyncSession, progress: _Progress, group: ProductGroup, categories: CategoryIndex) -> None:
    """Apply one product of the file and count it (created, updated or failed)."""
    existing: Spu | None = None
    skus: list[Sku] = []
    if group.spu_id is not None and group.error is None:
        existing = await session.get(Spu, group.spu_id, populate_existing=True)
        skus = list((await session.scalars(select(Sku).where(Sku.spu_id == group.spu_id))).all())
    try:
        draft = build_draft(group, categories, existing, skus)
    except RowsInvalid as exc:
        await _record_failure(session, progress, exc.errors)
        return
    try:
        if isinstance(draft.data, ProductCreate):
            progress_after = {**progress.values(clock.now()), "done": progress.done + 1}
            progress_after["created"] = progress.created + 1
            await _write(session, progress, **progress_after)  # committed by create_product, with the product
            await service.create_product(session, draft.data, progress.staff_id)
            progress.done, progress.created = progress.done + 1, progress.created + 1
            return
        assert existing is not None and isinstance(draft.data, ProductUpdate)
        was_on_shelf = existing.is_on_shelf
        if draft.on_shelf is False and was_on_shelf:
            await service.set_on_shelf(session, existing.id, False)
        await service.update_product(session, existing.id, draft.data, progress.staff_id)
        if draft.on_shelf is True and not was_on_shelf:
            await service.set_on_shelf(session, existing.id, True)
    except AppError as exc:
        await _record_failure(session, progress, service_errors(exc, draft))
        return
    except LeaseLost:
        raise
    except Exception:
        log.exception("product_import_row_failed", import_id=progress.import_id, row=group.rows[0].number)
        message = "处理该商品时出现系统错误，请稍后重新导入该商品"
        await _record_failure(session, progress, [RowError(group.rows[0].number, "", message)])
        return
    progress.done, progress.updated = progress.done + 1, progress.updated + 1
    await _write(session, progress, **progress.values(clock.now()))
    await session.commit()


async def _claim(session: AsyncSession, import_id: int, now: datetime) -> int | None:
    """Take the import if it is pending or its worker's lease ran out; returns this claim's attempt number."""
    claimable = or_(
        ProductImport.status == "pending",
        and_(ProductImport.status == "running", ProductImport.lease_until < now),
    )
    attempt = await session.scalar(
        update(ProductImport)
        .where(ProductImport.id == import_id, claimable, ProductImport.attempts < MAX_ATTEMPTS)
        .values(status="running", attempts=ProductImport.attempts + 1, lease_until=now + LEASE)
        .returning(ProductImport.attempts)
        .execution_options(synchronize_session=False)
    )
    if attempt is None:  # given up after too many interrupted runs
        await session.execute(
            update(ProductImport)
            .where(ProductImport.id == import_id, claimable, ProductImport.attempts >= MAX_ATTEMPTS)
            .values(status="failed", lease_until=None, finished_at=now, message=GIVEN_UP)
            .execution_options(synchronize_session=False)
        )
    await session.commit()
    return attempt


async def run_import(session: AsyncSession, import_id: int) -> bool:
    """Process an import from where it stopped; False if someone else holds it or it is finished."""
    attempt = await _claim(session, import_id, clock.now())
    if attempt is None:
        return False
    job = await get_import(session, import_id)
    progress = _Progress(
        import_id=job.id,
        attempt=attempt,
        staff_id=job.staff_id,
        done=job.done,
        created=job.created,
        updated=job.updated,
        failed=job.failed,
        errors=list(job.errors),
        message=job.message,
    )
    try:
        groups = group_rows(read_rows(job.source))
    except AppError as exc:  # the file was accepted by an older version with other limits
        await _write(session, progress, status="failed", message=exc.message[:255], finished_at=clock.now())
        await session.commit()
        return False
    categories = CategoryIndex(await category_paths(session))
    await session.commit()
    try:
        for group in groups[progress.done :]:
            await _apply(session, progress, group, categories)
        now = clock.now()
        await _write(session, progress, status="done", finished_at=now, lease_until=None, total=len(groups))
        await session.commit()
    except LeaseLost:
        log.warning("product_import_lease_lost", import_id=import_id, attempt=attempt)
        return False
    log.info(
        "product_import_done",
        import_id=import_id,
        created=progress.created,
        updated=progress.updated,
        failed=progress.failed,
    )
    return True


async def sweep_imports(session: AsyncSession) -> int:
    """Resume imports whose job was lost (pending for a while) or whose worker died (lease ran out)."""
    now = clock.now()
    ids = (
        await session.scalars(
            select(ProductImport.id)
            .where(
                or_(
                    and_(ProductImport.status == "pending", ProductImport.created_at < now - PENDING_GRACE),
                    and_(ProductImport.status == "running", ProductImport.lease_until < now),
                )
            )
            .order_by(ProductImport.id)
            .limit(SWEEP_BATCH)
        )
    ).all()
    await session.commit()
    finished = 0
    for import_id in ids:
        finished += await run_import(session, import_id)
    return finished

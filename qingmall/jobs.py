"""Background jobs on huey: order timers and the sweep that repairs lost timers.

The database is the record; jobs only nudge it. ``cancel_unpaid_order`` is scheduled for an order's pay
deadline and ``complete_shipped_order`` for its auto-complete time, right after the commit that set them.
A job can be lost (the process died, the queue was flushed, scheduling failed), so a periodic sweep every
minute cancels and completes whatever is overdue. Both paths go through ``orders.service``, whose
conditional UPDATEs make them idempotent and race-safe with each other and with shoppers.

Backends (``settings.jobs_backend``): ``sqlite`` (a file in the data directory, durable, no server),
``redis`` (``settings.redis_url``), ``memory`` (tests: enqueue, then execute by hand) and ``immediate``
(tests only: the job runs inline, blocking the request's event loop until it finishes).

A job never raises: an order that fails (any exception) is logged with its id and the job returns
``False``; the sweep passes over a failing order and goes on with the rest (``orders.service``), and the
cancel and complete halves of the sweep run independently, so one stuck order never stalls the others.
The next minute's sweep tries again, so nothing is lost and nothing loops.

Tasks are plain sync functions that run the async services with ``asyncio.run`` on a Database of their
own (same URL as the web app's current one, or the settings'), because huey workers are threads with no
event loop and an engine's connections belong to the loop that opened them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import structlog
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.consumer import Consumer
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.core import clock
from qingmall.core.db import Database, get_database
from qingmall.settings import Settings, get_settings

log = structlog.get_logger("qingmall.jobs")
T = TypeVar("T")

_lock = threading.Lock()
_huey: Huey | None = None
_tasks: dict[str, TaskWrapper] = {}
_consumer: Consumer | None = None


# ---- running async services from a worker thread ------------------------------------------------------

def _database_url() -> str:
    try:
        return get_database().url
    except RuntimeError:
        return get_settings().resolved_database_url


async def _with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    database = Database(_database_url(), pool_size=1, max_overflow=1)
    try:
        async with database.sessionmaker() as session:
            return await work(session)
    finally:
        await database.dispose()


def run_service(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work(session)`` to completion from sync code, on a fresh engine.

    Called from a thread that already runs an event loop (huey's ``immediate`` mode inside a request),
    it runs in a helper thread instead, because ``asyncio.run`` cannot nest.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_with_session(work))
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(_with_session(work))
        except BaseException as exc:  # handed back to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="qingmall-job-inline")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


# ---- task bodies ----------------------------------------------------------------------------------------

def _logged(name: str, fallback: T, work: Callable[[AsyncSession], Awaitable[T]], **context: Any) -> T:
    """``run_service(work)``, but a failure is logged (with ``context``) and answered with ``fallback``."""
    try:
        return run_service(work)
    except Exception:
        log.exception("job_failed", task=name, **context)
        return fallback


def cancel_unpaid_order(order_id: int) -> bool:
    """Cancel the order if it is still unpaid past its deadline (a no-op otherwise); False on failure.
    The gateways are asked first, so a payment whose notification never came is applied, not cancelled."""
    from qingmall.orders import service
    from qingmall.payments import tasks as payment_tasks

    async def work(session: AsyncSession) -> bool:
        async def ask(gateways: Any) -> bool:
            async def before_cancel(own: AsyncSession, oid: int) -> bool:
                return await payment_tasks.reconcile_before_cancel(own, gateways, oid)

            return await service.cancel_unpaid_order(session, order_id, now=clock.now(), before_cancel=before_cancel)

        return await payment_tasks.with_gateways(ask)

    return _logged("cancel_unpaid_order", False, work, order_id=order_id)


def complete_shipped_order(order_id: int) -> bool:
    """Complete the order if it is still shipped past its auto-complete time (a no-op otherwise)."""
    from qingmall.orders import service

    return _logged(
        "complete_shipped_order", False,
        lambda session: service.complete_shipped_order(session, order_id, now=clock.now()), order_id=order_id,
    )


def sweep_orders() -> tuple[int, int]:
    """Cancel overdue unpaid orders and complete overdue shipped ones (each half bounded, each failing order
    skipped); returns both counts. A half that fails as a whole (the database is down) counts 0."""
    from qingmall.orders import service
    from qingmall.payments import tasks as payment_tasks

    now = clock.now()

    async def cancel(session: AsyncSession) -> int:
        async def ask(gateways: Any) -> int:
            async def before_cancel(own: AsyncSession, order_id: int) -> bool:
                return await payment_tasks.reconcile_before_cancel(own, gateways, order_id)

            return await service.cancel_expired_orders(session, now, before_cancel=before_cancel)

        return await payment_tasks.with_gateways(ask)

    cancelled = _logged("sweep_orders.cancel", 0, cancel)
    completed = _logged("sweep_orders.complete", 0, lambda session: service.complete_due_orders(session, now))
    return cancelled, completed


def sweep_refunds() -> int:
    """Every minute: record refunds of paid orders the merchant cancelled, resend refunds a gateway did not
    accept, and ask WeChat Pay about refunds whose notification is late; returns refunds touched."""
    from qingmall.payments import refunds
    from qingmall.payments import tasks as payment_tasks

    async def work(session: AsyncSession) -> int:
        async def run(gateways: Any) -> int:
            recorded = await refunds.refund_cancelled_orders(session, gateways)
            return recorded + await payment_tasks.retry_refunds(session, gateways)

        return await payment_tasks.with_gateways(run)

    return _logged("sweep_refunds", 0, work)


def reconcile_payments() -> int:
    """Nightly: the reconciliation report of the previous Beijing day; logs each mismatch, returns how many."""
    from datetime import timedelta

    from qingmall.payments import reconciliation

    day = clock.to_shanghai(clock.now()).date() - timedelta(days=1)

    async def work(session: AsyncSession) -> int:
        report = await reconciliation.build_report(session, day)
        for mismatch in report.mismatches:
            log.error("reconciliation_mismatch", day=str(day), **mismatch.model_dump(exclude={"details"}))
        log.info("reconciliation_done", day=str(day), orders_paid=report.orders_paid,
                 mismatches=len(report.mismatches))
        return len(report.mismatches)

    return _logged("reconcile_payments", -1, work)


def run_product_import(import_id: int) -> bool:
    """Apply an uploaded product CSV (``catalog.transfer_imports``); False if it was not ours to run."""
    from qingmall.catalog import transfer_imports

    return _logged(
        "run_product_import", False, lambda session: transfer_imports.run_import(session, import_id),
        import_id=import_id,
    )


def sweep_product_imports() -> int:
    """Every minute: resume product imports whose job was lost or whose worker died; returns imports finished."""
    from qingmall.catalog import transfer_imports

    return _logged("sweep_product_imports", 0, transfer_imports.sweep_imports)


def purge_login_records() -> int:
    """Daily housekeeping: expired SMS codes, refresh tokens and dead login sessions; returns rows deleted."""
    from qingmall.shoppers.tasks import purge_login_records as purge

    result = run_service(purge)
    return result.sms_codes + result.refresh_tokens + result.sessions


# ---- the huey instance -----------------------------------------------------------------------------------

def _build(settings: Settings) -> Huey:
    backend = settings.jobs_backend
    if backend == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("qingmall", filename=str(settings.data_dir / "jobs.db"), results=False)
    if backend == "redis":
        if not settings.redis_url:
            raise RuntimeError("QINGMALL_JOBS_BACKEND=redis needs QINGMALL_REDIS_URL")
        return RedisHuey("qingmall", url=settings.redis_url, results=False)
    if backend == "memory":
        return MemoryHuey("qingmall", immediate=False, results=False)
    if backend == "immediate":
        return MemoryHuey("qingmall", immediate=True, results=False)
    raise RuntimeError(f"unknown jobs backend {backend!r} (sqlite, redis, memory, immediate)")


def _register(huey: Huey, settings: Settings) -> dict[str, TaskWrapper]:
    minutes = max(1, settings.sweep_interval_seconds // 60)
    return {
        "cancel_unpaid_order": huey.task(name="cancel_unpaid_order")(cancel_unpaid_order),
        "complete_shipped_order": huey.task(name="complete_shipped_order")(complete_shipped_order),
        "sweep_orders": huey.periodic_task(crontab(minute=f"*/{minutes}"), name="sweep_orders")(sweep_orders),
        "purge_login_records": huey.periodic_task(crontab(minute="17", hour="3"), name="purge_login_records")(
            purge_login_records
        ),
        "sweep_refunds": huey.periodic_task(crontab(minute=f"*/{minutes}"), name="sweep_refunds")(sweep_refunds),
        "run_product_import": huey.task(name="run_product_import")(run_product_import),
        "sweep_product_imports": huey.periodic_task(crontab(minute=f"*/{minutes}"), name="sweep_product_imports")(
            sweep_product_imports
        ),
        # 02:30 Beijing time (huey schedules in UTC)
        "reconcile_payments": huey.periodic_task(crontab(minute="30", hour="18"), name="reconcile_payments")(
            reconcile_payments
        ),
    }


def get_huey() -> Huey:
    """The process's huey, built once from settings with every task registered."""
    global _huey, _tasks
    with _lock:
        if _huey is None:
            settings = get_settings()
            huey = _build(settings)
            _tasks = _register(huey, settings)
            _huey = huey
        return _huey


def task(name: str) -> TaskWrapper:
    """A registered task by name (``cancel_unpaid_order``, ``complete_shipped_order``, ``sweep_orders``)."""
    get_huey()
    return _tasks[name]


def reset() -> None:
    """Forget the huey instance (tests that switch backends)."""
    global _huey, _tasks
    with _lock:
        _huey, _tasks = None, {}


# ---- scheduling (after commit; never fails the caller) ---------------------------------------------------

def _schedule(name: str, order_id: int, eta: datetime | None) -> bool:
    if eta is None:
        return False
    try:
        task(name).schedule(args=(order_id,), eta=eta)
    except Exception:
        log.exception("job_schedule_failed", task=name, order_id=order_id)
        return False
    return True


def schedule_order_timeout(order_id: int, eta: datetime | None) -> bool:
    """Cancel ``order_id`` at ``eta`` if still unpaid. Logs and returns False on failure (the sweep repairs)."""
    return _schedule("cancel_unpaid_order", order_id, eta)


def schedule_order_completion(order_id: int, eta: datetime | None) -> bool:
    """Complete ``order_id`` at ``eta`` if still shipped. Logs and returns False on failure."""
    return _schedule("complete_shipped_order", order_id, eta)


def schedule_product_import(import_id: int) -> bool:
    """Queue a product import's job now. Logs and returns False on failure (the sweep picks the import up)."""
    try:
        task("run_product_import")(import_id)
    except Exception:
        log.exception("job_schedule_failed", task="run_product_import", import_id=import_id)
        return False
    return True


# ---- consumers -------------------------------------------------------------------------------------------

class _InProcessConsumer(Consumer):
    """A consumer that leaves signal handling to the web server it lives in."""

    def _set_signal_handlers(self) -> None:
        return None


def run_worker() -> None:
    """``qingmall worker``: a huey consumer with two worker threads and the periodic scheduler."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    get_huey().create_consumer(workers=2, worker_type="thread", periodic=True).run()


def start_inprocess() -> None:
    """Run a consumer on background threads inside the web process (``settings.inprocess_jobs``)."""
    global _consumer
    with _lock:
        if _consumer is not None:
            return
    huey = get_huey()
    if huey.immediate:
        return
    consumer = _InProcessConsumer(huey, workers=2, worker_type="thread", periodic=True, shutdown_timeout=10)
    consumer.start()
    with _lock:
        _consumer = consumer


def stop_inprocess() -> None:
    """Stop the in-process consumer, letting a running job finish (up to 10 s)."""
    global _consumer
    with _lock:
        consumer, _consumer = _consumer, None
    if consumer is not None:
        consumer.stop(graceful=True)

"""``qingmall`` command: serve, worker, migrate, seed-demo, create-staff, sandbox."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from qingmall.settings import get_settings


def migrate() -> None:
    """Bring the database to the latest schema (Alembic ``upgrade head``)."""
    from qingmall.core.migrate import upgrade

    upgrade(get_settings().resolved_database_url)


async def _seed_demo(force: bool) -> bool:
    from qingmall.core.db import Database, set_database
    from qingmall.demo.seed import seed_demo

    database = Database(get_settings().resolved_database_url)
    set_database(database)
    try:
        return await seed_demo(database, force=force)
    finally:
        await database.dispose()


async def _create_staff(username: str, password: str, role: str, display_name: str) -> None:
    from qingmall.core.db import Database
    from qingmall.staff import service

    database = Database(get_settings().resolved_database_url)
    try:
        async with database.sessionmaker() as session:
            staff = await service.create_staff(
                session, username=username, password=password, role=role, display_name=display_name
            )
            print(f"created staff #{staff.id} {staff.username} ({staff.role})")
    finally:
        await database.dispose()


async def _reindex() -> int:
    from qingmall.catalog.service import reindex_all
    from qingmall.core.db import Database

    database = Database(get_settings().resolved_database_url)
    try:
        async with database.sessionmaker() as session:
            return await reindex_all(session)
    finally:
        await database.dispose()


def serve(host: str, port: int, demo: bool, workers: int) -> None:
    import uvicorn

    settings = get_settings()
    problems = settings.problems_for_production()
    if problems:
        sys.exit("拒绝以生产模式启动 / refusing to start in production:\n- " + "\n- ".join(problems))
    settings.port = port
    os.environ["PORT"] = str(port)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate()
    if demo:
        created = asyncio.run(_seed_demo(force=False))
        print("demo shop seeded" if created else "demo shop already present")
    print(f"Qingmall 轻商城 on http://{host}:{port}  (API docs: /docs, health: /healthz)")
    uvicorn.run("qingmall.server:app", host=host, port=port, workers=workers, log_level="info")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="qingmall", description="Qingmall 轻商城")
    sub = parser.add_subparsers(dest="command", required=True)

    p_serve = sub.add_parser("serve", help="migrate and serve the API (and in-process jobs)")
    p_serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p_serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p_serve.add_argument("--workers", type=int, default=1)
    p_serve.add_argument("--demo", action="store_true", help="seed the demo shop once before serving")

    sub.add_parser("worker", help="run the job worker (delayed and periodic jobs)")
    sub.add_parser("migrate", help="upgrade the database schema")
    sub.add_parser("reindex", help="rebuild the product search index (after dictionary changes)")
    p_seed = sub.add_parser("seed-demo", help="create the demo shop (once; --force to add again)")
    p_seed.add_argument("--force", action="store_true")

    p_staff = sub.add_parser("create-staff", help="create a merchant staff account")
    p_staff.add_argument("username")
    p_staff.add_argument("--role", default="owner")
    p_staff.add_argument("--name", default="")
    p_staff.add_argument("--password", default=os.environ.get("QINGMALL_STAFF_PASSWORD", ""))

    p_sandbox = sub.add_parser("sandbox", help="serve the local WeChat sandbox on its own port")
    p_sandbox.add_argument("--host", default="127.0.0.1")
    p_sandbox.add_argument("--port", type=int, default=8900)

    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.host, args.port, args.demo, args.workers)
    elif args.command == "worker":
        from qingmall.jobs import run_worker

        run_worker()
    elif args.command == "migrate":
        migrate()
        print("database is up to date")
    elif args.command == "reindex":
        print(f"reindexed {asyncio.run(_reindex())} products")
    elif args.command == "seed-demo":
        created = asyncio.run(_seed_demo(force=args.force))
        print("demo shop seeded" if created else "demo shop already present (use --force to add again)")
    elif args.command == "create-staff":
        password = args.password or getpass.getpass("password: ")
        try:
            asyncio.run(_create_staff(args.username, password, args.role, args.name))
        except Exception as exc:  # domain errors carry a message meant for people
            print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
            sys.exit(1)
    elif args.command == "sandbox":
        import uvicorn

        from qingmall.sandbox.app import create_sandbox_app

        uvicorn.run(create_sandbox_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()

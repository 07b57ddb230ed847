"""Schema-driven fuzzing of the whole API against a real server: no input may produce a 5xx.

A uvicorn process serves the demo shop (SQLite, and PostgreSQL when configured); schemathesis reads
``/openapi.json`` and throws generated requests (boundary values, wrong types, odd Unicode, stateful
sequences) at every shopper route with a shopper's token and every merchant route with the owner's token.
The seed is fixed so CI is repeatable; set ``QINGMALL_FUZZ_SEED`` / ``QINGMALL_FUZZ_EXAMPLES`` to explore more.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKENDS, PG_URL, PostgresTestDatabase

BIN = Path(sys.executable).parent
SEED = os.environ.get("QINGMALL_FUZZ_SEED", "20261127")
EXAMPLES = os.environ.get("QINGMALL_FUZZ_EXAMPLES", "12")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _schemathesis(base: str, paths: str, token: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(BIN / "st"), "run", f"{base}/openapi.json", "--checks", "not_a_server_error",
            "--max-examples", EXAMPLES, "--seed", SEED, "--workers", "1", "--no-color",
            "--include-path-regex", paths, "--exclude-path-regex", "logout|refresh|password",
            "--header", f"Authorization: Bearer {token}",
        ],
        cwd=workdir, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_no_generated_request_gets_a_server_error(backend, tmp_path):
    env = dict(os.environ)
    port = _free_port()
    server_db = None
    if backend == "postgres":
        server_db = PostgresTestDatabase(PG_URL, suffix="_fuzz")
        asyncio.run(server_db.create_empty())
        env["QINGMALL_DATABASE_URL"] = server_db.url
    else:
        env["QINGMALL_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"
    env.update(
        QINGMALL_DATA_DIR=str(tmp_path), PORT=str(port), QINGMALL_INPROCESS_JOBS="false",
        QINGMALL_JOBS_BACKEND="memory", QINGMALL_SECRET_KEY="fuzz-secret-key-0123456789abcdef0123456789",
    )
    subprocess.run([str(BIN / "qingmall"), "migrate"], env=env, check=True, capture_output=True, timeout=120)
    subprocess.run([str(BIN / "qingmall"), "seed-demo"], env=env, check=True, capture_output=True, timeout=300)
    server = subprocess.Popen(
        [str(BIN / "uvicorn"), "qingmall.server:app", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, "server did not start"
            time.sleep(0.3)
        shopper = httpx.post(f"{base}/api/v1/auth/wechat-login", json={"code": "demo-xiaoming-fuzz"}).json()
        owner_password = next(
            line.split()[1] for line in (tmp_path / "demo-credentials.txt").read_text().splitlines()
            if line.startswith("demo_owner\t")
        )
        owner = httpx.post(
            f"{base}/api/admin/v1/auth/login", json={"username": "demo_owner", "password": owner_password}
        ).json()

        shopper_run = _schemathesis(base, "^/api/v1/", shopper["access_token"], tmp_path)
        admin_run = _schemathesis(base, "^/api/admin/v1/", owner["access_token"], tmp_path)

        assert shopper_run.returncode == 0, shopper_run.stdout[-6000:]
        assert admin_run.returncode == 0, admin_run.stdout[-6000:]
        for run in (shopper_run, admin_run):
            assert " passed" in run.stdout and "generated" in run.stdout
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        if server_db is not None:
            asyncio.run(server_db.drop())

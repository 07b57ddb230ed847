"""Browser tests: Playwright (Python) drives Debian's chromium through the built H5 storefront.

One live server per run (``qingmall serve --demo`` on a free port, SQLite, in-process jobs and the payment
sandboxes, exactly what ``make run`` gives a new user), shared by every browser test on one xdist worker
(the ``browser`` group; ``make test`` runs ``--dist loadgroup``). Each test gets a fresh browser context at a
phone viewport (390x844, 2x, touch, zh-CN) and fails on uncaught page errors, API 5xx answers and failed media
loads. ``QINGMALL_SCREENSHOT_DIR`` (``make screenshots`` sets docs/screenshots) keeps the screenshots the
tests take; otherwise they go to var/test-screenshots/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
H5_DIR = REPO / "frontend" / "storefront" / "dist" / "build" / "h5"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REQUIRE = os.environ.get("QINGMALL_REQUIRE_SERVICES") == "1"
SCREENSHOT_DIR = Path(os.environ.get("QINGMALL_SCREENSHOT_DIR") or REPO / "var" / "test-screenshots")
# settings the unit-test conftest sets for in-process apps; the live server runs with make run's defaults
_TEST_ONLY_ENV = ("QINGMALL_JOBS_BACKEND", "QINGMALL_INPROCESS_JOBS", "QINGMALL_CATALOG_CACHE_SECONDS",
                  "QINGMALL_DATABASE_URL", "QINGMALL_REDIS_URL", "QINGMALL_STOREFRONT_DIR")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.xdist_group("browser"))


def _unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"browser tests are required (QINGMALL_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    log_path: Path

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def last_sms_code(self, phone: str) -> str:
        with self.api() as client:
            messages = client.get("/sandbox/sms/messages", params={"phone": phone}).json()["messages"]
        assert messages, f"no SMS code was sent to {phone}"
        return messages[0]["code"]


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    if not (H5_DIR / "index.html").is_file():
        pytest.fail(f"the H5 storefront is not built at {H5_DIR}: run `make h5` (make test does it)")
    data_dir = Path(tempfile.mkdtemp(prefix="qingmall-browser-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in _TEST_ONLY_ENV}
    env.update(QINGMALL_DATA_DIR=str(data_dir), QINGMALL_STOREFRONT_DIR=str(H5_DIR), PORT=str(port),
               QINGMALL_SANDBOX_REFUND_SECONDS="0")
    log_path = data_dir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "qingmall.cli", "serve", "--demo", "--port", str(port)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # the demo seed renders its pictures on first start
        while True:
            if process.poll() is not None:
                pytest.fail(f"the live server exited:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the live server did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield LiveServer(url=url, data_dir=data_dir, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    """Module-scoped on purpose: Playwright's sync API keeps an asyncio loop running in this thread while it is
    open, which would break every async test that xdist schedules on this worker after the browser module."""
    if not Path(CHROMIUM).exists():
        _unavailable("chromium is not installed (apt-get install chromium fonts-wqy-microhei)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@dataclass
class PageProblems:
    """What went wrong on a page while a test drove it; a clean run has none."""

    errors: list[str] = field(default_factory=list)

    def check(self) -> None:
        assert not self.errors, "problems on the page:\n" + "\n".join(self.errors)


def _watched_page(browser, server: LiveServer, request: pytest.FixtureRequest, **context_options):
    """A page in a fresh context that records uncaught errors, API 5xx and failed media loads; the test fails on
    any of them at teardown, and a failed test leaves a screenshot."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", base_url=server.url, **context_options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = PageProblems()
    page.on("pageerror", lambda error: problems.errors.append(f"uncaught: {error}"))

    def on_response(response) -> None:
        path = response.url.removeprefix(server.url)
        if response.status >= 500 or (path.startswith("/media/") and response.status >= 400):
            problems.errors.append(f"HTTP {response.status} {response.request.method} {path}")

    page.on("response", on_response)
    page.problems = problems
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"failed-{request.node.name}.png"))
    context.close()
    problems.check()


@pytest.fixture
def phone_page(browser, live_server: LiveServer, request: pytest.FixtureRequest):
    """The storefront as a phone shows it: 390x844, 2x, touch."""
    yield from _watched_page(
        browser, live_server, request,
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True,
    )


@pytest.fixture
def desktop_page(browser, live_server: LiveServer, request: pytest.FixtureRequest):
    """The merchant console on an office screen: 1440x900."""
    yield from _watched_page(browser, live_server, request, viewport={"width": 1440, "height": 900})


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report

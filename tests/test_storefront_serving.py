"""The app serves the built H5 storefront at ``/`` without shadowing the API, the sandboxes or media."""

from __future__ import annotations

import gzip

import httpx
import pytest

from qingmall.app import create_app


@pytest.fixture
def built_site(tmp_path):
    site = tmp_path / "h5"
    (site / "assets").mkdir(parents=True)
    shell = '<!doctype html><div id="app"></div><script src="/assets/index-abc123.js"></script>'
    (site / "index.html").write_text(shell)
    (site / "assets" / "index-abc123.js").write_text("console.log('shop')")
    (site / "assets" / "index-abc123.js.gz").write_bytes(gzip.compress(b"console.log('shop')"))
    return site


@pytest.fixture
async def site_client(db, settings, built_site):
    app = create_app(settings.model_copy(update={"storefront_dir": built_site}), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


async def test_the_storefront_shell_is_served_at_the_root_and_always_revalidated(site_client):
    response = await site_client.get("/")
    assert response.status_code == 200
    assert '<div id="app">' in response.text
    assert response.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_cached_for_a_year(site_client):
    response = await site_client.get("/assets/index-abc123.js", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.text == "console.log('shop')"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_the_api_docs_and_health_still_answer_with_the_storefront_mounted(site_client):
    assert (await site_client.get("/healthz")).json()["status"] == "ok"
    assert (await site_client.get("/api/v1/categories")).status_code == 200
    assert (await site_client.get("/openapi.json")).status_code == 200
    missing = await site_client.get("/api/v1/no-such-route")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


async def test_an_unknown_file_is_a_plain_404(site_client):
    response = await site_client.get("/assets/nope.js")
    assert response.status_code == 404


async def test_a_browser_that_accepts_gzip_gets_the_precompressed_copy(site_client):
    zipped = await site_client.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert zipped.text == "console.log('shop')"  # httpx undoes the gzip
    assert zipped.headers["cache-control"] == "public, max-age=31536000, immutable"

    plain = await site_client.get("/assets/index-abc123.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == b"console.log('shop')"
    assert plain.headers["vary"] == "Accept-Encoding"


async def test_a_file_without_a_compressed_copy_is_served_plain(site_client):
    response = await site_client.get("/", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers


async def test_a_route_added_after_the_app_was_built_still_wins_over_the_storefront(db, settings, built_site):
    app = create_app(settings.model_copy(update={"storefront_dir": built_site}), db)

    @app.get("/late-route")
    async def late() -> dict[str, str]:
        return {"late": "yes"}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        assert (await client.get("/late-route")).json() == {"late": "yes"}
        assert (await client.get("/")).status_code == 200
        assert (await client.get("/media/none.png")).json()["code"] == "not_found"


async def test_the_console_is_served_under_its_own_prefix_beside_the_storefront(db, settings, built_site, tmp_path):
    console = tmp_path / "console"
    (console / "assets").mkdir(parents=True)
    (console / "index.html").write_text('<!doctype html><div id="console"></div>')
    (console / "assets" / "app-1a2b.js").write_text("console.log('console')")
    app = create_app(settings.model_copy(update={"storefront_dir": built_site, "console_dir": console}), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        shell = await client.get("/console/")
        assert '<div id="console">' in shell.text and shell.headers["cache-control"] == "no-cache"
        asset = await client.get("/console/assets/app-1a2b.js")
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert (await client.get("/console", follow_redirects=True)).text == shell.text
        assert '<div id="app">' in (await client.get("/")).text  # the storefront keeps the root
        missing = await client.get("/console/assets/none.js")
        assert missing.status_code == 404

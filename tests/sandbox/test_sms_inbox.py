"""The development SMS inbox: codes the console sender "sent" can be read back, and never in production."""

from __future__ import annotations

import httpx
import pytest

from qingmall.app import create_app
from qingmall.settings import Settings
from qingmall.shoppers.sms import ConsoleSmsSender, MemorySmsSender

PHONE = "13800138000"
OTHER = "13900139000"


async def test_a_code_sent_by_sms_can_be_read_back_and_used_to_log_in(client, capsys):
    # given codes sent to two phones through the shopper API (the default console sender)
    assert (await client.post("/api/v1/auth/sms-code", json={"phone": PHONE})).status_code == 200
    assert (await client.post("/api/v1/auth/sms-code", json={"phone": OTHER})).status_code == 200
    assert "138****8000" in capsys.readouterr().out  # still printed to the log as before

    # when the inbox is asked for one phone's messages
    inbox = await client.get("/sandbox/sms/messages", params={"phone": PHONE})

    # then exactly that phone's code comes back
    assert inbox.status_code == 200
    messages = inbox.json()["messages"]
    assert [(m["phone"], len(m["code"]), m["code"].isdigit(), m["sent_at"][-1]) for m in messages] == [
        (PHONE, 6, True, "Z")
    ]
    # and it logs the shopper in
    login = await client.post("/api/v1/auth/sms-login", json={"phone": PHONE, "code": messages[0]["code"]})
    assert login.status_code == 200, login.text
    assert login.json()["shopper"]["phone_masked"] == "138****8000"

    # without a filter every message is listed, newest first; a +86 form of the number finds the same messages
    everything = (await client.get("/sandbox/sms/messages")).json()["messages"]
    assert [m["phone"] for m in everything] == [OTHER, PHONE]
    plus86 = (await client.get("/sandbox/sms/messages", params={"phone": "+86" + PHONE})).json()["messages"]
    assert plus86 == messages
    assert (await client.get("/sandbox/sms/messages", params={"phone": "13700000000"})).json() == {"messages": []}
    bad = await client.get("/sandbox/sms/messages", params={"phone": "1" * 21})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")


async def test_the_inbox_page_shows_masked_phones_and_codes(client):
    empty = await client.get("/sandbox/sms")
    assert empty.status_code == 200 and "还没有短信" in empty.text
    await client.post("/api/v1/auth/sms-code", json={"phone": PHONE})
    code = (await client.get("/sandbox/sms/messages")).json()["messages"][0]["code"]

    page = await client.get("/sandbox/sms")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "短信收件箱" in page.text and "138****8000" in page.text and code in page.text
    assert PHONE not in page.text
    assert "还没有短信" in (await client.get("/sandbox/sms", params={"phone": OTHER})).text


async def test_the_console_sender_keeps_the_last_fifty_messages(capsys):
    sender = ConsoleSmsSender()
    for n in range(55):
        await sender.send_login_code(f"138{n:08d}", f"{n:06d}", 300)
    capsys.readouterr()
    kept = sender.recent_messages()
    assert [m.code for m in kept] == [f"{n:06d}" for n in range(54, 4, -1)]
    assert [m.code for m in sender.recent_messages("13800000054")] == ["000054"]
    assert kept[0].sent_at >= kept[-1].sent_at and kept[0].sent_at.tzinfo is not None


async def test_a_sender_without_an_inbox_says_so(app, client):
    app.state.sms_sender = MemorySmsSender()
    refused = await client.get("/sandbox/sms/messages")
    assert refused.status_code == 409
    assert refused.json()["code"] == "sms_inbox_unavailable"


@pytest.mark.parametrize("path", ["/sandbox/sms", "/sandbox/sms/messages"])
async def test_without_the_sandbox_there_is_no_inbox(db, path):
    app = create_app(Settings(sandbox_enabled=False), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        assert (await client.post("/api/v1/auth/sms-code", json={"phone": PHONE})).status_code == 200
        assert (await client.get(path)).status_code == 404
        assert (await client.get("/sandbox/wechat/sns/jscode2session")).status_code == 404
    assert not any(getattr(route, "path", "").startswith("/sandbox/sms") for route in app.routes)

"""Making shop state for browser tests through the public APIs of the live demo server: a logged-in demo
shopper with money and an address, orders in any state, staff tokens from the demo credentials file."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

from tests.browser.conftest import LiveServer


def staff_password(server: LiveServer, username: str) -> str:
    for line in (server.data_dir / "demo-credentials.txt").read_text().splitlines():
        if line.startswith(f"{username}\t"):
            return line.split("\t")[1]
    raise AssertionError(f"the demo seed wrote no credentials for {username}")


def staff_headers(client: httpx.Client, server: LiveServer, username: str = "demo_owner") -> dict[str, str]:
    answer = client.post(
        "/api/admin/v1/auth/login", json={"username": username, "password": staff_password(server, username)}
    )
    return {"Authorization": f"Bearer {answer.raise_for_status().json()['access_token']}"}


@dataclass
class DemoShopper:
    """The demo shopper 小明, logged in, with a balance and an address, able to make orders in any state."""

    client: httpx.Client
    staff: dict[str, str]
    login: dict
    address_id: int
    sku_id: int
    product_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.login['access_token']}"}

    @classmethod
    def create(cls, client: httpx.Client, server: LiveServer, product_id: int = 6) -> DemoShopper:
        login = client.post("/api/v1/auth/wechat-login", json={"code": f"demo-xiaoming-{uuid.uuid4().hex[:8]}"})
        login.raise_for_status()
        staff = staff_headers(client, server)
        client.post(
            f"/api/admin/v1/shoppers/{login.json()['shopper']['id']}/balance-adjustments",
            headers=staff,
            json={"amount": 500000, "note": "浏览器测试充值"},
        ).raise_for_status()
        me = {"Authorization": f"Bearer {login.json()['access_token']}"}
        product = client.get(f"/api/v1/products/{product_id}").json()
        sku_id = next(sku["id"] for sku in product["skus"] if sku["is_enabled"] and sku["stock"] > 10)
        addresses = client.get("/api/v1/addresses", headers=me).json()
        if not addresses:
            client.post(
                "/api/v1/addresses",
                headers=me,
                json={"recipient_name": "王小明", "phone": "13800138001", "province_code": "310000",
                      "city_code": "310100", "district_code": "310104", "detail": "漕溪北路 88 号"},
            ).raise_for_status()
            addresses = client.get("/api/v1/addresses", headers=me).json()
        return cls(client, staff, login.json(), addresses[0]["id"], sku_id, product_id)

    def place(self) -> str:
        order = self.client.post(
            "/api/v1/orders",
            headers=self.headers,
            json={"items": [{"sku_id": self.sku_id, "quantity": 1}], "address_id": self.address_id,
                  "idempotency_key": f"browser-{uuid.uuid4().hex}"},
        )
        return order.raise_for_status().json()["order_no"]

    def pay(self, order_no: str) -> str:
        self.client.post(f"/api/v1/orders/{order_no}/pay/balance", headers=self.headers).raise_for_status()
        return order_no

    def ship(self, order_no: str) -> str:
        self.client.post(
            f"/api/admin/v1/orders/{order_no}/ship",
            headers=self.staff,
            json={"carrier_code": "SF", "carrier_name": "顺丰速运", "tracking_no": f"SF{uuid.uuid4().hex[:12]}"},
        ).raise_for_status()
        return order_no

    def cancel(self, order_no: str) -> str:
        self.client.post(
            f"/api/v1/orders/{order_no}/cancel", headers=self.headers, json={"reason": "不想要了"}
        ).raise_for_status()
        return order_no

    def ask_refund(self, order_no: str, kind: str = "refund_only") -> str:
        line_id = self.client.get(f"/api/v1/orders/{order_no}", headers=self.headers).json()["lines"][0]["id"]
        self.client.post(
            f"/api/v1/orders/{order_no}/after-sales",
            headers=self.headers,
            json={"kind": kind, "reason_code": "no_longer_needed", "idempotency_key": uuid.uuid4().hex,
                  "lines": [{"order_line_id": line_id, "quantity": 1}]},
        ).raise_for_status()
        return order_no

    def send_return(self, after_sale_no: str) -> str:
        """The shopper posts the parcel back and enters its waybill (after the merchant approved the return)."""
        self.client.post(
            f"/api/v1/after-sales/{after_sale_no}/return-shipping",
            headers=self.headers,
            json={"carrier_code": "YTO", "carrier_name": "圆通速递", "tracking_no": f"YT{uuid.uuid4().hex[:12]}"},
        ).raise_for_status()
        return after_sale_no

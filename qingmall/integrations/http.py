"""The HTTP connection every partner client shares: opened on first use, reopened after ``aclose``.

The transport is injectable so tests run the real client against a sandbox app (``httpx.ASGITransport``);
``trust_env=False`` keeps proxy variables of the host out of calls to payment and WeChat servers.
"""

from __future__ import annotations

import httpx


class PartnerHttp:
    """A lazily opened ``httpx.AsyncClient`` for one partner client."""

    def __init__(
        self, *, transport: httpx.AsyncBaseTransport | None, timeout: httpx.Timeout | float, base_url: str = ""
    ) -> None:
        self._transport = transport
        self._timeout = timeout
        self._base_url = base_url
        self._client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(
                base_url=self._base_url, transport=self._transport, timeout=self._timeout, trust_env=False
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

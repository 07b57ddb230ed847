"""Notifications the payment fakes really POST to a merchant's ``notify_url``, shared by WeChat Pay and Alipay.

``NotificationCourier`` is a base of both sandboxes: one attempt awaited, bounded retries of an unacknowledged
notification in a background task, copies on request (at once or one after another), and every attempt
recorded as a ``DeliveryAttempt`` on the order or trade it concerns. Each fake says how its notifications
travel (``notification_media_type``), what acknowledges one (``acknowledges``: WeChat Pay any 2xx, Alipay the
exact text ``success``) and what a retry sends (``redelivery``: WeChat Pay re-signs the same body, Alipay
sends the same form with the same ``notify_id``).

A delivery never holds a sandbox lock while it waits and opens a client per POST, so in ``make run`` a cashier
request can await a notification that comes back into the same server over a socket without deadlocking.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx
import structlog

from qingmall.core import clock

log = structlog.get_logger("qingmall.sandbox.delivery")

# The gateways retry for about a day (WeChat 15s, 15s, 30s, 3m ... 6h; Alipay 4m, 10m, 10m, 1h ... 6h);
# the fakes keep a backoff but bound it.
DEFAULT_RETRY_DELAYS = (2.0, 5.0, 15.0, 60.0)
DELIVERY_TIMEOUT_SECONDS = 5.0  # both wait about 5 s for the merchant's answer


class OutgoingNotification(Protocol):
    """What a courier POSTs: the body and headers as the gateway sends them, plus what the record notes."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def body(self) -> bytes: ...

    @property
    def event_type(self) -> str: ...

    @property
    def notification_id(self) -> str: ...


@dataclass
class DeliveryAttempt:
    """One POST of a notification to the merchant's ``notify_url`` and what it answered.

    ``status_code`` is ``None`` when there was no answer (network error, timeout); ``reply`` is the start of
    the answer's body (the app's ``{"code", "message"}`` when it refused); ``acknowledged`` follows the
    gateway's rule, under which an unacknowledged notification is sent again.
    """

    event_type: str
    variant: str
    notify_url: str
    at: datetime
    status_code: int | None
    reply: str = ""
    error: str | None = None
    acknowledged: bool = False
    notification_id: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "event_type": self.event_type,
            "variant": self.variant,
            "notify_url": self.notify_url,
            "notification_id": self.notification_id,
            "at": clock.to_shanghai(self.at).isoformat(timespec="seconds"),
            "status_code": self.status_code,
            "acknowledged": self.acknowledged,
            "reply": self.reply,
            "error": self.error,
        }


def delivery_report(variant: str, attempts: list[DeliveryAttempt]) -> dict[str, Any]:
    """The tester's answer to copies sent on request: what the merchant answered to each."""
    return {
        "variant": variant,
        "notify_url": attempts[0].notify_url,
        "event_type": attempts[0].event_type,
        "statuses": [a.status_code for a in attempts],
        "acknowledged": [a.acknowledged for a in attempts],
        "deliveries": [a.as_json() for a in attempts],
    }


class NotificationCourier:
    """Delivers a fake's notifications and keeps its background work (retries, delayed refund completions).

    Settable by whoever runs the fake: ``delivery_transport``, the httpx transport notifications go through
    (``None``: the network; tests route it into the app with ``httpx.ASGITransport``); ``delivery_timeout``;
    ``retry_delays``, the seconds before each retry of a notification the merchant did not acknowledge.
    """

    courier_name = "sandbox"  # prefixes the log events: ``<name>_sandbox_notification_delivered``
    notification_media_type = "application/json"

    def __init__(self) -> None:
        self.delivery_transport: httpx.AsyncBaseTransport | None = None
        self.delivery_timeout = DELIVERY_TIMEOUT_SECONDS
        self.retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
        self._tasks: set[asyncio.Task[Any]] = set()
        self._record_lock = threading.Lock()

    def acknowledges(self, response: httpx.Response) -> bool:
        """Whether the merchant's answer stops further deliveries (WeChat Pay: any 2xx)."""
        return 200 <= response.status_code < 300

    def redelivery(self, notification: Any) -> Any:
        """What a retry sends: by default the very same notification."""
        return notification

    async def post_notification(
        self, url: str, notification: OutgoingNotification, *, variant: str, record: list[DeliveryAttempt]
    ) -> DeliveryAttempt:
        """POST one notification to ``url`` and append what it answered to ``record``. Never raises."""
        headers = {**notification.headers, "Content-Type": self.notification_media_type, "User-Agent": "Mozilla/4.0"}
        noted = {"event_type": notification.event_type, "variant": variant, "notify_url": url}
        # a client per delivery, as the fake serves several event loops (the server's, a job's) and a pooled
        # client belongs to one; an injected transport stays open (its owner closes it)
        http = httpx.AsyncClient(transport=self.delivery_transport, timeout=self.delivery_timeout, trust_env=False)
        try:
            try:
                response = await http.post(url, content=notification.body, headers=headers)
            finally:
                if self.delivery_transport is None:
                    await http.aclose()
            attempt = DeliveryAttempt(
                **noted,
                at=clock.now(),
                status_code=response.status_code,
                reply=response.text[:300],
                acknowledged=self.acknowledges(response),
                notification_id=notification.notification_id,
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # no answer, or a notify_url that is no URL
            error = f"{type(exc).__name__}: {exc}"[:300]
            attempt = DeliveryAttempt(
                **noted, at=clock.now(), status_code=None, error=error, notification_id=notification.notification_id
            )
        with self._record_lock:
            record.append(attempt)
        log.info(
            f"{self.courier_name}_sandbox_notification_delivered",
            **noted,
            status_code=attempt.status_code,
            acknowledged=attempt.acknowledged,
            error=attempt.error,
        )
        return attempt

    async def deliver(
        self, url: str, notification: OutgoingNotification, record: list[DeliveryAttempt]
    ) -> DeliveryAttempt:
        """Deliver as the gateways do: the first attempt now (awaited), and if the merchant did not acknowledge
        it (``acknowledges``, network error, timeout), retries after each of ``retry_delays`` in the background."""
        attempt = await self.post_notification(url, notification, variant="valid", record=record)
        if not attempt.acknowledged and self.retry_delays:
            self.spawn(self._retry(url, notification, record, tuple(self.retry_delays)))
        return attempt

    async def _retry(
        self, url: str, notification: OutgoingNotification, record: list[DeliveryAttempt], delays: tuple[float, ...]
    ) -> None:
        for delay in delays:
            await asyncio.sleep(delay)
            attempt = await self.post_notification(url, self.redelivery(notification), variant="valid", record=record)
            if attempt.acknowledged:
                return
        log.warning(f"{self.courier_name}_sandbox_notification_abandoned", url=url, event_type=notification.event_type)

    async def send_copies(
        self,
        url: str,
        notification: OutgoingNotification,
        *,
        variant: str,
        record: list[DeliveryAttempt],
        times: int,
        concurrently: bool,
    ) -> list[DeliveryAttempt]:
        """POST ``times`` copies of one notification (one id, as a gateway's duplicates are), at once or one
        after another; no retries."""

        def send() -> Coroutine[Any, Any, DeliveryAttempt]:
            return self.post_notification(url, notification, variant=variant, record=record)

        if concurrently:
            return list(await asyncio.gather(*(send() for _ in range(times))))
        return [await send() for _ in range(times)]

    # --- background work -----------------------------------------------------------------------------------

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` on the running event loop, kept referenced until done.

        It lives on the loop of the request that started it: in ``make run`` that is the server's loop; a loop
        that ends first (a job's ``asyncio.run``) takes the work with it, like a notification a gateway gives up.
        """
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(f"{self.courier_name}_sandbox_task_failed", error=repr(task.exception()))

    async def drain(self) -> None:
        """Wait until the background work (including any it starts) is done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel the background work (at shutdown, or at the end of a test)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

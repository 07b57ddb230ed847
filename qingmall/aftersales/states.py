"""The after-sale state machine (售后): one table says which action moves which status where, and who may do it.

::

    pending_review --reject (staff)--> rejected
       |   |
       |   +--withdraw (shopper)--> withdrawn <--withdraw (shopper, before the return is shipped)--+
       |                                                                                          |
    approve (staff)                                                                               |
       v                                                                                          |
    approved -------------------------------------------------------------------------------------+
       |   |
       |   +--start_refund (refund_only: in the same transaction as approve)--+
       |                                                                      |
    submit_return (shopper: carrier + waybill)                                |
       v                                                                      v
    returning --confirm_received (staff; stock goes back)-------------------> refunding --settle--> refunded
                                         (a failed refund stays refunding until the merchant retries it)

``refund_only`` (仅退款) goes from ``approved`` straight on to ``refunding`` in the same transaction;
``return_refund`` (退货退款) waits in ``approved`` for the shopper's return waybill, then in ``returning`` for
the merchant to confirm the goods arrived. ``rejected``, ``withdrawn`` and ``refunded`` are final: after a
rejection the shopper may file a new after-sale. ``pending_review``, ``approved``, ``returning`` and
``refunding`` are open; an order has at most one open after-sale (a partial unique index).

Services apply a transition as ONE conditional ``UPDATE after_sales SET status = :to WHERE id = :id AND
status = :from`` and check the row count. Repeating an action that has already happened (approving an
approved after-sale, even one that has since moved on to refunding) is a no-op reported as ``already``;
anything else the table lacks is a 409 ``invalid_after_sale_state`` with a sentence a person can read.
"""

from __future__ import annotations

from dataclasses import dataclass

from qingmall.core.errors import Conflict

PENDING_REVIEW = "pending_review"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
RETURNING = "returning"
REFUNDING = "refunding"
REFUNDED = "refunded"

STATUSES = (PENDING_REVIEW, APPROVED, REJECTED, WITHDRAWN, RETURNING, REFUNDING, REFUNDED)
OPEN_STATUSES = (PENDING_REVIEW, APPROVED, RETURNING, REFUNDING)
FINAL_STATUSES = (REJECTED, WITHDRAWN, REFUNDED)

STATUS_LABELS = {
    PENDING_REVIEW: "待商家处理",
    APPROVED: "商家已同意",
    REJECTED: "商家已拒绝",
    WITHDRAWN: "已撤销",
    RETURNING: "退货中",
    REFUNDING: "退款中",
    REFUNDED: "退款成功",
}

_STATE_PHRASES = {
    PENDING_REVIEW: "待处理",
    APPROVED: "已同意",
    REJECTED: "已被拒绝",
    WITHDRAWN: "已撤销",
    RETURNING: "退货中",
    REFUNDING: "正在退款",
    REFUNDED: "已退款",
}

REFUND_ONLY = "refund_only"
RETURN_REFUND = "return_refund"
KINDS = (REFUND_ONLY, RETURN_REFUND)
KIND_LABELS = {REFUND_ONLY: "仅退款", RETURN_REFUND: "退货退款"}

APPROVE = "approve"
REJECT = "reject"
WITHDRAW = "withdraw"
SUBMIT_RETURN = "submit_return"
CONFIRM_RECEIVED = "confirm_received"
START_REFUND = "start_refund"
SETTLE_REFUND = "settle_refund"

ACTION_LABELS = {
    APPROVE: "同意",
    REJECT: "拒绝",
    WITHDRAW: "撤销",
    SUBMIT_RETURN: "填写退货物流",
    CONFIRM_RECEIVED: "确认收货",
    START_REFUND: "退款",
    SETTLE_REFUND: "完成退款",
}

# The timeline entry each action writes (plus ``submitted``, ``refund_failed``, ``refund_retried``).
ACTION_EVENTS = {
    APPROVE: "approved",
    REJECT: "rejected",
    WITHDRAW: "withdrawn",
    SUBMIT_RETURN: "return_shipped",
    CONFIRM_RECEIVED: "return_received",
    START_REFUND: "refund_started",
    SETTLE_REFUND: "refunded",
}

SHOPPER = "shopper"
STAFF = "staff"
SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    to_status: str
    actors: frozenset[str]


TRANSITIONS: dict[tuple[str, str], Transition] = {
    (PENDING_REVIEW, APPROVE): Transition(APPROVED, frozenset({STAFF})),
    (PENDING_REVIEW, REJECT): Transition(REJECTED, frozenset({STAFF})),
    (PENDING_REVIEW, WITHDRAW): Transition(WITHDRAWN, frozenset({SHOPPER})),
    (APPROVED, WITHDRAW): Transition(WITHDRAWN, frozenset({SHOPPER})),
    (APPROVED, SUBMIT_RETURN): Transition(RETURNING, frozenset({SHOPPER})),
    (APPROVED, START_REFUND): Transition(REFUNDING, frozenset({SYSTEM})),
    (RETURNING, CONFIRM_RECEIVED): Transition(REFUNDING, frozenset({STAFF})),
    (REFUNDING, SETTLE_REFUND): Transition(REFUNDED, frozenset({SYSTEM})),
}

# Statuses in which an action counts as already done (a repeat is a no-op): its result and what follows.
ALREADY: dict[str, frozenset[str]] = {
    APPROVE: frozenset({APPROVED, RETURNING, REFUNDING, REFUNDED}),
    REJECT: frozenset({REJECTED}),
    WITHDRAW: frozenset({WITHDRAWN}),
    SUBMIT_RETURN: frozenset({RETURNING, REFUNDING, REFUNDED}),
    CONFIRM_RECEIVED: frozenset({REFUNDING, REFUNDED}),
    START_REFUND: frozenset({REFUNDING, REFUNDED}),
    SETTLE_REFUND: frozenset({REFUNDED}),
}

_REFUSALS: dict[tuple[str, str], str] = {
    (APPROVED, REJECT): "售后申请已同意，不能再拒绝",
    (RETURNING, WITHDRAW): "退货已寄出，不能撤销售后申请",
    (REFUNDING, WITHDRAW): "正在退款，不能撤销售后申请",
    (PENDING_REVIEW, SUBMIT_RETURN): "商家同意退货后才能填写退货物流",
    (PENDING_REVIEW, CONFIRM_RECEIVED): "顾客尚未寄回商品，不能确认收货",
    (APPROVED, CONFIRM_RECEIVED): "顾客尚未寄回商品，不能确认收货",
}


class InvalidAfterSaleState(Conflict):
    code = "invalid_after_sale_state"


def refusal(status: str, action: str) -> str:
    return _REFUSALS.get((status, action)) or (
        f"售后申请{_STATE_PHRASES.get(status, status)}，不能{ACTION_LABELS.get(action, action)}"
    )


def resolve(status: str, action: str, actor: str) -> str | None:
    """The status ``action`` by ``actor`` moves ``status`` to; ``None`` when the action has already happened
    (a repeat, reported as ``already``). Raises ``InvalidAfterSaleState`` for anything else."""
    transition = TRANSITIONS.get((status, action))
    if transition is None:
        if status in ALREADY.get(action, ()):
            return None
        raise InvalidAfterSaleState(refusal(status, action), details={"status": status, "action": action})
    if actor not in transition.actors:
        raise InvalidAfterSaleState(refusal(status, action), details={"status": status, "action": action})
    return transition.to_status


# Why the shopper asks (a fixed list, so the merchant can filter and count them).
REASON_LABELS = {
    "no_longer_needed": "不想要了",
    "ordered_by_mistake": "拍错了/多拍了",
    "damaged": "商品破损",
    "quality_issue": "质量问题",
    "not_as_described": "与描述不符",
    "not_received": "未收到货",
    "other": "其他",
}
# Reasons that make no sense for a kind: goods never received cannot be sent back.
REASONS_REFUSED = {RETURN_REFUND: frozenset({"not_received"}), REFUND_ONLY: frozenset()}

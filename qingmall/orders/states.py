"""The order state machine: one table says which action moves which status where, and who may do it.

::

    pending_payment --pay--------> paid --ship--> shipped --complete--> completed
          |                          |               |                      |
          +--cancel--> cancelled <---+               |                      |
                  (merchant only, before shipping;   |                      |
                   marks the order refund_required)  |                      |
                                     |               |                      |
                                     +------ open_after_sale (aftersales) --+
                                                     v
                                                 refunding --close_after_sale--> back to the status it left
                                                     |                           (paid / shipped / completed)
                                                     +--refund_all--> refunded (every unit of every line refunded)

After-sales (``qingmall.aftersales``) drive the lower half through ``AFTER_SALE_TRANSITIONS``, a table of
its own because its moves differ in kind from the shopper/merchant actions above: the actor is always the
after-sales area (acting for the shopper, merchant or payment that moved the after-sale), and closing goes
back to the status remembered in ``orders.status_before_after_sale`` rather than to one fixed status. While
an order is ``refunding`` nothing in ``TRANSITIONS`` applies to it: it cannot be shipped, cancelled or
confirmed, and the auto-complete sweep (which only looks at ``shipped`` orders) leaves it alone.
``refunded`` is terminal.

Services apply a transition as ONE conditional ``UPDATE orders SET status = :to WHERE id = :id AND
status = :from`` and check the row count, so two racing actors (a shopper cancelling while the timeout
sweep cancels, two after-sales opened at once) cannot both win. Repeating an action whose result is
already the current status (cancel twice) is a no-op reported as ``already``; any other action the table
lacks is a 409 with a reason a person can read, e.g. "订单已发货，不能取消".
"""

from __future__ import annotations

from dataclasses import dataclass

from qingmall.core.errors import Conflict

PENDING_PAYMENT = "pending_payment"
PAID = "paid"
SHIPPED = "shipped"
COMPLETED = "completed"
CANCELLED = "cancelled"
REFUNDING = "refunding"
REFUNDED = "refunded"

STATUSES = (PENDING_PAYMENT, PAID, SHIPPED, COMPLETED, CANCELLED, REFUNDING, REFUNDED)
# Statuses only a paid order can be in (a cancelled order may or may not have been paid: see ``paid_at``).
PAID_STATUSES = (PAID, SHIPPED, COMPLETED, REFUNDING, REFUNDED)

STATUS_LABELS = {
    PENDING_PAYMENT: "待付款",
    PAID: "待发货",
    SHIPPED: "待收货",
    COMPLETED: "已完成",
    CANCELLED: "已取消",
    REFUNDING: "售后中",
    REFUNDED: "已退款",
}

# How a status reads inside a refusal: "订单{state}，不能{action}".
_STATE_PHRASES = {
    PENDING_PAYMENT: "未付款",
    PAID: "已付款",
    SHIPPED: "已发货",
    COMPLETED: "已完成",
    CANCELLED: "已取消",
    REFUNDING: "正在退款",
    REFUNDED: "已退款",
}

PAY = "pay"
CANCEL = "cancel"
SHIP = "ship"
COMPLETE = "complete"

ACTION_LABELS = {PAY: "支付", CANCEL: "取消", SHIP: "发货", COMPLETE: "确认收货"}

# The timeline entry each action writes.
ACTION_EVENTS = {PAY: "paid", CANCEL: "cancelled", SHIP: "shipped", COMPLETE: "completed"}

SHOPPER = "shopper"
STAFF = "staff"
SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    to_status: str
    actors: frozenset[str]


TRANSITIONS: dict[tuple[str, str], Transition] = {
    (PENDING_PAYMENT, PAY): Transition(PAID, frozenset({SYSTEM})),
    (PENDING_PAYMENT, CANCEL): Transition(CANCELLED, frozenset({SHOPPER, STAFF, SYSTEM})),
    (PAID, SHIP): Transition(SHIPPED, frozenset({STAFF})),
    (PAID, CANCEL): Transition(CANCELLED, frozenset({STAFF})),
    (SHIPPED, COMPLETE): Transition(COMPLETED, frozenset({SHOPPER, SYSTEM})),
}

# Refusals that deserve more than the generic sentence.
_REFUSALS: dict[tuple[str, str, str | None], str] = {
    (PAID, CANCEL, SHOPPER): "订单已付款，不能直接取消，请联系商家或申请退款",
    (PENDING_PAYMENT, COMPLETE, None): "订单未付款，不能确认收货",
    (PAID, COMPLETE, None): "订单尚未发货，不能确认收货",
}


class InvalidOrderState(Conflict):
    code = "invalid_order_state"


def result_of(action: str) -> str:
    """The status an action leads to (the same from every status it is legal in)."""
    return next(t.to_status for (_, name), t in TRANSITIONS.items() if name == action)


def refusal(status: str, action: str, actor: str | None = None) -> str:
    message = _REFUSALS.get((status, action, actor)) or _REFUSALS.get((status, action, None))
    if message:
        return message
    return f"订单{_STATE_PHRASES.get(status, status)}，不能{ACTION_LABELS.get(action, action)}"


def resolve(status: str, action: str, actor: str) -> str | None:
    """The status ``action`` by ``actor`` moves ``status`` to; ``None`` when it is already there
    (a repeat, to be reported as ``already``). Raises ``InvalidOrderState`` for anything else."""
    transition = TRANSITIONS.get((status, action))
    if transition is None:
        if status == result_of(action):
            return None
        raise InvalidOrderState(refusal(status, action, actor), details={"status": status, "action": action})
    if actor not in transition.actors:
        raise InvalidOrderState(refusal(status, action, actor), details={"status": status, "action": action})
    return transition.to_status


# ---- after-sales -------------------------------------------------------------------------------------------

OPEN_AFTER_SALE = "open_after_sale"
CLOSE_AFTER_SALE = "close_after_sale"
REFUND_ALL = "refund_all"

# The target of CLOSE_AFTER_SALE: the status saved in ``orders.status_before_after_sale`` when it opened.
REMEMBERED = "status_before_after_sale"

# Statuses an after-sale can be opened from (the after-sales area checks the kind and window).
AFTER_SALE_SOURCES = (PAID, SHIPPED, COMPLETED)

AFTER_SALE_TRANSITIONS: dict[tuple[str, str], str] = {
    **{(source, OPEN_AFTER_SALE): REFUNDING for source in AFTER_SALE_SOURCES},
    (REFUNDING, CLOSE_AFTER_SALE): REMEMBERED,
    (REFUNDING, REFUND_ALL): REFUNDED,
}

AFTER_SALE_EVENTS = {
    OPEN_AFTER_SALE: "after_sale_opened",
    CLOSE_AFTER_SALE: "after_sale_closed",
    REFUND_ALL: "refunded",
}

_AFTER_SALE_REFUSALS = {
    (PENDING_PAYMENT, OPEN_AFTER_SALE): "订单未付款，不能申请售后",
    (CANCELLED, OPEN_AFTER_SALE): "订单已取消，不能申请售后",
    (REFUNDING, OPEN_AFTER_SALE): "订单正在售后中，请等当前售后处理完成后再申请",
    (REFUNDED, OPEN_AFTER_SALE): "订单已全部退款，不能再申请售后",
}


def resolve_after_sale(status: str, action: str) -> str:
    """Where an after-sale ``action`` moves an order in ``status`` (``REMEMBERED`` for a close); raises
    ``InvalidOrderState`` when the table lacks the move (no repeats here: the after-sale's own state
    machine decides whether its action was a repeat before it touches the order)."""
    target = AFTER_SALE_TRANSITIONS.get((status, action))
    if target is None:
        phrase = _STATE_PHRASES.get(status, status)
        message = _AFTER_SALE_REFUSALS.get((status, action)) or f"订单{phrase}，售后无法处理"
        raise InvalidOrderState(message, details={"status": status, "action": action})
    return target

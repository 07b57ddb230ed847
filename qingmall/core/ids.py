"""Public identifiers: order numbers that read well on a receipt and never collide in practice."""

from __future__ import annotations

import secrets

from qingmall.core import clock


def new_order_no() -> str:
    """``20261127134501`` (Shanghai time) + 6 random digits: 20 chars, valid as a WeChat Pay out_trade_no."""
    stamp = clock.to_shanghai(clock.now()).strftime("%Y%m%d%H%M%S")
    return f"{stamp}{secrets.randbelow(10**6):06d}"

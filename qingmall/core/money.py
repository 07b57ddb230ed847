"""Money is integer fen end to end. Yuan strings exist only at the edge (display, Alipay).

``allocate`` splits an amount over weights by largest remainder, so parts always add up to the fen:
order discounts are spread over lines this way and partial refunds of lines add up to what was paid.
"""

from __future__ import annotations

from collections.abc import Sequence


def fen_to_yuan(fen: int) -> str:
    """``1999 -> "19.99"``; negative amounts keep their sign."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(yuan: str) -> int:
    """``"19.99" -> 1999``; rejects more than two decimals instead of rounding money silently."""
    text = yuan.strip()
    negative = text.startswith("-")
    if negative:
        text = text[1:]
    whole, _, frac = text.partition(".")
    valid_whole = (whole.isascii() and whole.isdigit()) or (whole == "" and frac != "")
    valid_frac = frac == "" or (frac.isascii() and frac.isdigit() and len(frac) <= 2)
    if not (valid_whole and valid_frac):
        raise ValueError(f"not a yuan amount: {yuan!r}")
    fen = int(whole or "0") * 100 + int((frac + "00")[:2])
    return -fen if negative else fen


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` fen over ``weights`` proportionally, by largest remainder.

    The parts sum to ``amount`` exactly; a zero weight gets zero unless every weight is zero, in which
    case the amount is split evenly. Ties in the remainder go to the earlier weight.
    """
    if amount < 0:
        raise ValueError("amount must not be negative")
    if not weights:
        if amount:
            raise ValueError("cannot allocate a non-zero amount over no weights")
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    total = sum(weights)
    if total == 0:
        weights = [1] * len(weights)
        total = len(weights)
    parts = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    short = amount - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:short]:
        parts[i] += 1
    return parts

"""Kubernetes quantities as numbers, for the few rules that compare them (minimums, shrinking).

Only the forms our spec patterns admit are read: plain or decimal numbers, the binary suffixes
Ki, Mi, Gi, Ti, the decimal suffixes k, M, G, T, and `m` (milli) for CPU.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_SUFFIX: dict[str, Decimal] = {
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "m": Decimal("0.001"),
}

MIN_MEMORY_BYTES = 512 * 2**20
"""Foundry's documented minimum; a smaller limit gets the server OOM-killed while it starts."""


def quantity(text: str) -> Decimal:
    """The value of a quantity in base units (bytes, cores); ValueError on a form we do not admit."""
    for suffix in sorted(_SUFFIX, key=len, reverse=True):
        if text.endswith(suffix):
            number, factor = text[: -len(suffix)], _SUFFIX[suffix]
            break
    else:
        number, factor = text, Decimal(1)
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a quantity") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{text!r} is not a quantity")
    return value * factor

"""How gx spells a float in YAML (``gx.yamlio`` through PyYAML, ``gx.yamlwrite`` without it)."""

from __future__ import annotations

import math


def float_text(value: float) -> str:
    """.nan / .inf / -.inf, else repr with a dot in the mantissa: YAML 1.1 floats need one (1e+20 ->
    1.0e+20), and repr keeps full precision."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + ("e" + exponent if exponent else "")

"""How gx spells and reads a float in YAML (``gx.yamlio`` through PyYAML, ``gx.yamlwrite`` without it)."""

from __future__ import annotations

import math
import re

# PyYAML follows YAML 1.1, where 1e-3 (no dot) is a string; YAML 1.2 and every data scientist
# read it as a float. gx's reader and writers learn it, so a string "1e-3" is quoted when written.
EXPONENT_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$")


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

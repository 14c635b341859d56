"""The one YAML wrapper: C loader when available, insertion order kept, block style.

Every YAML file gx writes goes through ``dump`` so that they all look alike and diff cleanly.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class _GxDumper(_Dumper):  # type: ignore[misc,valid-type]
    pass


def _represent_float(dumper: Any, value: float) -> Any:
    # YAML spells the specials .nan / .inf / -.inf; repr() keeps full precision otherwise.
    if math.isnan(value):
        text = ".nan"
    elif math.isinf(value):
        text = ".inf" if value > 0 else "-.inf"
    else:
        text = repr(value)
        mantissa, _, exponent = text.partition("e")
        if "." not in mantissa:  # YAML 1.1 floats need a dot: 1e+20 -> 1.0e+20
            mantissa += ".0"
        text = mantissa + ("e" + exponent if exponent else "")
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_GxDumper.add_representer(float, _represent_float)


def dump(data: Any) -> str:
    """Serialize to block-style YAML with keys in insertion order and unicode kept as is."""
    return yaml.dump(
        data,
        Dumper=_GxDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )


def load(text: str | bytes) -> Any:
    """Parse YAML safely (no arbitrary objects)."""
    return yaml.load(text, Loader=_Loader)


YAMLError = yaml.YAMLError

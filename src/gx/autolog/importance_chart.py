"""The feature-importance bar chart as PNG bytes, drawn with Pillow (a few milliseconds) rather than
matplotlib (0.16 s to import and render, more than the 5 % autolog may add to a one-second fit)."""

from __future__ import annotations

import functools
import io
from typing import Any

#: Bars drawn (the JSON beside the chart keeps every feature).
MAX_BARS = 30
WIDTH = 560
BAR_HEIGHT = 16
BAR_GAP = 4
TOP = 34
BOTTOM = 40
BAR_COLOR = (76, 114, 176)
INK = (34, 34, 34)
GRID = (210, 210, 210)
MAX_LABEL_CHARS = 28


class PngFigure:
    """What ``gx.log_figure`` needs of a figure (``savefig``), for bytes already encoded as PNG."""

    def __init__(self, png: bytes) -> None:
        self.png = png

    def savefig(self, buf: io.BytesIO, format: str = "png", **_: Any) -> None:
        if format != "png":
            raise ValueError(f"the importance chart is a PNG, not {format!r}")
        buf.write(self.png)


def importance_png(importance_type: str, scores: dict[str, float]) -> bytes:
    """Horizontal bars, largest on top, each labelled with its feature and value."""
    from PIL import Image, ImageDraw

    top = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_BARS]
    font = _font()
    labels = [_short(name) for name, _ in top]
    label_width = max([int(draw_width(font, text)) for text in labels] + [20]) + 12
    left, right = label_width, WIDTH - 70
    height = TOP + len(top) * (BAR_HEIGHT + BAR_GAP) + BOTTOM
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    _text(draw, (WIDTH // 2, 8), f"Feature importance ({importance_type})", font, "mt")
    largest = max([abs(v) for _, v in top] + [0.0]) or 1.0
    axis_bottom = height - BOTTOM + 2
    for i in range(5):
        x = left + (right - left) * i // 4
        draw.line((x, TOP - 2, x, axis_bottom), fill=GRID)
        _text(draw, (x, axis_bottom + 4), _number(largest * i / 4), font, "mt")
    for row, ((_, value), label) in enumerate(zip(top, labels)):
        y = TOP + row * (BAR_HEIGHT + BAR_GAP)
        end = left + int((right - left) * abs(value) / largest)
        draw.rectangle((left, y, max(left, end), y + BAR_HEIGHT), fill=BAR_COLOR)
        _text(draw, (left - 6, y + BAR_HEIGHT // 2), label, font, "rm")
        _text(draw, (end + 4, y + BAR_HEIGHT // 2), _number(value), font, "lm")
    draw.line((left, TOP - 2, left, axis_bottom), fill=INK)
    _text(draw, (WIDTH // 2, height - 14), importance_type, font, "mt")
    out = io.BytesIO()
    # flat colours and anti-aliased text: a 64-colour palette looks the same, is a third of the bytes
    # and encodes faster; zlib level 1 is about as small as the default on such a picture, 4x faster
    image.quantize(64, method=Image.Quantize.FASTOCTREE).save(out, format="PNG", compress_level=1)
    return out.getvalue()


@functools.lru_cache(maxsize=1)
def _font() -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=11)


def draw_width(font: Any, text: str) -> float:
    left, _, right, _ = font.getbbox(text)
    return right - left


def _text(draw: Any, xy: tuple[int, int], text: str, font: Any, anchor: str) -> None:
    """``anchor`` as Pillow's (l/m/r, t/m): Pillow places it for a TrueType font (one rendering, not
    two); a bitmap font (Pillow without FreeType) is placed by the text's box."""
    from PIL import ImageFont

    if isinstance(font, ImageFont.FreeTypeFont):
        draw.text(xy, text, font=font, fill=INK, anchor=anchor)
        return
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x, y = xy
    x -= {"l": left, "m": (left + right) // 2, "r": right}[anchor[0]]
    y -= {"t": top, "m": (top + bottom) // 2}[anchor[1]]
    draw.text((x, y), text, font=font, fill=INK)


def _short(name: str) -> str:
    return name if len(name) <= MAX_LABEL_CHARS else name[:MAX_LABEL_CHARS - 3] + "..."


def _number(value: float) -> str:
    return f"{value:.4g}"

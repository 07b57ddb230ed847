"""Line-art icons for the demo pictures: a phone, earbuds, a nut, a T-shirt ...

Each ``_draw_<kind>`` draws inside a box given in unit coordinates (0..1 mapped onto the box), in a light
``fill`` with details in a darker ``ink``, using Pillow's primitives only. ``draw_icon`` adds a soft
drop shadow. Unknown kinds fall back to a box, so a new product never breaks the seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter

Color = tuple[int, int, int]
Box = tuple[float, float, float, float]


def _mapper(box: Box) -> Callable[[float, float], tuple[float, float]]:
    x0, y0, x1, y1 = box
    return lambda u, v: (x0 + (x1 - x0) * u, y0 + (y1 - y0) * v)


def _rect(d: ImageDraw.ImageDraw, m: Callable, u0: float, v0: float, u1: float, v1: float,
          fill: object, radius: float = 0.0, outline: object = None, width: int = 0) -> None:
    a, b = m(u0, v0), m(u1, v1)
    r = int(radius * (b[0] - a[0]))
    d.rounded_rectangle((*a, *b), radius=r, fill=fill, outline=outline, width=width)


def _ellipse(d: ImageDraw.ImageDraw, m: Callable, u0: float, v0: float, u1: float, v1: float,
             fill: object, outline: object = None, width: int = 0) -> None:
    d.ellipse((*m(u0, v0), *m(u1, v1)), fill=fill, outline=outline, width=width)


def _poly(d: ImageDraw.ImageDraw, m: Callable, points: list[tuple[float, float]], fill: object) -> None:
    d.polygon([m(u, v) for u, v in points], fill=fill)


def _line(d: ImageDraw.ImageDraw, m: Callable, points: list[tuple[float, float]], ink: object, width: int) -> None:
    d.line([m(u, v) for u, v in points], fill=ink, width=width, joint="curve")


def _draw_phone(d, m, fill, ink, w):
    _rect(d, m, 0.28, 0.04, 0.72, 0.96, fill, radius=0.18)
    _rect(d, m, 0.32, 0.12, 0.68, 0.86, ink, radius=0.06)
    _ellipse(d, m, 0.47, 0.06, 0.53, 0.095, ink)
    _rect(d, m, 0.42, 0.9, 0.58, 0.92, ink, radius=0.5)


def _draw_earbuds(d, m, fill, ink, w):
    for left in (0.18, 0.56):
        _ellipse(d, m, left, 0.12, left + 0.26, 0.42, fill)
        _ellipse(d, m, left + 0.07, 0.2, left + 0.17, 0.32, ink)
        _rect(d, m, left + 0.15, 0.32, left + 0.24, 0.86, fill, radius=0.5)


def _draw_headphone(d, m, fill, ink, w):
    d.arc((*m(0.16, 0.1), *m(0.84, 0.9)), 180, 360, fill=fill, width=w * 3)
    for left in (0.1, 0.7):
        _rect(d, m, left, 0.45, left + 0.2, 0.85, fill, radius=0.4)
        _rect(d, m, left + 0.05, 0.52, left + 0.15, 0.78, ink, radius=0.4)


def _draw_charger(d, m, fill, ink, w):
    _rect(d, m, 0.42, 0.06, 0.47, 0.24, fill)
    _rect(d, m, 0.53, 0.06, 0.58, 0.24, fill)
    _rect(d, m, 0.3, 0.22, 0.7, 0.62, fill, radius=0.2)
    _ellipse(d, m, 0.46, 0.38, 0.54, 0.46, ink)
    _line(d, m, [(0.5, 0.62), (0.5, 0.75), (0.35, 0.85), (0.3, 0.95)], fill, w * 2)


def _draw_nut(d, m, fill, ink, w):
    for (cx, cy, r) in ((0.33, 0.6, 0.22), (0.66, 0.62, 0.2), (0.5, 0.36, 0.22)):
        _ellipse(d, m, cx - r, cy - r * 0.8, cx + r, cy + r * 0.8, fill)
        d.arc((*m(cx - r * 0.6, cy - r * 0.6), *m(cx + r * 0.6, cy + r * 0.6)), 200, 340, fill=ink, width=w)


def _draw_cookie(d, m, fill, ink, w):
    _ellipse(d, m, 0.1, 0.1, 0.9, 0.9, fill)
    rng = random.Random(7)
    for _ in range(9):
        u, v = rng.uniform(0.25, 0.7), rng.uniform(0.25, 0.7)
        _ellipse(d, m, u, v, u + 0.07, v + 0.06, ink)


def _draw_fruit(d, m, fill, ink, w):
    _ellipse(d, m, 0.14, 0.22, 0.86, 0.92, fill)
    _line(d, m, [(0.5, 0.26), (0.54, 0.08)], ink, w * 2)
    _poly(d, m, [(0.55, 0.14), (0.72, 0.04), (0.82, 0.12), (0.64, 0.2)], ink)
    _ellipse(d, m, 0.28, 0.36, 0.38, 0.5, ink)


def _draw_bottle(d, m, fill, ink, w):
    _rect(d, m, 0.4, 0.04, 0.6, 0.16, ink, radius=0.2)
    _rect(d, m, 0.43, 0.15, 0.57, 0.26, fill)
    _rect(d, m, 0.27, 0.24, 0.73, 0.96, fill, radius=0.2)
    _rect(d, m, 0.27, 0.5, 0.73, 0.72, ink)


def _draw_lipstick(d, m, fill, ink, w):
    _rect(d, m, 0.33, 0.55, 0.67, 0.96, fill, radius=0.08)
    _rect(d, m, 0.38, 0.38, 0.62, 0.56, fill)
    _poly(d, m, [(0.4, 0.38), (0.4, 0.14), (0.6, 0.04), (0.6, 0.38)], ink)


def _draw_brush(d, m, fill, ink, w):
    _rect(d, m, 0.43, 0.3, 0.57, 0.96, fill, radius=0.5)
    _rect(d, m, 0.45, 0.04, 0.55, 0.32, fill, radius=0.5)
    for i in range(5):
        _rect(d, m, 0.36, 0.06 + i * 0.045, 0.45, 0.085 + i * 0.045, ink)


def _draw_shirt(d, m, fill, ink, w):
    _poly(d, m, [(0.3, 0.1), (0.42, 0.1), (0.5, 0.2), (0.58, 0.1), (0.7, 0.1), (0.95, 0.32), (0.84, 0.46),
                 (0.74, 0.38), (0.74, 0.94), (0.26, 0.94), (0.26, 0.38), (0.16, 0.46), (0.05, 0.32)], fill)
    _line(d, m, [(0.42, 0.1), (0.5, 0.2), (0.58, 0.1)], ink, w)


def _draw_dress(d, m, fill, ink, w):
    _poly(d, m, [(0.38, 0.05), (0.62, 0.05), (0.64, 0.4), (0.86, 0.95), (0.14, 0.95), (0.36, 0.4)], fill)
    _rect(d, m, 0.35, 0.38, 0.65, 0.44, ink)


def _draw_pants(d, m, fill, ink, w):
    _poly(d, m, [(0.26, 0.05), (0.74, 0.05), (0.8, 0.95), (0.56, 0.95), (0.5, 0.35), (0.44, 0.95),
                 (0.2, 0.95)], fill)
    _rect(d, m, 0.26, 0.05, 0.74, 0.12, ink)


def _draw_shoe(d, m, fill, ink, w):
    _poly(d, m, [(0.08, 0.3), (0.35, 0.3), (0.5, 0.48), (0.85, 0.56), (0.95, 0.7), (0.95, 0.78),
                 (0.06, 0.78)], fill)
    _rect(d, m, 0.05, 0.76, 0.96, 0.86, ink, radius=0.03)
    for i in range(3):
        _line(d, m, [(0.3 + i * 0.07, 0.38 + i * 0.04), (0.4 + i * 0.07, 0.36 + i * 0.04)], ink, w)


def _draw_bag(d, m, fill, ink, w):
    d.arc((*m(0.32, 0.04), *m(0.68, 0.44)), 180, 360, fill=fill, width=w * 2)
    _rect(d, m, 0.18, 0.22, 0.82, 0.96, fill, radius=0.14)
    _rect(d, m, 0.3, 0.58, 0.7, 0.86, ink, radius=0.1)


def _draw_suitcase(d, m, fill, ink, w):
    _rect(d, m, 0.42, 0.04, 0.58, 0.2, None, radius=0.2, outline=fill, width=w * 2)
    _rect(d, m, 0.24, 0.16, 0.76, 0.9, fill, radius=0.1)
    for u in (0.38, 0.5, 0.62):
        _line(d, m, [(u, 0.24), (u, 0.82)], ink, w)
    for u in (0.3, 0.66):
        _ellipse(d, m, u, 0.88, u + 0.06, 0.95, ink)


def _draw_box(d, m, fill, ink, w):
    _rect(d, m, 0.12, 0.34, 0.88, 0.92, fill, radius=0.04)
    _rect(d, m, 0.08, 0.22, 0.92, 0.36, fill, radius=0.04)
    _rect(d, m, 0.4, 0.46, 0.6, 0.54, ink, radius=0.4)


def _draw_pot(d, m, fill, ink, w):
    _ellipse(d, m, 0.08, 0.3, 0.78, 0.5, ink)
    d.chord((*m(0.08, 0.1), *m(0.78, 0.86)), 0, 180, fill=fill)
    _rect(d, m, 0.74, 0.36, 0.98, 0.44, fill, radius=0.4)


def _draw_bowl(d, m, fill, ink, w):
    d.chord((*m(0.08, 0.1), *m(0.92, 0.86)), 0, 180, fill=fill)
    _rect(d, m, 0.36, 0.84, 0.64, 0.92, fill, radius=0.3)
    _line(d, m, [(0.18, 0.58), (0.82, 0.58)], ink, w)


def _draw_kettle(d, m, fill, ink, w):
    _poly(d, m, [(0.3, 0.2), (0.62, 0.2), (0.72, 0.9), (0.2, 0.9)], fill)
    _poly(d, m, [(0.28, 0.34), (0.08, 0.22), (0.12, 0.3), (0.26, 0.46)], fill)
    d.arc((*m(0.56, 0.26), *m(0.9, 0.72)), 270, 90, fill=fill, width=w * 2)
    _rect(d, m, 0.38, 0.12, 0.54, 0.2, ink, radius=0.4)


def _draw_bed(d, m, fill, ink, w):
    _rect(d, m, 0.06, 0.2, 0.16, 0.9, fill, radius=0.3)
    _rect(d, m, 0.12, 0.5, 0.94, 0.76, fill, radius=0.1)
    _rect(d, m, 0.18, 0.4, 0.38, 0.52, ink, radius=0.4)
    _rect(d, m, 0.86, 0.6, 0.94, 0.9, fill, radius=0.3)


def _draw_pillow(d, m, fill, ink, w):
    _rect(d, m, 0.08, 0.28, 0.92, 0.72, fill, radius=0.3)
    d.arc((*m(0.2, 0.38), *m(0.8, 0.62)), 200, 340, fill=ink, width=w)


def _draw_baby(d, m, fill, ink, w):
    _ellipse(d, m, 0.42, 0.02, 0.58, 0.16, fill)
    _rect(d, m, 0.34, 0.12, 0.66, 0.22, ink, radius=0.2)
    _rect(d, m, 0.3, 0.2, 0.7, 0.96, fill, radius=0.25)
    for i in range(3):
        _line(d, m, [(0.32, 0.42 + i * 0.14), (0.44, 0.42 + i * 0.14)], ink, w)


def _draw_toy(d, m, fill, ink, w):
    for (u, v, ww) in ((0.12, 0.62, 0.4), (0.5, 0.62, 0.38), (0.3, 0.3, 0.4)):
        _rect(d, m, u, v, u + ww, v + 0.3, fill, radius=0.06)
        for k in range(2):
            su = u + 0.08 + k * (ww - 0.2)
            _rect(d, m, su, v - 0.06, su + 0.1, v + 0.01, ink, radius=0.2)


def _draw_car(d, m, fill, ink, w):
    _poly(d, m, [(0.08, 0.62), (0.14, 0.44), (0.3, 0.42), (0.4, 0.26), (0.68, 0.26), (0.8, 0.44),
                 (0.94, 0.5), (0.94, 0.66), (0.08, 0.66)], fill)
    for u in (0.16, 0.64):
        _ellipse(d, m, u, 0.56, u + 0.22, 0.82, ink)
        _ellipse(d, m, u + 0.07, 0.63, u + 0.15, 0.75, fill)


def _draw_bear(d, m, fill, ink, w):
    _ellipse(d, m, 0.14, 0.1, 0.38, 0.34, fill)
    _ellipse(d, m, 0.62, 0.1, 0.86, 0.34, fill)
    _ellipse(d, m, 0.16, 0.16, 0.84, 0.9, fill)
    _ellipse(d, m, 0.34, 0.42, 0.42, 0.5, ink)
    _ellipse(d, m, 0.58, 0.42, 0.66, 0.5, ink)
    _ellipse(d, m, 0.38, 0.56, 0.62, 0.76, ink)


def _draw_mat(d, m, fill, ink, w):
    _rect(d, m, 0.06, 0.56, 0.76, 0.76, fill, radius=0.04)
    _ellipse(d, m, 0.6, 0.3, 0.96, 0.76, fill)
    _ellipse(d, m, 0.7, 0.42, 0.86, 0.64, ink)


def _draw_dumbbell(d, m, fill, ink, w):
    _rect(d, m, 0.2, 0.46, 0.8, 0.54, fill, radius=0.3)
    for u in (0.06, 0.7):
        _rect(d, m, u, 0.24, u + 0.1, 0.76, fill, radius=0.2)
        _rect(d, m, u + 0.12, 0.32, u + 0.2, 0.68, ink, radius=0.2)


def _draw_rope(d, m, fill, ink, w):
    d.arc((*m(0.16, 0.14), *m(0.84, 0.96)), 0, 180, fill=fill, width=w)
    for u in (0.1, 0.78):
        _rect(d, m, u, 0.12, u + 0.12, 0.52, fill, radius=0.4)
        _rect(d, m, u + 0.03, 0.18, u + 0.09, 0.3, ink, radius=0.4)


def _draw_tent(d, m, fill, ink, w):
    _poly(d, m, [(0.5, 0.08), (0.96, 0.88), (0.04, 0.88)], fill)
    _poly(d, m, [(0.5, 0.36), (0.66, 0.88), (0.34, 0.88)], ink)


def _draw_chair(d, m, fill, ink, w):
    d.chord((*m(0.12, 0.0), *m(0.88, 0.7)), 20, 160, fill=fill)
    _line(d, m, [(0.22, 0.5), (0.8, 0.95)], ink, w * 2)
    _line(d, m, [(0.78, 0.5), (0.2, 0.95)], ink, w * 2)


def _draw_fish(d, m, fill, ink, w):
    _ellipse(d, m, 0.1, 0.26, 0.74, 0.74, fill)
    _poly(d, m, [(0.7, 0.5), (0.96, 0.28), (0.96, 0.72)], fill)
    _ellipse(d, m, 0.22, 0.4, 0.3, 0.48, ink)
    d.arc((*m(0.3, 0.3), *m(0.5, 0.7)), 300, 60, fill=ink, width=w)


def _draw_book(d, m, fill, ink, w):
    _rect(d, m, 0.2, 0.08, 0.8, 0.92, fill, radius=0.05)
    _rect(d, m, 0.2, 0.08, 0.3, 0.92, ink)
    for i in range(3):
        _rect(d, m, 0.4, 0.22 + i * 0.1, 0.7, 0.26 + i * 0.1, ink, radius=0.3)


def _draw_pen(d, m, fill, ink, w):
    _poly(d, m, [(0.72, 0.06), (0.86, 0.2), (0.3, 0.76), (0.16, 0.62)], fill)
    _poly(d, m, [(0.16, 0.62), (0.3, 0.76), (0.1, 0.9)], ink)
    _line(d, m, [(0.62, 0.16), (0.78, 0.32)], ink, w)


def _draw_ball(d, m, fill, ink, w):
    _ellipse(d, m, 0.08, 0.08, 0.92, 0.92, fill)
    d.arc((*m(-0.3, 0.1), *m(0.5, 0.9)), 300, 60, fill=ink, width=w)
    d.arc((*m(0.5, 0.1), *m(1.3, 0.9)), 120, 240, fill=ink, width=w)
    _line(d, m, [(0.08, 0.5), (0.92, 0.5)], ink, w)


ICONS: dict[str, Callable[..., None]] = {
    name.removeprefix("_draw_"): fn for name, fn in globals().items() if name.startswith("_draw_")
}


def draw_icon(image: Image.Image, kind: str, box: Box, fill: Color, ink: Color) -> None:
    """Draw icon ``kind`` (unknown kinds fall back to a box) with a soft drop shadow into ``image``."""
    drawer = ICONS.get(kind, _draw_box)
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    width = max(2, round((box[2] - box[0]) / 40))
    drawer(ImageDraw.Draw(layer), _mapper(box), (*fill, 255), (*ink, 255), width)
    small = (max(1, image.width // 8), max(1, image.height // 8))
    alpha = layer.getchannel("A").resize(small, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(2))
    shadow = alpha.resize(image.size, Image.Resampling.BILINEAR).point(lambda a: a * 35 // 100)
    offset = max(2, image.width // 80)
    image.paste((0, 0, 0), (offset, offset * 2), shadow)
    image.paste(layer, (0, 0), layer)

"""Pictures for the demo shop, drawn with Pillow: no downloads, no stock photos, no licences to track.

Every picture is a function of its inputs (a product, a category, a banner) and an RNG seeded from the
item's key, so two runs give byte-identical files and a re-seed can skip files that already exist.
A product picture is a colour gradient of its category, a few soft circles, a simple line-art icon and,
when a CJK font is installed, the product's short name. Without such a font the text is left out (never
rendered as tofu boxes) and nothing fails.
"""

from __future__ import annotations

import colorsys
import io
import random
import zlib
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from qingmall.demo.data import DemoBanner, DemoCategory, DemoProduct, category_of, icon_of
from qingmall.demo.icons import Box, Color, draw_icon

CJK_FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)

PRODUCT_SIZE = 800
THUMB_SIZE = 400
ICON_SIZE = 160
BANNER_SIZE = (1200, 480)

def find_cjk_font(candidates: tuple[str, ...] = CJK_FONT_PATHS) -> str | None:
    """The first installed font that can draw Chinese, or ``None``."""
    for candidate in candidates:
        path = Path(candidate)
        if not path.is_file():
            continue
        try:
            font = ImageFont.truetype(str(path), 24)
        except OSError:
            continue
        if _draws_chinese(font):
            return str(path)
    return None


def _draws_chinese(font: ImageFont.FreeTypeFont) -> bool:
    """A font without CJK glyphs draws every Chinese character as the same .notdef box."""
    masks = [bytes(font.getmask(ch)) for ch in "坚果手机"]
    return all(masks) and len(set(masks)) == len(masks)


@lru_cache(maxsize=32)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _seed(key: str) -> random.Random:
    return random.Random(zlib.crc32(key.encode()))


def _rgb(hex_color: str) -> Color:
    value = hex_color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _shift_hue(color: Color, degrees: float, lightness: float = 0.0) -> Color:
    h, lum, s = colorsys.rgb_to_hls(*(c / 255 for c in color))
    h = (h + degrees / 360) % 1.0
    lum = min(1.0, max(0.0, lum + lightness))
    r, g, b = colorsys.hls_to_rgb(h, lum, s)
    return round(r * 255), round(g * 255), round(b * 255)


def _ink(color: Color) -> Color:
    """A deep, slightly muted shade of ``color`` for the details of an icon."""
    h, _, sat = colorsys.rgb_to_hls(*(c / 255 for c in color))
    r, g, b = colorsys.hls_to_rgb(h, 0.36, min(sat, 0.6))
    return round(r * 255), round(g * 255), round(b * 255)


def _gradient(size: tuple[int, int], start: Color, end: Color, angle: float) -> Image.Image:
    """A linear gradient at ``angle`` degrees, built from Pillow's C primitives (fast at any size)."""
    ramp = Image.linear_gradient("L").rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    w, h = ramp.size
    ramp = ramp.crop((w * 0.27, h * 0.27, w * 0.73, h * 0.73)).resize(size, Image.Resampling.BILINEAR)
    return ImageOps.colorize(ramp, start, end).convert("RGB")


def _bubbles(image: Image.Image, rng: random.Random, count: int, card: Box | None = None) -> None:
    """Translucent white circles (and an optional rounded card) on one layer, composited once."""
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    w, h = image.size
    for _ in range(count):
        r = rng.uniform(0.06, 0.22) * min(w, h)
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255, rng.randint(18, 48)))
    if card is not None:
        draw.rounded_rectangle(card, radius=w // 14, fill=(255, 255, 255, 60))
    image.paste(layer, (0, 0), layer)


def _fit_font(font_path: str, text: str, max_width: float, start_size: int) -> ImageFont.FreeTypeFont:
    size = start_size
    while size > 12:
        font = _font(font_path, size)
        if font.getlength(text) <= max_width:
            return font
        size -= 4
    return _font(font_path, 12)


def _text(image: Image.Image, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont,
          fill: Color = (255, 255, 255), anchor: str = "mm") -> None:
    draw = ImageDraw.Draw(image)
    shadow = max(1, font.size // 24)
    draw.text((xy[0] + shadow, xy[1] + shadow), text, font=font, fill=(0, 0, 0), anchor=anchor)
    draw.text(xy, text, font=font, fill=fill, anchor=anchor)


def _product_palette(item: DemoProduct) -> tuple[Color, Color, Color]:
    top = category_of(item)
    rng = _seed(item.key)
    shift = rng.uniform(-14, 14)
    start = _shift_hue(_rgb(top.colors[0]), shift)
    end = _shift_hue(_rgb(top.colors[1]), shift)
    return start, end, _ink(start)


def render_product(item: DemoProduct, variant: int = 0, size: int = PRODUCT_SIZE,
                   font_path: str | None = None) -> Image.Image:
    """Variant 0 is the main picture (icon + short name); variant 1 a gallery shot (big icon + selling point)."""
    rng = _seed(f"{item.key}/{variant}")
    start, end, ink = _product_palette(item)
    angle = 135 + 40 * variant + rng.uniform(-10, 10)
    image = _gradient((size, size), start, end, angle)
    s = size
    _bubbles(image, rng, 5, (s * 0.16, s * 0.1, s * 0.84, s * 0.7) if variant == 0 else None)
    if variant == 0:
        draw_icon(image, icon_of(item), (s * 0.27, s * 0.16, s * 0.73, s * 0.64), (255, 255, 255), ink)
    else:
        draw_icon(image, icon_of(item), (s * 0.14, s * 0.08, s * 0.86, s * 0.74), (255, 255, 255), ink)
    if font_path:
        if variant == 0:
            font = _fit_font(font_path, item.short_name, s * 0.8, s // 9)
            _text(image, (s / 2, s * 0.82), item.short_name, font)
            tag = _font(font_path, s // 26)
            _text(image, (s * 0.06, s * 0.05), category_of(item).name, tag, anchor="lt")
        else:
            caption = item.subtitle.split("|")[0].strip() or item.short_name
            font = _fit_font(font_path, caption, s * 0.84, s // 14)
            _text(image, (s / 2, s * 0.86), caption, font)
    else:
        draw = ImageDraw.Draw(image)
        draw.rounded_rectangle((s * 0.3, s * 0.79, s * 0.7, s * 0.84), radius=s // 80, fill=(255, 255, 255))
        draw.rounded_rectangle((s * 0.38, s * 0.87, s * 0.62, s * 0.9), radius=s // 120, fill=ink)
    return image


def render_category_icon(category: DemoCategory, icon: str, name: str, size: int = ICON_SIZE) -> Image.Image:
    """A round badge in the category's colours with its icon (names are shown by the app, not drawn)."""
    start, end = _rgb(category.colors[0]), _rgb(category.colors[1])
    rng = _seed(f"category/{name}")
    start = _shift_hue(start, rng.uniform(-10, 10))
    ink = _ink(start)
    badge = _gradient((size, size), start, end, 120)
    mask = Image.new("L", (size * 4, size * 4), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size * 4 - 1, size * 4 - 1), fill=255)
    mask = mask.resize((size, size), Image.Resampling.LANCZOS)
    draw_icon(badge, icon, (size * 0.22, size * 0.22, size * 0.78, size * 0.78), (255, 255, 255), ink)
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    image.paste(badge, (0, 0), mask)
    return image


def render_banner(banner: DemoBanner, icon: str, size: tuple[int, int] = BANNER_SIZE,
                  font_path: str | None = None) -> Image.Image:
    w, h = size
    rng = _seed(banner.key)
    start, end = _rgb(banner.colors[0]), _rgb(banner.colors[1])
    image = _gradient(size, start, end, 160)
    _bubbles(image, rng, 7)
    draw_icon(image, icon, (w * 0.62, h * 0.12, w * 0.62 + h * 0.76, h * 0.88), (255, 255, 255),
              _ink(start))
    if font_path:
        _text(image, (w * 0.07, h * 0.3), banner.headline, _font(font_path, h // 6), anchor="lm")
        _text(image, (w * 0.07, h * 0.55), banner.caption, _font(font_path, h // 12), anchor="lm")
        pill = _font(font_path, h // 16)
        draw = ImageDraw.Draw(image)
        x, y = w * 0.07, h * 0.72
        label = "立即抢购 ›"
        draw.rounded_rectangle((x, y, x + pill.getlength(label) + h * 0.1, y + h * 0.12), radius=h // 16,
                               fill=(255, 255, 255))
        draw.text((x + h * 0.05, y + h * 0.06), label, font=pill, fill=start, anchor="lm")
    else:
        draw = ImageDraw.Draw(image)
        draw.rounded_rectangle((w * 0.07, h * 0.25, w * 0.45, h * 0.35), radius=h // 30, fill=(255, 255, 255))
        draw.rounded_rectangle((w * 0.07, h * 0.5, w * 0.32, h * 0.56), radius=h // 40, fill=(255, 255, 255))
    return image


def render_review_photo(item: DemoProduct, n: int, size: int = 600) -> Image.Image:
    """A "shopper's photo": the product icon on a lighter, tilted backdrop, so it differs from the listing."""
    rng = _seed(f"review/{item.key}/{n}")
    start, end, ink = _product_palette(item)
    image = _gradient((size, size), _shift_hue(end, 0, 0.12), _shift_hue(start, 0, 0.05), rng.uniform(0, 360))
    _bubbles(image, rng, 3)
    tilt = rng.uniform(-0.06, 0.06)
    draw_icon(image, icon_of(item), (size * (0.2 + tilt), size * 0.18, size * (0.8 + tilt), size * 0.82),
              (255, 255, 255), ink)
    return image


def render_avatar(key: str, nickname: str, size: int = 200, font_path: str | None = None) -> Image.Image:
    """A round avatar: a pastel disc with the nickname's first character (a smiley without a CJK font)."""
    rng = _seed(f"avatar/{key}")
    hue = rng.uniform(0, 360)
    start = _shift_hue((255, 140, 120), hue)
    end = _shift_hue((255, 214, 170), hue)
    image = _gradient((size, size), start, end, rng.uniform(0, 360))
    draw = ImageDraw.Draw(image)
    if font_path and nickname:
        _text(image, (size / 2, size / 2), nickname[0], _font(font_path, size // 2))
    else:
        s = size
        draw.ellipse((s * 0.3, s * 0.32, s * 0.4, s * 0.44), fill=(255, 255, 255))
        draw.ellipse((s * 0.6, s * 0.32, s * 0.7, s * 0.44), fill=(255, 255, 255))
        draw.arc((s * 0.28, s * 0.3, s * 0.72, s * 0.72), 30, 150, fill=(255, 255, 255), width=max(2, s // 30))
    mask = Image.new("L", (size * 4, size * 4), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size * 4 - 1, size * 4 - 1), fill=255)
    rounded = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    rounded.paste(image, (0, 0), mask.resize((size, size), Image.Resampling.LANCZOS))
    return rounded


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def encode_webp(image: Image.Image, size: int | None = None, quality: int = 82) -> bytes:
    """WebP, optionally shrunk so its longer side is ``size`` pixels."""
    if size is not None and max(image.size) > size:
        if max(image.size) == size * 2:
            image = image.reduce(2)
        else:
            ratio = size / max(image.size)
            image = image.resize((round(image.width * ratio), round(image.height * ratio)), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=quality, method=2)
    return buffer.getvalue()


def encode_jpeg(image: Image.Image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


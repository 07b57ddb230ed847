"""Draw the tab-bar icons (81x81 PNG, grey and brand red) into src/static/tab/ and the shop logo
(src/static/logo.png, 192x192: the H5 favicon and home-screen icon).

The mini-program tab bar needs local image files; these are drawn rather than downloaded so the repository
holds their source. Run with the project's venv: ``.venv/bin/python frontend/storefront/scripts/make_tab_icons.py``.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SIZE = 81
SCALE = 4  # draw big, shrink: smooth edges
COLOURS = {"": (153, 153, 153, 255), "-active": (232, 52, 48, 255)}
OUT = Path(__file__).resolve().parent.parent / "src" / "static" / "tab"


def _home(d, c, w):
    d.line([(60, 160), (162, 70), (264, 160)], fill=c, width=w, joint="curve")
    d.rounded_rectangle([(88, 140), (236, 262)], radius=18, outline=c, width=w)
    d.rounded_rectangle([(138, 196), (186, 262)], radius=8, outline=c, width=w)


def _category(d, c, w):
    for x, y in ((62, 62), (176, 62), (62, 176), (176, 176)):
        d.rounded_rectangle([(x, y), (x + 86, y + 86)], radius=20, outline=c, width=w)


def _cart(d, c, w):
    d.line([(40, 70), (84, 70), (112, 206), (250, 206), (274, 104), (96, 104)], fill=c, width=w, joint="curve")
    d.ellipse([(104, 232), (140, 268)], outline=c, width=w)
    d.ellipse([(214, 232), (250, 268)], outline=c, width=w)


def _me(d, c, w):
    d.ellipse([(112, 52), (212, 152)], outline=c, width=w)
    d.arc([(62, 170), (262, 370)], start=180, end=360, fill=c, width=w)
    d.line([(62, 270), (262, 270)], fill=c, width=w)


ICONS = {"home": _home, "category": _category, "cart": _cart, "me": _me}


FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"  # Debian fonts-wqy-microhei


def _logo() -> None:
    big = 192 * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([(0, 0), (big - 1, big - 1)], radius=big // 5, fill=COLOURS["-active"])
    font = ImageFont.truetype(FONT, int(big * 0.62))
    draw.text((big / 2, big / 2), "轻", font=font, fill=(255, 255, 255, 255), anchor="mm")
    image.resize((192, 192), Image.LANCZOS).save(OUT.parent / "logo.png", optimize=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    big = SIZE * SCALE
    for name, draw in ICONS.items():
        for suffix, colour in COLOURS.items():
            image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
            draw(ImageDraw.Draw(image), colour, 22)
            image.resize((SIZE, SIZE), Image.LANCZOS).save(OUT / f"{name}{suffix}.png", optimize=True)
    _logo()


if __name__ == "__main__":
    main()

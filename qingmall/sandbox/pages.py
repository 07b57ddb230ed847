"""The browser side shared by the payment fakes' cashiers (WeChat Pay, Alipay): one phone-sized page skeleton
in Chinese that each gateway dresses in its own colours (``Brand``), the result pages, and the rules for
sending the shopper back to the shop.

Pages are server-rendered HTML without scripts, every text escaped, served with ``SECURITY_HEADERS`` (no
caching, nothing loaded from elsewhere, no framing, no referrer). A shopper is only ever sent back to an
absolute http(s) URL (``http_url``); anything else shows the result page instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal
from urllib.parse import quote, urlsplit

from fastapi import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from qingmall.core.money import fen_to_yuan

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

Tone = Literal["success", "info", "error"]

_LAYOUT = """
*{box-sizing:border-box;margin:0;padding:0}
html{background:var(--page)}
body{font-family:system-ui,-apple-system,"PingFang SC","WenQuanYi Micro Hei",sans-serif;color:#191919;
-webkit-font-smoothing:antialiased}
.phone{max-width:390px;min-height:100vh;margin:0 auto;background:var(--sheet);display:flex;flex-direction:column}
.bar{position:relative;height:48px;display:flex;align-items:center;justify-content:center;background:var(--bar);
color:var(--bar-text);font-size:17px;font-weight:600}
.bar .logo{width:20px;height:20px;border-radius:50%;background:var(--logo);margin-right:8px;position:relative}
.bar .tag{position:absolute;right:12px;font-size:11px;font-weight:400;color:var(--tag);border:1px solid var(--tag);
border-radius:3px;padding:0 4px;line-height:16px}
.summary{background:#fff;padding:40px 24px 36px;text-align:center}
.merchant{font-size:17px}
.desc{margin-top:6px;font-size:14px;color:rgba(0,0,0,.5);word-break:break-all}
.amount{margin-top:22px;font-size:48px;font-weight:600;letter-spacing:-.5px;font-variant-numeric:tabular-nums}
.amount small{font-size:30px;margin-right:4px;font-weight:600}
.details{background:#fff;margin-top:8px;padding:0 24px}
.row{display:flex;justify-content:space-between;gap:16px;padding:14px 0;font-size:14px;
border-top:1px solid rgba(0,0,0,.06)}
.row:first-child{border-top:0}
.row span:first-child{color:rgba(0,0,0,.5);white-space:nowrap}
.row span:last-child{word-break:break-all;text-align:right}
.actions{margin-top:auto;padding:32px 24px 40px}
.pay{display:block;width:100%;height:50px;border:0;border-radius:var(--radius);background:var(--brand);color:#fff;
font:inherit;font-size:17px;font-weight:600;cursor:pointer}
.pay:active{background:var(--brand-active)}
.cancel{display:block;margin-top:14px;padding:10px;text-align:center;color:var(--link);font-size:16px;
text-decoration:none}
.note{margin-top:18px;text-align:center;font-size:12px;color:rgba(0,0,0,.3)}
.result{background:#fff;padding:56px 24px 48px;text-align:center}
.icon{width:64px;height:64px;margin:0 auto 20px;border-radius:50%;position:relative;background:var(--brand)}
.icon.success:after{content:"";position:absolute;left:23px;top:13px;width:14px;height:28px;border:solid #fff;
border-width:0 4px 4px 0;transform:rotate(45deg)}
.icon.info,.icon.error{background:#fa9d3b}
.icon.error{background:#fa5151}
.icon.info:after,.icon.error:after{content:"!";position:absolute;inset:0;color:#fff;font-size:40px;
font-weight:700;line-height:64px}
.result h1{font-size:20px;font-weight:600}
.result p{margin-top:10px;font-size:14px;color:rgba(0,0,0,.5);line-height:1.6}
.result .amount{margin-top:16px;font-size:36px}
.back{display:inline-block;margin-top:28px;color:var(--link);font-size:16px;text-decoration:none}
"""


@dataclass(frozen=True)
class Brand:
    """A gateway's look: its name in the top bar, its colours (the ``--*`` properties ``_LAYOUT`` uses: page,
    sheet, bar, bar-text, logo, tag, brand, brand-active, link, radius) and the mark drawn in its logo."""

    name: str
    colors: str
    logo_mark: str


yuan = fen_to_yuan  # ``2990`` -> ``29.90``, without float rounding


def http_url(value: str | None) -> str | None:
    """``value`` if it is an absolute http(s) URL a browser may be sent to, else ``None``."""
    if not value or len(value) > 2048 or any(ord(ch) < 0x21 or ch in "\\\x7f" for ch in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def document(brand: Brand, title: str, body: str) -> str:
    style = f":root{{{brand.colors}}}\n.bar .logo:after{{{brand.logo_mark}}}{_LAYOUT}"
    return (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">'
        f"<title>{escape(title)}</title><style>{style}</style></head>\n"
        f'<body><div class="phone"><div class="bar"><span class="logo"></span>{escape(brand.name)}'
        f'<span class="tag">沙箱</span></div>\n{body}\n</div></body></html>'
    )


def html(page: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(page, status_code=status_code, headers=SECURITY_HEADERS)


def cashier_page(
    brand: Brand,
    *,
    merchant_name: str,
    description: str,
    amount: int,
    rows: Sequence[tuple[str, str]],
    pay_label: str,
    pay_action: str,
    cancel_href: str,
) -> str:
    """The cashier of one unpaid order: who is paid, for what, how much (fen shown in yuan), the details
    ``rows`` (label, value) and the two buttons."""
    details = "\n".join(f'<div class="row"><span>{escape(k)}</span><span>{escape(v)}</span></div>' for k, v in rows)
    body = f"""<section class="summary">
<div class="merchant">{escape(merchant_name)}</div>
<div class="desc">{escape(description)}</div>
<div class="amount"><small>¥</small>{yuan(amount)}</div>
</section>
<section class="details">
{details}
</section>
<section class="actions">
<form method="post" action="{escape(pay_action)}"><button class="pay" type="submit">{escape(pay_label)}</button></form>
<a class="cancel" href="{escape(cancel_href)}">取消</a>
<p class="note">本地沙箱收银台：确认后立即支付成功，不会产生真实扣款</p>
</section>"""
    return document(brand, f"{brand.name} - {merchant_name}", body)


def message_page(
    brand: Brand, title: str, message: str, *, tone: Tone, amount: int | None = None, back_href: str | None = None
) -> str:
    """A result page: paid, cancelled, or why this link cannot be paid."""
    amount_html = f'<div class="amount"><small>¥</small>{yuan(amount)}</div>' if amount is not None else ""
    back = f'<a class="back" href="{escape(back_href)}">返回商户</a>' if back_href else ""
    body = f"""<section class="result">
<div class="icon {tone}"></div>
<h1>{escape(title)}</h1>{amount_html}
<p>{escape(message)}</p>{back}
</section>"""
    return document(brand, title, body)


def error_page(brand: Brand, status_code: int, message: str) -> HTMLResponse:
    """Why a cashier link cannot be paid, as a page with the matching status (404 unknown, 410 expired...)."""
    titles = {404: "支付链接无效", 410: "支付链接已过期", 409: "无法支付"}
    return html(message_page(brand, titles.get(status_code, "支付失败"), message, tone="error"), status_code)


def already_paid_page(brand: Brand, back_href: str | None = None) -> HTMLResponse:
    paid = message_page(brand, "订单已支付", "该订单已支付，请勿重复支付", tone="info", back_href=back_href)
    return html(paid, 409)


def closed_page(brand: Brand) -> HTMLResponse:
    closed = message_page(brand, "订单已关闭", "商户已关闭该订单，请返回商户页面重新发起支付", tone="error")
    return html(closed, 409)


def cashier_links(request: Request, cashier_path: str, return_param: str) -> tuple[str, str]:
    """The pay action and the cancel link of a cashier, absolute paths under the fake's mount, carrying the
    shop's return address (query parameter ``return_param``) the page was opened with."""
    root = request.scope.get("root_path", "")
    back = request.query_params.get(return_param)
    query = f"?{return_param}={quote(back, safe='')}" if back else ""
    return f"{root}{cashier_path}/pay{query}", f"{root}{cashier_path}/cancel{query}"


def return_target(request: Request, return_param: str) -> str | None:
    """The shop's return address of this request, when it is one a browser may be sent to."""
    return http_url(request.query_params.get(return_param))


def leave(request: Request, return_param: str, page: str) -> Response:
    """Back to the shop (303) when it gave a return address, else ``page``."""
    target = return_target(request, return_param)
    if target is not None:
        return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
    return html(page)


def cancelled(brand: Brand, request: Request, return_param: str) -> Response:
    page = message_page(brand, "已取消支付", "订单未支付，可返回商户页面重新发起支付", tone="info")
    return leave(request, return_param, page)


def json_error(status_code: int, code: str, message: str) -> JSONResponse:
    """A tester route's refusal: the gateway's ``{"code", "message"}``."""
    return JSONResponse({"code": code, "message": message}, status_code=status_code)

"""Shipping rules: template CRUD for the console and fee quotes for checkout.

Fee arithmetic lives in ``shipping.rules`` (pure); this module loads templates and hands them over.
At most one template is the shop default, guaranteed by a partial unique index; the default prices every
product that has no template of its own (and shipping is free when the shop has no default at all).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qingmall.catalog.models import Spu
from qingmall.core.errors import Conflict, NotFound
from qingmall.shipping.models import ShippingTemplate
from qingmall.shipping.rules import ShippingLine, ShippingQuote, TemplateRules, calculate_shipping
from qingmall.shipping.schemas import ShippingTemplateCreate, ShippingTemplatePublic, ShippingTemplateUpdate


async def _product_counts(session: AsyncSession, template_ids: Sequence[int]) -> dict[int, int]:
    if not template_ids:
        return {}
    rows = await session.execute(
        select(Spu.shipping_template_id, func.count())
        .where(Spu.shipping_template_id.in_(template_ids))
        .group_by(Spu.shipping_template_id)
    )
    return {template_id: count for template_id, count in rows.all()}


def _public(template: ShippingTemplate, product_count: int) -> ShippingTemplatePublic:
    return ShippingTemplatePublic.model_validate(template).model_copy(update={"product_count": product_count})


async def _get(session: AsyncSession, template_id: int) -> ShippingTemplate:
    template = await session.get(ShippingTemplate, template_id)
    if template is None:
        raise NotFound("运费模板不存在", code="shipping_template_not_found")
    return template


async def list_templates(session: AsyncSession) -> list[ShippingTemplatePublic]:
    """Every template, the default first, then by id."""
    templates = list(
        (
            await session.scalars(
                select(ShippingTemplate).order_by(ShippingTemplate.is_default.desc(), ShippingTemplate.id)
            )
        ).all()
    )
    counts = await _product_counts(session, [t.id for t in templates])
    return [_public(t, counts.get(t.id, 0)) for t in templates]


async def get_template(session: AsyncSession, template_id: int) -> ShippingTemplatePublic:
    template = await _get(session, template_id)
    counts = await _product_counts(session, [template.id])
    return _public(template, counts.get(template.id, 0))


def _apply(template: ShippingTemplate, data: ShippingTemplateCreate) -> None:
    template.name = data.name
    template.charge_by = data.charge_by
    template.default_rule = data.default_rule.model_dump()
    template.region_rules = [rule.model_dump() for rule in data.region_rules]
    template.free_rules = [rule.model_dump() for rule in data.free_rules]
    template.unshippable_regions = list(data.unshippable_regions)
    template.is_default = data.is_default


async def _save(session: AsyncSession, template: ShippingTemplate) -> ShippingTemplatePublic:
    """Flush, demoting any other default first; a concurrent default change surfaces as a 409."""
    try:
        if template.is_default:
            others = ShippingTemplate.is_default.is_(True)
            if template.id is not None:
                others = others & (ShippingTemplate.id != template.id)
            await session.execute(
                update(ShippingTemplate)
                .where(others)
                .values(is_default=False)
                .execution_options(synchronize_session=False)
            )
        await session.flush()
        template_id = template.id
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("默认运费模板同时被修改，请刷新后重试", code="default_template_conflict") from exc
    return await get_template(session, template_id)


async def create_template(session: AsyncSession, data: ShippingTemplateCreate) -> ShippingTemplatePublic:
    """Create a template (and make it the default when asked); commits."""
    template = ShippingTemplate()
    _apply(template, data)
    session.add(template)
    return await _save(session, template)


async def update_template(
    session: AsyncSession, template_id: int, data: ShippingTemplateUpdate
) -> ShippingTemplatePublic:
    """Replace a template's rules as a whole; commits. Orders already placed keep the fee they were quoted."""
    template = await _get(session, template_id)
    _apply(template, data)
    return await _save(session, template)


async def delete_template(session: AsyncSession, template_id: int) -> None:
    """Delete a template nobody uses; refused (409 ``template_in_use``) while products point at it."""
    template = await _get(session, template_id)
    in_use = (await _product_counts(session, [template_id])).get(template_id, 0)
    if in_use:
        raise Conflict(
            f"有 {in_use} 个商品正在使用该运费模板，请先为它们更换模板",
            code="template_in_use",
            details={"product_count": in_use},
        )
    await session.delete(template)
    await session.commit()


async def load_rules(
    session: AsyncSession, template_ids: Iterable[int | None]
) -> tuple[dict[int, TemplateRules], TemplateRules | None]:
    """The named templates and the shop default, as pure rule values. Does not commit."""
    wanted = {tid for tid in template_ids if tid is not None}
    query = select(ShippingTemplate).where(ShippingTemplate.is_default.is_(True))
    if wanted:
        query = select(ShippingTemplate).where(
            (ShippingTemplate.id.in_(wanted)) | (ShippingTemplate.is_default.is_(True))
        )
    rows = list((await session.scalars(query)).all())
    templates = {row.id: TemplateRules.from_model(row) for row in rows if row.id in wanted}
    default = next((TemplateRules.from_model(row) for row in rows if row.is_default), None)
    return templates, default


async def quote_shipping(
    session: AsyncSession, lines: Sequence[ShippingLine], region_codes: Iterable[str]
) -> ShippingQuote:
    """The shipping fee for checkout lines going to ``region_codes``; unshippable SKUs are listed, not raised.

    Does not commit.
    """
    templates, default = await load_rules(session, (line.template_id for line in lines))
    return calculate_shipping(lines, templates, default, region_codes)

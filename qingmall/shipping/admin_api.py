"""Merchant routes of the shipping area (mounted under /api/admin/v1): shipping templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from qingmall.core.db import SessionDep
from qingmall.shipping import service
from qingmall.shipping.schemas import ShippingTemplateCreate, ShippingTemplatePublic, ShippingTemplateUpdate
from qingmall.staff.deps import require_permission

router = APIRouter(prefix="/shipping-templates", tags=["admin:shipping"])

TemplateId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("", dependencies=[Depends(require_permission("catalog.read"))])
async def list_shipping_templates(session: SessionDep) -> list[ShippingTemplatePublic]:
    return await service.list_templates(session)


@router.get("/{template_id}", dependencies=[Depends(require_permission("catalog.read"))])
async def get_shipping_template(template_id: TemplateId, session: SessionDep) -> ShippingTemplatePublic:
    return await service.get_template(session, template_id)


@router.post("", status_code=201, dependencies=[Depends(require_permission("shipping.write"))])
async def create_shipping_template(body: ShippingTemplateCreate, session: SessionDep) -> ShippingTemplatePublic:
    return await service.create_template(session, body)


@router.put("/{template_id}", dependencies=[Depends(require_permission("shipping.write"))])
async def update_shipping_template(
    template_id: TemplateId, body: ShippingTemplateUpdate, session: SessionDep
) -> ShippingTemplatePublic:
    return await service.update_template(session, template_id, body)


@router.delete(
    "/{template_id}", status_code=204, response_class=Response,
    dependencies=[Depends(require_permission("shipping.write"))],
)
async def delete_shipping_template(template_id: TemplateId, session: SessionDep) -> None:
    await service.delete_template(session, template_id)

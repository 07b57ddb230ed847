"""Merchant route of the analytics area (mounted under /api/admin/v1): the console's dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from qingmall.analytics import queries
from qingmall.analytics.schemas import DashboardDays, DashboardPublic
from qingmall.core.db import SessionDep
from qingmall.staff.deps import require_permission

router = APIRouter(prefix="/dashboard", tags=["admin:analytics"])


@router.get("", dependencies=[Depends(require_permission("reports.read"))], summary="首页看板")
async def get_dashboard(
    session: SessionDep,
    days: Annotated[DashboardDays, Query(description="统计最近几天（北京时间，含今天）：7 或 30")] = 7,
) -> DashboardPublic:
    return await queries.dashboard(session, days)

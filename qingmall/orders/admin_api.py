"""Merchant routes of the orders area (mounted under /api/admin/v1)."""

from fastapi import APIRouter

router = APIRouter(tags=["admin:orders"])

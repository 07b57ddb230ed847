"""Merchant routes of the reviews area (mounted under /api/admin/v1)."""

from fastapi import APIRouter

router = APIRouter(tags=["admin:reviews"])

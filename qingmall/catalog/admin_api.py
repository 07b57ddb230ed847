"""Merchant routes of the catalog area (mounted under /api/admin/v1)."""

from fastapi import APIRouter

router = APIRouter(tags=["admin:catalog"])

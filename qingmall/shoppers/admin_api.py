"""Merchant routes of the shoppers area (mounted under /api/admin/v1)."""

from fastapi import APIRouter

router = APIRouter(tags=["admin:shoppers"])

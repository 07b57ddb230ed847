"""Merchant routes of the inventory area (mounted under /api/admin/v1)."""

from fastapi import APIRouter

router = APIRouter(tags=["admin:inventory"])

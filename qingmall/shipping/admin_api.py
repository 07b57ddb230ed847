"""Merchant routes of the shipping area (mounted under /api/admin/v1)."""

from fastapi import APIRouter

router = APIRouter(tags=["admin:shipping"])

"""Shopper routes of the orders area (mounted under /api/v1)."""

from fastapi import APIRouter

router = APIRouter(tags=["orders"])

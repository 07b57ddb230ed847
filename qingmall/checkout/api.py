"""Shopper routes of the checkout area (mounted under /api/v1)."""

from fastapi import APIRouter

router = APIRouter(tags=["checkout"])

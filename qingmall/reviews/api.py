"""Shopper routes of the reviews area (mounted under /api/v1)."""

from fastapi import APIRouter

router = APIRouter(tags=["reviews"])

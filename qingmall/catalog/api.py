"""Shopper routes of the catalog area (mounted under /api/v1)."""

from fastapi import APIRouter

router = APIRouter(tags=["catalog"])

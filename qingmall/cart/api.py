"""Shopper routes of the cart area (mounted under /api/v1)."""

from fastapi import APIRouter

router = APIRouter(tags=["cart"])

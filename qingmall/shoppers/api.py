"""Shopper routes of the shoppers area (mounted under /api/v1)."""

from fastapi import APIRouter

router = APIRouter(tags=["shoppers"])

"""ASGI entry point for uvicorn: ``qingmall.server:app``."""

from qingmall.app import create_app

app = create_app()

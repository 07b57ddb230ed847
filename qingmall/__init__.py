"""Qingmall (轻商城): a brand's own mall inside WeChat and on H5."""

__version__ = "0.1.0"

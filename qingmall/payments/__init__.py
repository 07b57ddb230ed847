"""Payments: attempts at a gateway, the log of its notifications, and refunds (WeChat Pay in this slice)."""

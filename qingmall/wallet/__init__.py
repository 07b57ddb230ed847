"""Stored value (余额): balance accounts, their ledger, and top-ups paid through a payment channel."""

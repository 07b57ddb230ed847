"""Shared kernel: database and unit of work, money, errors, ids, clock, security, pagination."""

"""Structured logs (structlog): readable lines on a laptop, one JSON object per line in production.

Tracebacks are plain text without local variables: rich tracebacks with locals cost seconds per error
and can print personal data.
"""

from __future__ import annotations

import logging
import sys

import structlog

_configured = False


def configure_logging(*, json_logs: bool, level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    renderer: structlog.typing.Processor
    if json_logs:
        renderer = structlog.processors.JSONRenderer()
        exceptions: list[structlog.typing.Processor] = [structlog.processors.format_exc_info]
    else:
        renderer = structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
        exceptions = []
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *exceptions,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    _configured = True

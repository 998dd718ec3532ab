"""Loggers for websockets that can never leak a token: websockets logs handshake headers at
DEBUG level, Authorization included, on both the server and the client side."""

from __future__ import annotations

import logging


class _RedactAuthorization(logging.Filter):
    """Replace the value of an Authorization header in a log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 2 and str(args[0]).lower() == "authorization":
            record.args = (args[0], "[redacted]")
        return True


def websockets_logger(name: str) -> logging.Logger:
    """A logger to hand to websockets: tokens redacted, and quiet (WARNING) unless someone
    set its level on purpose."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, _RedactAuthorization) for f in logger.filters):
        logger.addFilter(_RedactAuthorization())
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    return logger

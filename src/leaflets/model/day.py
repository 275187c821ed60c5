"""The day a build is made: today, or the day ``SOURCE_DATE_EPOCH`` names (reproducible builds)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from leaflets.errors import UsageError


def build_day() -> date:
    """Today, or the day of ``SOURCE_DATE_EPOCH`` when it is set, so an old build can be made again exactly."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return date.today()
    problem = f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, up to the year 9999, not {epoch[:40]!a}"
    if not (epoch.isascii() and epoch.isdigit()) or len(epoch) > 12:
        raise UsageError(problem)
    try:
        return datetime.fromtimestamp(int(epoch), tz=UTC).date()
    except (OverflowError, OSError, ValueError):
        raise UsageError(problem) from None

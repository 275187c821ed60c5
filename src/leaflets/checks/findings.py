"""What a check finds: a ``Finding`` with its ``Severity``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from leaflets.errors import visible
from leaflets.paths import display_path


class Severity(StrEnum):
    """How much a finding matters: errors always fail ``check``, warnings with --strict, notes never."""

    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """One thing a check found. Errors always fail ``check``; warnings fail it with --strict."""

    subject: str  # the leaflet ("dialysis-fistula-creation [es]") or the file it is about
    message: str
    severity: Severity = Severity.WARNING
    path: Path | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = display_path(self.path) + (f":{self.line}" if self.line else "") + ": " if self.path else ""
        return visible(f"{where}{self.severity}: {self.subject}: {self.message}")

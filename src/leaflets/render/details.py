"""The "For you" details a clinician writes in for one patient, and how typed text becomes them.

Kept apart from the HTML rendering (``html.py`` uses them) so the command line can describe its
options without loading Jinja or Babel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from leaflets.model.characters import scripts_of, undrawable, unprintable


def _detail(help: str, limit: int | None = None) -> Any:
    return field(default=None, metadata={"help": help, "limit": limit})


@dataclass(frozen=True)
class PatientDetails:
    """What a clinician writes in for one patient. Never logged, cached or kept.

    Its fields are the command line's options (``--patient-name`` ...), the web form's
    fields and, for text, their length limits.
    """

    patient_name: str | None = _detail("the patient's name", 120)
    appointment: datetime | None = _detail('date and time, as "YYYY-MM-DD HH:MM"')
    location: str | None = _detail("where to go", 200)
    bring: str | None = _detail("what to bring", 300)
    note: str | None = _detail("a note for the patient", 500)

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    def __repr__(self) -> str:  # keeps patient details out of tracebacks and logs
        return "PatientDetails(<redacted>)"

    @classmethod
    def text_limits(cls) -> dict[str, int]:
        """The free-text fields and the most characters each may hold."""
        return {f.name: f.metadata["limit"] for f in fields(cls) if f.metadata["limit"] is not None}

    @classmethod
    def helps(cls) -> dict[str, str]:
        return {f.name: f.metadata["help"] for f in fields(cls)}

    def texts(self) -> dict[str, str]:
        """The free-text details that were filled in."""
        return {name: getattr(self, name) for name in self.text_limits() if getattr(self, name)}


NO_PATIENT = PatientDetails()  # no patient details: a leaflet for anyone


class PersonalError(ValueError):
    """A "For you" field that cannot be used. Names the field and the problem, never the value."""

    def __init__(self, field: str, problem: str, limit: int = 0, scripts: str = ""):
        super().__init__(f"{field}: {problem}")
        self.field, self.problem, self.limit, self.scripts = field, problem, limit, scripts


MULTILINE = frozenset({"note"})  # printed line by line, as typed; every other detail is one line
MAX_NOTE_LINES = 6
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x85\x0b\x0c]")


def parse_personal(typed: dict[str, str | None], fonts: Path | None = None) -> PatientDetails:
    """The "For you" details from text fields; the appointment is "YYYY-MM-DD HH:MM".

    Text is refused if it holds a character that would hide, reorder or cut it, or, given the
    ``fonts`` folder, one that no shipped font can draw: it would print as an empty box.
    """
    values: dict[str, Any] = {}
    for name, limit in PatientDetails.text_limits().items():
        value = (typed.get(name) or "").strip()
        if name in MULTILINE:
            value = _LINE_BREAKS.sub("\n", value)
            if value.count("\n") >= MAX_NOTE_LINES:
                raise PersonalError(name, "lines", MAX_NOTE_LINES)
        if len(value) > limit:
            raise PersonalError(name, "too_long", limit)
        if unprintable(value, newlines=name in MULTILINE):
            raise PersonalError(name, "control")
        if fonts is not None and (missing := undrawable(value, fonts)):
            raise PersonalError(name, "glyph", scripts=scripts_of(missing))
        values[name] = value or None
    appointment = (typed.get("appointment") or "").strip()
    try:
        values["appointment"] = datetime.strptime(appointment, "%Y-%m-%d %H:%M") if appointment else None
    except ValueError:
        raise PersonalError("appointment", "datetime") from None
    return PatientDetails(**values)

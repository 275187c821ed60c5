"""Structure, after PEMAT: the main message first, help with a phone number, a checklist, urgent signs,
and "do not" pictures beside unconditional text."""

from __future__ import annotations

import re

from leaflets.checks.findings import Finding
from leaflets.model.clinic import Clinic
from leaflets.model.record import Procedure


def structure_findings(procedure: Procedure, clinic: Clinic) -> list[Finding]:
    """PEMAT-style checks: the main message first, help with a phone number, a checklist, urgent signs."""
    subject, found = procedure.id, []
    if len(procedure.summary.split()) < 5:
        found.append(Finding(subject, "the main message (summary) is too short to stand on its own"))
    if not clinic.phones.daytime or not clinic.emergency:
        found.append(Finding(subject, "'when to get help' needs the clinic's phone number and the emergency number"))
    if len(procedure.preparation) < 2:
        found.append(Finding(subject, "preparation should be a checklist of at least two steps"))
    if not procedure.when_to_get_help.urgent or not procedure.when_to_get_help.call_us:
        found.append(Finding(subject, "'when to get help' needs both urgent signs and reasons to call"))
    return found + conditional_prohibitions(procedure)


def _first_sentence(text: str) -> str:
    """The instruction a pictogram stands for; later sentences may add conditions of their own."""
    return re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]


PROHIBITIONS = {"no-food-drink": "do not eat or drink", "no-driving": "do not drive"}
_CONDITIONAL = re.compile(r"\b(if|unless|may|might|or as)\b", re.IGNORECASE)


def conditional_prohibitions(procedure: Procedure) -> list[Finding]:
    """A "do not" pictogram says so without condition: the text beside it must too (review: FIS:23-24)."""
    found = []
    for section in ("preparation", "recovery"):
        for index, item in enumerate(getattr(procedure, section)):
            text = item.text if isinstance(item.text, str) else item.text.other
            if item.pictogram in PROHIBITIONS and (word := _CONDITIONAL.search(_first_sentence(text))):
                found.append(Finding(procedure.id, f"{section}[{index + 1}]: the '{item.pictogram}' picture says "
                                     f"'{PROHIBITIONS[item.pictogram]}' without condition, but the text beside it is "
                                     f"conditional ('{word[0]}'); drop the picture or make the text a plain instruction"))
    return found

"""Advice that must not contradict itself or leave a patient stuck (issue 24).

Each check reads a record with its shared blocks merged, and the word lists under ``advice:`` in
content/red_flags.yaml, so it catches the kind of mistake, not one sentence:

- a printed plan to stop a medicine on a given day, for a medicine the record says its patients keep
  taking (``keep_taking``);
- a "call us" sign of infection that does not say what to do when the clinic cannot be reached.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from leaflets.checks.findings import Finding, Severity
from leaflets.checks.triage import phrase_matches
from leaflets.model.clinic import AdviceWords
from leaflets.model.record import MedicineKind, Procedure


def any_matches(phrases: list[str], text: str) -> bool:
    return any(phrase_matches(phrase, text) for phrase in phrases)


def printed_items(procedure: Procedure) -> Iterator[tuple[str, str]]:
    """(where, English text) of each checklist, recovery and how-to item a leaflet prints."""
    for section in ("preparation", "recovery"):
        for index, item in enumerate(getattr(procedure, section)):
            yield f"{section}[{index + 1}]", item.text if isinstance(item.text, str) else item.text.other
    for guide in procedure.how_to:
        for index, step in enumerate(guide.steps):
            yield f"how_to '{guide.title}' step {index + 1}", step.text if isinstance(step.text, str) else step.text.other


def sentences(text: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.!?])\s+", text.strip()) if part]


def stops_kept_medicine(text: str, keep_taking: Sequence[MedicineKind], words: AdviceWords) -> str | None:
    """The kept kind of medicine ``text`` plans to stop, if it does: one of its sentences is a stop plan,
    and the item names that kind (or blood thinners in general) and no kind the record stops."""
    if not any(any_matches(words.stop_plan, sentence) for sentence in sentences(text)):
        return None
    if any(any_matches(phrases, text) for kind, phrases in words.medicines.items() if kind not in keep_taking):
        return None
    named = [kind for kind in keep_taking if any_matches(words.medicines.get(kind, []), text)]
    if named:
        return named[0]
    return keep_taking[0] if any_matches(words.any_blood_thinner, text) else None


def stop_plan_contradictions(procedure: Procedure, words: AdviceWords) -> list[str]:
    """Each printed item that plans to stop a medicine the record keeps taking."""
    if not procedure.keep_taking:
        return []
    kept = ", ".join(procedure.keep_taking)
    return [f"{where}: plans a day to stop {kind}, but the record keeps them (keep_taking: {kept}); "
            "say to keep taking them, or name the medicines that stop"
            for where, text in printed_items(procedure)
            if (kind := stops_kept_medicine(text, procedure.keep_taking, words))]


def infection_without_escalation(procedure: Procedure, words: AdviceWords) -> list[str]:
    """Each "call us" sign of infection that does not say what to do when the clinic cannot be reached."""
    return [f"when_to_get_help.call_us[{index + 1}]: a sign of infection with no step for when we cannot be reached "
            "or the patient feels very unwell (add, for example: 'If you cannot reach us, or you feel very unwell, "
            "go to the emergency room.')"
            for index, item in enumerate(procedure.when_to_get_help.call_us)
            if isinstance(item.text, str) and any_matches(words.infection, item.text)
            and not any_matches(words.escalation, item.text)]


def advice_findings(procedure: Procedure, words: AdviceWords, path: Path) -> list[Finding]:
    """Errors for advice that contradicts the record's keep_taking, or leaves an infection sign without escalation."""
    messages = stop_plan_contradictions(procedure, words) + infection_without_escalation(procedure, words)
    return [Finding(procedure.id, message, Severity.ERROR, path) for message in messages]

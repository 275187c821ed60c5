"""Numbers, sources and risks: a number names its source; a risk says how often it happens."""

from __future__ import annotations

import re

from leaflets.checks.findings import Finding, Severity
from leaflets.model.clinic import Clinic
from leaflets.model.walk import sourced_strings
from leaflets.model.yamlfile import Location, YamlDocument, dotted

# "one" is left out: "no one", "the right one", "one small hole" are rarely a claim to source
NUMBER_WORDS = [
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty",
    "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "hundreds", "thousand", "thousands",
    "million", "half", "halves", "quarter", "quarters", "third", "thirds", "dozen", "dozens", "twice",
    "double", "triple", "percent",
]
_NUMBER = re.compile(r"\d|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
UNSOURCED_KEYS = frozenset({"id", "codes", "abbreviations", "review", "sources", "source", "pictogram", "sign", "about",
                            "when", "keep_taking", "if_kept", "unless_kept"})


def holds_number(text: str, clinic: Clinic) -> bool:
    """Digits or an English number word, once the clinic's own numbers (phones, 911) are taken out."""
    for number in (clinic.emergency, clinic.phones.daytime, clinic.phones.out_of_hours or ""):
        if number.strip():
            text = text.replace(number.strip(), "")
    return bool(_NUMBER.search(text))


def number_findings(document: YamlDocument, clinic: Clinic) -> list[Finding]:
    """An error for each string holding a number with no source, and for a duration without one."""
    subject, found = str(document.data.get("id")), []
    for location, text, source in sourced_strings(document.data):
        if source is None and not set(map(str, location)) & UNSOURCED_KEYS and holds_number(text, clinic):
            found.append(Finding(subject, f"{dotted(location)}: \"{text[:50]}\" holds a number but names no source "
                                          "(write it as {text, source})", Severity.ERROR, document.path,
                                 document.line_of(location)))
    duration = (document.data.get("what_to_expect") or {}).get("duration")
    if isinstance(duration, dict) and not duration.get("source"):
        at: Location = ("what_to_expect", "duration")
        found.append(Finding(subject, "what_to_expect.duration: a duration is a number the patient reads; give its source",
                             Severity.ERROR, document.path, document.line_of(at)))
    return found


MAX_KEY_RISKS = 3  # icon arrays per leaflet: more and none of them stands out


def risk_findings(document: YamlDocument) -> list[Finding]:
    """A warning for each risk that says nothing of how often it happens, and for too many key risks."""
    subject, found, risks = str(document.data.get("id")), [], document.data.get("risks") or []
    if sum(1 for risk in risks if isinstance(risk, dict) and risk.get("key") is True) > MAX_KEY_RISKS:
        found.append(Finding(subject, f"risks: more than {MAX_KEY_RISKS} key risks; keep the pictures for the few that "
                                      "matter most", Severity.WARNING, document.path, document.line_of(("risks",))))
    for index, risk in enumerate(risks):
        if not isinstance(risk, dict) or "about" not in risk:
            found.append(Finding(subject, f"risks[{index + 1}]: no frequency; give about: with its source, or write "
                                          "about: unknown once you have looked and found no reliable number (the "
                                          "leaflet then says so)", Severity.WARNING, document.path,
                                 document.line_of(("risks", index))))
    return found

"""Triage: one sign, one place ("call 911" or "call us", never both; urgent everywhere it is urgent)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from leaflets.checks.findings import Finding, Severity
from leaflets.model.clinic import RedFlags
from leaflets.model.record import Procedure
from leaflets.model.yamlfile import Location, YamlDocument


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word.rstrip("e") or word


@lru_cache(maxsize=4096)  # a library says the same signs in many leaflets
def _words(text: str) -> frozenset[str]:
    return frozenset(_stem(word) for word in re.findall(r"[a-z]+", text.lower()))


def phrase_matches(phrase: str, text: str) -> bool:
    """Whether every word of ``phrase`` (``a|b`` for either) is in ``text``: in any order, any case,
    singular or plural."""
    words = _words(text)
    return all(any(_stem(choice) in words for choice in part.lower().split("|")) for part in phrase.split())


def signs_of(item: dict[str, Any], red_flags: RedFlags | None) -> set[str]:
    """The red-flag signs a "when to get help" item speaks of: the one its ``sign:`` names, or those its words match."""
    if item.get("sign"):
        return {item["sign"]}
    text = item.get("text", "")
    return {flag.id for flag in (red_flags.signs if red_flags else []) if any(phrase_matches(p, text) for p in flag.words)}


def _signs_once(item: dict[str, Any], red_flags: RedFlags | None, said: dict[str, set[str]]) -> set[str]:
    if item.get("sign"):
        return signs_of(item, red_flags)
    text = item.get("text", "")
    if text not in said:
        said[text] = signs_of(item, red_flags)
    return said[text]


Placed = dict[str, list[set[str]]]  # the signs of each "urgent" and "call_us" item of a leaflet


def triage_findings(procedures: list[Procedure], documents: Mapping[str, YamlDocument],
                    red_flags: RedFlags | None) -> list[Finding]:
    """An error when a leaflet puts one sign both under "call 911" and "call us"; a warning when a sign
    the red-flag list or another leaflet treats as urgent is only "call us"."""
    flags = red_flags.signs if red_flags else []
    urgent_elsewhere: dict[str, str] = {flag.id: "content/red_flags.yaml" for flag in flags if flag.urgent}
    placed: dict[str, Placed] = {}
    said: dict[str, set[str]] = {}  # the signs of each item's words, worked out once: a library repeats its items
    for procedure in procedures:
        help_ = procedure.when_to_get_help.model_dump(mode="json")
        placed[procedure.id] = {group: [_signs_once(item, red_flags, said) for item in help_[group]]
                                for group in ("urgent", "call_us")}
        for signs in placed[procedure.id]["urgent"]:
            for sign in signs:
                urgent_elsewhere.setdefault(sign, procedure.id)
    found = []
    for procedure in procedures:
        problems = unknown_signs(procedure, {flag.id for flag in flags})
        problems += call_us_problems(placed[procedure.id], urgent_elsewhere)
        if problems:  # the record's file is read only to say where a problem is
            document = documents[procedure.id]
            found += [Finding(procedure.id, message, severity, document.path, document.line_of(location))
                      for message, severity, location in problems]
    return found


Problem = tuple[str, Severity, Location]  # what is wrong, how much, and where in the record


def unknown_signs(procedure: Procedure, known: set[str]) -> list[Problem]:
    """An error for each ``sign:`` that names no sign of content/red_flags.yaml."""
    found: list[Problem] = []
    for group in ("urgent", "call_us"):
        for index, item in enumerate(getattr(procedure.when_to_get_help, group)):
            if item.sign and item.sign not in known:
                found.append((f"when_to_get_help.{group}[{index + 1}].sign: '{item.sign}' is not in "
                              f"content/red_flags.yaml", Severity.ERROR, ("when_to_get_help", group, index, "sign")))
    return found


def call_us_problems(placed: Placed, urgent_elsewhere: dict[str, str]) -> list[Problem]:
    """A "call us" sign that is also urgent here (an error), or urgent elsewhere (a warning)."""
    urgent = set().union(*placed["urgent"])
    found: list[Problem] = []
    for index, signs in enumerate(placed["call_us"]):
        where: Location = ("when_to_get_help", "call_us", index)
        for sign in sorted(signs & urgent):
            found.append((f"when_to_get_help.call_us[{index + 1}]: the sign '{sign}' is also under "
                          "urgent in this leaflet; a patient cannot do both", Severity.ERROR, where))
        for sign in sorted(signs - urgent):
            if sign in urgent_elsewhere:
                found.append((f"when_to_get_help.call_us[{index + 1}]: the sign '{sign}' is urgent in "
                              f"{urgent_elsewhere[sign]}; here it is only 'call us'", Severity.WARNING, where))
    return found

"""Values a template prints but an approval does not cover, as opaque tokens.

The clinic's details, the patient's details, times worked out from the appointment and the web
version's address reach the template as tokens (``\\ue000clinic.name\\ue001``), never as their values.
So the template renders once, the same for every clinic and patient; its printed text, tokens in
place, is what an approval is bound to (``render.printed``); only then are the tokens replaced by their
values (``substitute``), escaped, in text or in an attribute that holds text. A template cannot branch
on them, and one that moves a token elsewhere (into a style, a comment, a tag) or changes it is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import escape

from leaflets.errors import TemplateProblem
from leaflets.model.characters import PDI
from leaflets.model.clinic import Clinic

OPEN, CLOSE = "\ue000", "\ue001"
TOKEN = re.compile(f"{OPEN}([a-z_.0-9]+){CLOSE}")
_ISOLATED_TOKEN = re.compile(f"([\u2066\u2067\u2068])?{OPEN}([a-z_.0-9]+){CLOSE}({PDI})?")
# Attributes a value may be written into; anywhere else (style, an event, a tag's name) is refused.
VALUE_ATTRIBUTES = frozenset({"alt", "title", "href", "content", "class", "d", "viewbox", "aria-label"})
FILLED, BLANK = "filled", "write-here"  # the class of a "For you" or fasting line: written in, or to write on


def token(name: str) -> str:
    return f"{OPEN}{name}{CLOSE}"


def readable(text: str) -> str:
    """Tokens as ``[clinic.name]``: how the approved text shows them."""
    return TOKEN.sub(lambda match: f"[{match[1]}]", text)


@dataclass(frozen=True)
class Field:
    """A token with the class of its line: written in (``filled``) or to write on."""

    value: str
    state: str


def clinic_tokens(clinic: Clinic, values: dict[str, str]) -> Clinic:
    """``clinic`` as its template sees it: every detail it prints a token, noted in ``values``."""
    def put(name: str, value: str | None) -> str | None:
        if value is None:
            return None
        values[name] = value
        return token(name)

    phones = clinic.phones.model_copy(update={"daytime": put("clinic.phones.daytime", clinic.phones.daytime),
                                              "out_of_hours": put("clinic.phones.out_of_hours", clinic.phones.out_of_hours)})
    return clinic.model_copy(update={
        "name": put("clinic.name", clinic.name), "website": put("clinic.website", clinic.website),
        "address": [put(f"clinic.address.{i}", line) for i, line in enumerate(clinic.address)],
        "phones": phones, "emergency": put("clinic.emergency", clinic.emergency),
        "feedback": put("clinic.feedback", clinic.feedback),
    })


def field_tokens(name: str, value: str | None, values: dict[str, str]) -> Field:
    """A line to write in: a token for its value (``value``, or nothing: a blank line) and for its class."""
    values[name], values[f"{name}.class"] = value or "", FILLED if value else BLANK
    return Field(token(name), token(f"{name}.class"))


def substitute(html: str, values: dict[str, str], template: str) -> str:
    """``html`` with each token replaced by its value, escaped; a token kept isolated (``| as_typed``,
    ``| isolate``) is isolated line by line, as the filter does. A token left over was changed by the
    template: refused (``TemplateProblem``)."""

    def value(match: re.Match[str]) -> str:
        opening, name, closing = match.groups()
        if name not in values:
            raise TemplateProblem(f"template error: prints '{{{{ {name} }}}}' changed; print it as it is given", template)
        text = values[name]
        if not text:  # a blank line to write on: no isolate around nothing, which would give it a line's height
            return ""
        if opening and closing:
            return "\n".join(str(escape(f"{opening}{line}{closing}")) for line in text.split("\n"))
        return (opening or "") + str(escape(text)) + (closing or "")

    done = _ISOLATED_TOKEN.sub(value, html)
    if OPEN in done or CLOSE in done:
        raise TemplateProblem("template error: changes a value it is given (clinic, patient or web address); "
                              "print it as it is given", template)
    return done

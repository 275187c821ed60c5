"""A clinic: its name, phones, paper, languages and packets; and the red-flag signs shared by every leaflet.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from leaflets.errors import ContentError, LeafletErrors
from leaflets.model.formats import read_content
from leaflets.model.pictures import picture_problem
from leaflets.model.policies import Policies
from leaflets.model.record import Identifier, MedicineKind, Strict, Text
from leaflets.model.validation import raise_at, validate
from leaflets.model.yamlfile import YamlDocument, dotted, read_yaml
from leaflets.paths import is_inside


class RedFlag(Strict):
    """A sign of content/red_flags.yaml: the words that identify it in any leaflet's "when to get help"."""

    id: Identifier
    description: Text
    words: Annotated[list[Text], Field(min_length=1)]  # each: words all present, "a|b" for either
    urgent: bool = True  # False: a sign to call the clinic about (the same day), not 911


Phrases = list[Text]  # each: words all present in any order, "a|b" for either (see ``phrase_matches``)


class AdviceWords(Strict):
    """Words that find advice contradicting itself (issue 24), in content/red_flags.yaml under ``advice:``.

    ``stop_plan``: a plan to stop a medicine on a given day. ``medicines``: the words naming each kind
    a record may keep (``keep_taking``); ``any_blood_thinner``: words that name every kind at once.
    ``infection``: a sign of infection; ``escalation``: what to do when the clinic cannot be reached.
    """

    stop_plan: Phrases = []
    medicines: dict[MedicineKind, Phrases] = {}
    any_blood_thinner: Phrases = []
    infection: Phrases = []
    escalation: Phrases = []


class RedFlags(Strict):
    signs: Annotated[list[RedFlag], Field(min_length=1)]
    advice: AdviceWords = AdviceWords()

    @model_validator(mode="after")
    def _unique(self) -> RedFlags:
        ids = [sign.id for sign in self.signs]
        if duplicate := next((i for i in ids if ids.count(i) > 1), None):
            raise ValueError(f"the sign id '{duplicate}' is used twice")
        return self


LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$")]
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_PHONE = r"[0-9+ ()./-]{3,30}"


class Phones(Strict):
    daytime: Text
    out_of_hours: Text | None = None


class Packet(Strict):
    """Leaflets a clinic often gives together, printed as one PDF ("Fistula day")."""

    title: Text
    leaflets: Annotated[list[Identifier], Field(min_length=1, max_length=20)]


class Clinic(Strict):
    """What belongs to the clinic, not the procedure: changing it changes every leaflet."""

    id: Identifier
    name: Text
    address: list[Text] = []
    phones: Phones
    emergency: Annotated[str, StringConstraints(pattern=r"^[0-9+ ()-]{2,20}$")]
    website: Text | None = None
    feedback: Text | None = None  # where patients tell the clinic about a leaflet: an e-mail address or a phone number
    logo: Text | None = None
    accent_colour: Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")] = "#1f4e79"
    paper: Literal["letter", "A4"] = "letter"
    reading_grade_max: Annotated[float, Field(ge=3, le=16)] = 8
    page_budget: Annotated[int, Field(ge=2, le=20)] = 8  # pages of a regular-print leaflet; large print twice that
    languages: Annotated[list[LanguageCode], Field(min_length=1)] = ["en"]
    policies: Policies = Policies()
    packets: dict[Identifier, Packet] = {}
    # Where dist/ is published, as https://host/path/: each leaflet's web version is
    # <published_at><clinic>/<lang>/<id>.html, printed on its PDF with a QR code (issue 29).
    published_at: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None

    logo_path: Path | None = Field(default=None, exclude=True)

    @property
    def logo_uri(self) -> str | None:
        """The logo's address for templates, which may not touch paths themselves."""
        return self.logo_path.as_uri() if self.logo_path else None

    @field_validator("feedback")
    @classmethod
    def _an_address_or_a_number(cls, value: str | None) -> str | None:
        if value is not None and not (re.fullmatch(_EMAIL, value) or re.fullmatch(_PHONE, value)):
            raise ValueError(f"'{value}' is neither an e-mail address (like leaflets@clinic.example) nor a phone number")
        return value

    @field_validator("published_at")
    @classmethod
    def _an_https_address(cls, value: str | None) -> str | None:
        return None if value is None else published_address(value)

    @field_validator("accent_colour")
    @classmethod
    def _readable_on_paper(cls, colour: str) -> str:
        ratio = contrast_ratio(colour, "#ffffff")
        if ratio < MIN_CONTRAST:
            raise ValueError(
                f"'{colour}' has a contrast of {ratio:.1f}:1 on white paper; it needs at least {MIN_CONTRAST}:1 "
                f"(a darker shade that passes: {darkened(colour)})"
            )
        return colour


MIN_CONTRAST = 4.5


def published_address(value: str) -> str:
    """A clinic's ``published_at``: an https address with a host and no user, query or fragment, ending in /."""
    parts = urlsplit(value)
    host = parts.hostname or ""
    if (parts.scheme != "https" or not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?", parts.netloc.lower())
            or "." not in host or parts.query or parts.fragment or value.endswith(("?", "#"))
            or not re.fullmatch(r"[A-Za-z0-9/._~%-]*", parts.path)):
        raise ValueError(f"'{value}' is not an https address; write where dist/ is published, like "
                         "https://leaflets.clinic.example/ (no user name, query or #fragment)")
    return value if value.endswith("/") else value + "/"


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def darkened(colour: str) -> str:
    """The same hue, darkened in steps until it reaches the contrast the leaflet needs on white."""
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    while contrast_ratio(_hex(channels), "#ffffff") < MIN_CONTRAST:
        channels = [int(c * 0.9) for c in channels]
    return _hex(channels)


def _hex(channels: list[int]) -> str:
    red, green, blue = channels
    return f"#{red:02x}{green:02x}{blue:02x}"




def load_red_flags(path: Path) -> RedFlags:
    return validate(RedFlags, read_yaml(path), named_by_file=False)




def load_clinic(path: Path, procedure_ids: list[str] | None = None) -> Clinic:
    """Read and validate one clinic file; its logo must exist beside it, and its packets name
    only ``procedure_ids`` (when given)."""
    document = read_content(path, "clinic").document
    clinic = validate(Clinic, document)
    if procedure_ids is not None:
        _check_packets(clinic, document, procedure_ids)
    if clinic.logo is None:
        return clinic
    logo = (path.parent / clinic.logo).resolve()
    if not is_inside(logo, path.parent):
        raise_at(document, ("logo",), f"logo: '{clinic.logo}' is outside the clinics folder")
    if not logo.is_file():
        raise_at(document, ("logo",), f"logo: file '{clinic.logo}' does not exist")
    if logo.suffix.lower() not in (".svg", ".png", ".jpg", ".jpeg"):
        raise_at(document, ("logo",), "logo: use an .svg, .png or .jpg file")
    if problem := picture_problem(logo):
        raise_at(document, ("logo",), f"logo: '{clinic.logo}' cannot be printed: it {problem}")
    return clinic.model_copy(update={"logo_path": logo})


def _check_packets(clinic: Clinic, document: YamlDocument, procedure_ids: list[str]) -> None:
    errors = []
    for name, packet in clinic.packets.items():
        for index, leaflet in enumerate(packet.leaflets):
            if leaflet not in procedure_ids:
                close = difflib.get_close_matches(leaflet, procedure_ids, n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                location = ("packets", name, "leaflets", index)
                errors.append(ContentError(f"{dotted(location)}: no procedure '{leaflet}'{hint}", document.path,
                                           document.line_of(location)))
    if errors:
        raise LeafletErrors(errors)

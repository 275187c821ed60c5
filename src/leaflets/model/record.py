"""The procedure record: its text, items, risks, sources, shared blocks and review, as pydantic models.

The top-level keys of a record are the contract with content authors (see the
README): keep them stable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from leaflets.model.codes import Codes
from leaflets.model.day import build_day
from leaflets.model.policies import placeholders

MAX_TEXT = 2000
MAX_PAGES = 40  # a patient leaflet; today's longest is 10 pages in large print
LARGE_PRINT_SUFFIX = "-large-print"  # dist/<clinic>/<lang>/<id>-large-print.pdf
PICTOGRAMS = ("no-food-drink", "no-driving", "medicines", "wound-care", "phone-help")
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _sourced_to_text(value: Any) -> Any:
    """``{text, source}`` is prose with its source: the leaflet prints the text; ``check`` reads the source
    from the file itself (see ``sourced_strings``), so the model keeps only what is printed."""
    if not isinstance(value, dict):
        return value
    unknown = sorted(set(value) - {"text", "source"})
    if unknown or "text" not in value:
        found = f"found the key(s) {', '.join(map(str, unknown))}" if unknown else "found no text"
        raise ValueError("write text, or keys text and source, like {text: Keep the bandage dry., source: neat-2017} "
                         f"({found})")
    return value["text"]


Prose = Annotated[Text, BeforeValidator(_sourced_to_text)]


class PluralText(Strict):
    """Block text whose words follow a clinic-policy number: ``{one: ..., other: ...}``.

    Printed with ngettext and the value of ``count`` (a policy name), so every language gets the
    right plural form; ``count`` may be left out when the text has one placeholder.
    """

    one: Text
    other: Text
    count: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")] | None = None

    @property
    def counted(self) -> str | None:
        names = list(dict.fromkeys(placeholders(self.other)))
        return self.count or (names[0] if len(names) == 1 else None)


MEDICINE_KINDS = ("antiplatelets", "anticoagulants")  # what a record may list under keep_taking
MedicineKind = Literal["antiplatelets", "anticoagulants"]
WHEN = ("week-before", "day-before", "on-the-day", "after")  # the groups of the preparation checklist, in order
When = Literal["week-before", "day-before", "on-the-day", "after"]


class Item(Strict):
    """A list entry: plain text, or ``{text, pictogram, source, when, if_kept, unless_kept}``.

    ``when`` groups a preparation item (default: the day before). ``if_kept`` / ``unless_kept`` make
    an item depend on the record's ``keep_taking``: printed only when the record keeps taking every
    kind listed, or none of them (a shared block words itself for the procedure this way).
    """

    text: Text | PluralText
    pictogram: Literal[PICTOGRAMS] | None = None  # type: ignore[valid-type]
    source: Identifier | None = None
    when: When = "day-before"
    if_kept: list[MedicineKind] = []
    unless_kept: list[MedicineKind] = []

    def applies(self, keep_taking: Sequence[str]) -> bool:
        """Whether this item is printed for a record whose patients keep taking ``keep_taking``."""
        return all(kind in keep_taking for kind in self.if_kept) and not any(kind in keep_taking for kind in self.unless_kept)


class HelpItem(Item):
    """A sign in "when to get help"; ``sign`` names it in content/red_flags.yaml when words cannot."""

    sign: Identifier | None = None


def _text_to_item(value: Any) -> Any:
    return {"text": value} if isinstance(value, str) else value


PictogramItem = Annotated[Item, BeforeValidator(_text_to_item)]
TextList = Annotated[list[Prose], Field(min_length=1)]
ItemList = Annotated[list[PictogramItem], Field(min_length=1)]
HelpEntry = Annotated[HelpItem, BeforeValidator(_text_to_item)]
HelpList = Annotated[list[HelpEntry], Field(min_length=1)]


class Duration(Strict):
    min_minutes: Annotated[int, Field(gt=0, le=24 * 60 * 14)]
    max_minutes: Annotated[int, Field(gt=0, le=24 * 60 * 14)]
    source: Identifier | None = None  # a duration is a number a patient reads: `check` wants its source

    @model_validator(mode="after")
    def _ordered(self) -> Duration:
        if self.max_minutes < self.min_minutes:
            raise ValueError("max_minutes must not be less than min_minutes")
        return self


class WhatToExpect(Strict):
    steps: TextList
    duration: Duration | None = None  # left out when no source gives a time; the leaflet says to ask
    setting: Prose
    team: TextList
    sensations: TextList


DENOMINATORS = (100, 1000, 10000)  # the leaflet says every number "in" one of these (see risks.py)
Amount = Annotated[float, Field(ge=0, le=10000)]


class Frequency(Strict):
    """How often a risk happens: ``{count, per}``, ``{low, high, per}`` or ``{less_than, per}``."""

    count: Amount | None = None
    low: Amount | None = None
    high: Amount | None = None
    less_than: Annotated[float, Field(gt=0, le=10000)] | None = None
    per: Literal[10, 100, 1000, 10000]

    @model_validator(mode="after")
    def _one_form(self) -> Frequency:
        forms = [self.count is not None, self.low is not None or self.high is not None, self.less_than is not None]
        if sum(forms) != 1:
            raise ValueError("give one of: count; low and high; less_than (each with per)")
        if forms[1] and (self.low is None or self.high is None or self.high <= self.low):
            raise ValueError("a range needs low and high, with high above low")
        if max(v for v in (self.count, self.high, self.less_than) if v is not None) > self.per:
            raise ValueError(f"cannot be more than {self.per} in {self.per}")
        return self

    @property
    def upper(self) -> float:
        """The highest rate it may mean, as a fraction (for the band word and the order of risks)."""
        rate = next(value for value in (self.high, self.count, self.less_than) if value is not None)  # one is, validated
        return rate / self.per

    @property
    def values(self) -> tuple[float, ...]:
        return tuple(v for v in (self.count, self.low, self.high, self.less_than) if v is not None)


class Risk(Strict):
    text: Text
    about: Frequency | None = None
    source: Identifier | None = None
    key: bool = False  # drawn as an icon array
    serious: bool = False  # a serious outcome, said plainly

    @model_validator(mode="before")
    @classmethod
    def _looked_for_a_number(cls, data: Any) -> Any:
        """``about: unknown`` says the author looked for a reliable number and found none (``check`` reads it)."""
        if isinstance(data, dict) and data.get("about") == "unknown":
            return {**data, "about": None}
        if isinstance(data, dict) and isinstance(data.get("about"), str):
            raise ValueError(f"about: '{data['about']}' is not a frequency; write {{count, per}}, {{low, high, per}}, "
                             "{less_than, per}, or unknown")
        return data

    @model_validator(mode="after")
    def _sourced(self) -> Risk:
        if self.about is not None and self.source is None:
            raise ValueError("a risk with a number (about) needs its source")
        if self.key and (self.about is None or self.about.less_than is not None):
            raise ValueError("a key risk is drawn as a picture, so it needs about: {count, per} or {low, high, per}")
        return self


class Source(Strict):
    """Where a number or fact comes from, cited as published (never translated)."""

    id: Identifier
    title: Text
    publisher: Text
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None  # left out when the page shows no date
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=500)] | None = None
    doi: Annotated[str, StringConstraints(pattern=r"^10\.\d{4,9}/\S+$", max_length=200)] | None = None
    # codes: it verifies the record's codes (for EHRs), so the leaflet does not print it among its facts' sources
    cited_for: Literal["facts", "codes"] = "facts"

    @model_validator(mode="after")
    def _traceable(self) -> Source:
        if self.url is None and self.doi is None:
            raise ValueError("a source needs its address: url, doi, or both")
        return self


class Alternative(Strict):
    name: Prose
    description: Prose


class WhenToGetHelp(Strict):
    urgent: HelpList
    call_us: HelpList


class GlossaryEntry(Strict):
    term: Prose
    meaning: Prose


class HowTo(Strict):
    """Numbered self-care steps under a title, printed before or after the procedure."""

    title: Text
    steps: ItemList
    when: Literal["before", "after"] = "after"


DIAGRAM_NAME = r"^[a-z0-9][a-z0-9-]{0,63}\.svg$"


class Diagram(Strict):
    """A drawing of ``templates/diagrams/``, its caption, alt text and the words of its markers 1..n."""

    image: Annotated[str, StringConstraints(pattern=DIAGRAM_NAME)]
    caption: Text
    alt: Text
    labels: list[Text] = []


class BlockHelp(Strict):
    urgent: list[HelpEntry] = []
    call_us: list[HelpEntry] = []


class Block(Strict):
    """A shared, vetted block (``content/blocks/<name>.yaml``): its items follow a record's own."""

    preparation: list[PictogramItem] = []
    recovery: list[PictogramItem] = []
    how_to: list[HowTo] = []
    when_to_get_help: BlockHelp = BlockHelp()
    glossary: list[GlossaryEntry] = []
    sources: Annotated[list[Source], Field(min_length=1)]


# A version: up to three parts of ASCII digits ("1.0", "2.10.3"), each of at most 4 digits, so it
# prints in every font and compares without turning unbounded text into numbers.
VERSION_PATTERN = r"^[0-9]{1,4}(\.[0-9]{1,4}){0,2}$"
Version = Annotated[str, StringConstraints(pattern=VERSION_PATTERN, max_length=14)]


def is_version(text: str) -> bool:
    return len(text) <= 14 and re.fullmatch(VERSION_PATTERN, text) is not None


def version_order(version: str) -> tuple[tuple[int, str], ...]:
    """A key that sorts versions as numbers ("1.10" after "1.9"), comparing digits as text."""
    return tuple((len(part.lstrip("0")), part.lstrip("0")) for part in version.split("."))


class Review(Strict):
    version: Version
    status: Literal["draft", "approved"]
    written_on: date
    review_due: date
    approved_by: Text | None = None
    approved_on: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Review:
        if self.review_due <= self.written_on:
            raise ValueError("review_due must be after written_on")
        if self.status == "approved" and (self.approved_by is None or self.approved_on is None):
            raise ValueError("an approved record needs approved_by and approved_on")
        if self.approved_on is not None and self.approved_on > (today := build_day()):
            raise ValueError(f"approved_on {self.approved_on} is after the build day, {today}: an approval cannot be "
                             "dated in the future")
        return self


class Procedure(Strict):
    """One procedure record: everything a leaflet says about it."""

    id: Identifier
    title: Prose
    also_called: list[Prose] = []
    codes: Codes = {}  # several per system: see model/codes.py
    summary: Prose
    purpose: Prose | None = None
    indications: list[Prose] = []
    preparation: ItemList
    what_to_expect: WhatToExpect
    recovery: ItemList
    risks: Annotated[list[Annotated[Risk, BeforeValidator(_text_to_item)]], Field(min_length=1)]  # text, or {text, about, ...}
    benefits: list[Prose] = []
    alternatives: Annotated[list[Alternative], Field(min_length=1)]
    when_to_get_help: WhenToGetHelp
    questions_to_ask: list[Prose] = []
    glossary: list[GlossaryEntry] = []
    review: Review
    sources: list[Source] = []
    search_terms: list[Text] = []  # the words people search for, besides the title and other names (not printed)
    # clinicians' short forms (AVF, PCN), each used for this procedure: searched in every language, never translated or printed
    abbreviations: list[Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z./-]{0,15}$")]] = []
    blocks: list[Identifier] = []
    how_to: list[HowTo] = []
    diagrams: list[Diagram] = []
    keep_taking: list[MedicineKind] = []  # medicines its patients keep taking through the procedure (see the README)
    block_sources: list[Source] = []  # filled in from the included blocks by the loader, never written

    @model_validator(mode="before")
    @classmethod
    def _block_sources_are_not_written(cls, data: Any) -> Any:
        if isinstance(data, dict) and "block_sources" in data:
            raise ValueError("block_sources is filled in from the blocks; list a record's own sources under sources")
        return data

    @field_validator("risks")
    @classmethod
    def _one_denominator(cls, risks: list[Risk]) -> list[Risk]:
        if leaflet_denominator(risks) is None:
            raise ValueError("these numbers cannot all be said as whole numbers in 100, 1,000 or 10,000; "
                             "round them as the source allows")
        return risks

    @field_validator("id")
    @classmethod
    def _not_a_large_print_name(cls, value: str) -> str:
        if value.endswith(LARGE_PRINT_SUFFIX):
            raise ValueError(f"an id must not end in '{LARGE_PRINT_SUFFIX}': its PDF would take the name of "
                             f"the large-print leaflet of '{value.removesuffix(LARGE_PRINT_SUFFIX)}'")
        return value

    @property
    def cited_sources(self) -> list[Source]:
        """The record's sources, then those of the blocks it includes, each once."""
        unique: dict[str, Source] = {}
        for source in [*self.sources, *self.block_sources]:
            unique.setdefault(source.id, source)
        return list(unique.values())

    def is_out_of_date(self, today: date | None = None) -> bool:
        """Past its review date on ``today`` (by default the build day, see ``build_day``)."""
        return self.review.review_due < (today or build_day())


def leaflet_denominator(risks: list[Risk]) -> int | None:
    """The one "in N" a leaflet uses for every risk: the smallest of 100, 1,000, 10,000 in which each
    number is a whole number (so a risk below 1 in 100 moves the whole leaflet to "in 1,000")."""
    values = [(value, risk.about.per) for risk in risks if risk.about for value in risk.about.values]
    for denominator in DENOMINATORS:
        if all(abs(v * denominator / per - round(v * denominator / per)) < 1e-9 for v, per in values):
            return denominator
    return None

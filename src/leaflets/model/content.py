"""The procedure record and clinic models, loaded from YAML and validated.

The top-level keys of a record are the contract with content authors (see the
README): keep them stable. Every problem of a file is reported at once, each as
``path:line: field.path: message``.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from leaflets.errors import ContentError, LeafletError, LeafletErrors, NotFoundError, UsageError
from leaflets.model.cache import Identity, RecordCache, identity
from leaflets.model.policies import POLICY_NAMES, Policies, placeholders
from leaflets.model.yamlfile import NOT_A_FILE, Location, YamlDocument, dotted, read_yaml
from leaflets.paths import is_inside

MAX_TEXT = 2000
MAX_PAGES = 40  # a patient leaflet; today's longest is 10 pages in large print
LARGE_PRINT_SUFFIX = "-large-print"  # dist/<clinic>/<lang>/<id>-large-print.pdf
UNPRINTED_FIELDS = frozenset({"search_terms"})  # translated, but never printed on the leaflet
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
        raise ValueError(f"expected text, or keys text and source (found {', '.join(map(str, unknown)) or 'no text'})")
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


class Item(Strict):
    """A list entry: plain text, or ``{text, pictogram, source}``."""

    text: Text | PluralText
    pictogram: Literal[PICTOGRAMS] | None = None  # type: ignore[valid-type]
    source: Identifier | None = None


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
        return (self.high if self.high is not None else self.count if self.count is not None else self.less_than) / self.per

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


class Review(Strict):
    version: Annotated[str, StringConstraints(pattern=r"^\d+(\.\d+){0,2}$")]
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
        return self


class Procedure(Strict):
    """One procedure record: everything a leaflet says about it."""

    id: Identifier
    title: Prose
    also_called: list[Prose] = []
    codes: dict[Literal["cpt", "hcpcs", "icd10pcs", "snomed"], Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.]{1,12}$")]] = {}
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
    blocks: list[Identifier] = []
    how_to: list[HowTo] = []
    diagrams: list[Diagram] = []
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

    @field_validator("codes", mode="before")
    @classmethod
    def _codes_are_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key, code in value.items():
                if isinstance(code, int) and not isinstance(code, bool):
                    raise ValueError(f'write the {key} code in quotes, as "{code}"')
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


class RedFlag(Strict):
    """A sign of content/red_flags.yaml: the words that identify it in any leaflet's "when to get help"."""

    id: Identifier
    description: Text
    words: Annotated[list[Text], Field(min_length=1)]  # each: words all present, "a|b" for either
    urgent: bool = True  # False: a sign to call the clinic about (the same day), not 911


class RedFlags(Strict):
    signs: Annotated[list[RedFlag], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> RedFlags:
        ids = [sign.id for sign in self.signs]
        if duplicate := next((i for i in ids if ids.count(i) > 1), None):
            raise ValueError(f"the sign id '{duplicate}' is used twice")
        return self


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
    languages: Annotated[list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$")]], Field(min_length=1)] = ["en"]
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
        if value is not None and not (re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) or re.fullmatch(r"[0-9+ ()./-]{3,30}", value)):
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
        raise ValueError(f"'{value}' is not an https address where dist/ is published, such as "
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
    while contrast_ratio("#%02x%02x%02x" % tuple(channels), "#ffffff") < MIN_CONTRAST:
        channels = [int(c * 0.9) for c in channels]
    return "#%02x%02x%02x" % tuple(channels)


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


ModelT = TypeVar("ModelT", bound=BaseModel)


def load_procedure(path: Path, root: Path | None = None, inputs: list[Identity | None] | None = None) -> Procedure:
    """Read and validate one record, with its shared blocks added; raise ``LeafletErrors`` listing every problem.

    ``root`` is the project folder (by default the one holding ``content/procedures/``): its
    ``content/blocks/`` holds the blocks and ``templates/diagrams/`` the drawings. ``inputs``
    receives the identity of every file the record is read from, each taken before the file is
    read (see ``cache.py``): the record, its blocks and its drawings.
    """
    inputs = [] if inputs is None else inputs
    inputs.append(identity(path))
    document = read_yaml(path)
    procedure = _validate(Procedure, document)
    root = root or path.resolve().parent.parent.parent
    diagrams = root / "templates" / "diagrams"
    inputs.extend(identity(diagrams / diagram.image) for diagram in procedure.diagrams)
    errors = _record_placeholders(document) + _diagram_errors(procedure, document, diagrams)
    blocks, block_errors = _included_blocks(procedure, document, root / "content" / "blocks", inputs)
    errors += block_errors + source_errors(document, [source.id for block in blocks for source in block.sources])
    if errors:
        raise LeafletErrors(errors)
    merged = _with_blocks(procedure, blocks)
    if repeated := _repeated_items(procedure, merged, document):
        raise LeafletErrors(repeated)
    return merged


# -- shared blocks, placeholders and diagrams ----------------------------------------------------

BLOCK_SECTIONS = ("preparation", "recovery", "how_to", "glossary")


def load_block(path: Path) -> Block:
    """Read and validate one shared block: its placeholders name clinic policies, its items' sources its own."""
    document = read_yaml(path)
    block = _validate(Block, document)
    errors = _block_placeholders(document)
    known = {source.id for source in block.sources}
    for where, name in source_ids(document.data):
        if name not in known:
            location = where + ("source",)
            errors.append(ContentError(f"{dotted(location)}: '{name}' is not the id of one of this block's sources"
                                       f"{_close_hint(name, sorted(known))}", path, document.line_of(location)))
    if errors:
        raise LeafletErrors(errors)
    return block


def block_names(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml") if re.fullmatch(ID_PATTERN, p.stem))


def _included_blocks(
    procedure: Procedure, document: YamlDocument, folder: Path, inputs: list[Identity | None]
) -> tuple[list[Block], list[LeafletError]]:
    blocks: list[Block] = []
    errors: list[LeafletError] = []
    for index, name in enumerate(procedure.blocks):
        where = document.line_of(("blocks", index))
        path = folder / f"{name}.yaml"
        if name in procedure.blocks[:index]:
            errors.append(ContentError(f"blocks[{index + 1}]: '{name}' is included twice", document.path, where))
        elif not path.is_file() or not is_inside(path, folder):
            hint = _close_hint(name, block_names(folder))
            errors.append(ContentError(f"blocks[{index + 1}]: unknown block '{name}'{hint}", document.path, where))
        else:
            inputs.append(identity(path))
            try:
                blocks.append(load_block(path))
            except LeafletError as exc:
                errors.extend(exc.errors)
    return blocks, errors


def _with_blocks(procedure: Procedure, blocks: list[Block]) -> Procedure:
    """The record with each block's items after its own, section by section, blocks in the order listed."""
    if not blocks:
        return procedure
    update: dict[str, Any] = {
        section: [*getattr(procedure, section), *(item for block in blocks for item in getattr(block, section))]
        for section in BLOCK_SECTIONS
    }
    help = procedure.when_to_get_help
    update["when_to_get_help"] = WhenToGetHelp(
        urgent=[*help.urgent, *(item for block in blocks for item in block.when_to_get_help.urgent)],
        call_us=[*help.call_us, *(item for block in blocks for item in block.when_to_get_help.call_us)],
    )
    update["block_sources"] = [source for block in blocks for source in block.sources]
    return procedure.model_copy(update=update)


def _repeated_items(record: Procedure, merged: Procedure, document: YamlDocument) -> list[LeafletError]:
    """A record may not repeat what an included block already says."""
    errors: list[LeafletError] = []
    lists = [((section,), getattr(record, section), getattr(merged, section)) for section in ("preparation", "recovery")]
    lists += [(("when_to_get_help", kind), getattr(record.when_to_get_help, kind), getattr(merged.when_to_get_help, kind))
              for kind in ("urgent", "call_us")]
    for where, own, whole in lists:
        added = {_folded(item.text) for item in whole[len(own):]}
        for index, item in enumerate(own):
            if _folded(item.text) in added:
                errors.append(ContentError(f"{dotted(where)}[{index + 1}]: an included block already says this; remove it here",
                                           document.path, document.line_of(where + (index,))))
    return errors


def _folded(text: Any) -> str:
    return " ".join(str(text).lower().split())


def _walk(data: Any, location: Location = ()) -> Any:
    yield location, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(value, location + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk(value, location + (index,))


def _record_placeholders(document: YamlDocument) -> list[LeafletError]:
    """Placeholders and plural texts follow clinic policies: only shared blocks use them."""
    errors: list[LeafletError] = []
    for location, value in _walk(document.data):
        if isinstance(value, str) and (names := placeholders(value)):
            problem = f"'{{{names[0]}}}' is a clinic-policy placeholder"
        elif isinstance(value, dict) and {"one", "other"} <= set(value):
            problem = "a plural text ({one, other}) follows a clinic-policy number"
        else:
            continue
        errors.append(ContentError(f"{dotted(location)}: {problem}; only shared blocks (content/blocks/) may use them",
                                   document.path, document.line_of(location)))
    return errors


def _block_placeholders(document: YamlDocument) -> list[LeafletError]:
    """Every ``{name}`` a clinic policy; a plural text counts one of its own placeholders."""
    errors: list[LeafletError] = []

    def wrong(location: Location, message: str) -> None:
        errors.append(ContentError(f"{dotted(location)}: {message}", document.path, document.line_of(location)))

    for location, value in _walk(document.data):
        if isinstance(value, str):
            for name in placeholders(value):
                if name not in POLICY_NAMES:
                    wrong(location, f"unknown placeholder '{{{name}}}'{_close_hint(name, list(POLICY_NAMES))}")
        elif isinstance(value, dict) and {"one", "other"} <= set(value) and all(isinstance(value[k], str) for k in ("one", "other")):
            one, other = set(placeholders(value["one"])), set(placeholders(value["other"]))
            count = value.get("count")
            if one != other:
                wrong(location, "'one' and 'other' must hold the same placeholders")
            elif count is None and len(other) != 1:
                wrong(location, "a plural text needs 'count: <policy>' to say which number it follows"
                      if other else "a plural text needs a placeholder whose number it follows")
            elif count is not None and count not in other:
                wrong(location + ("count",), f"'{count}' is not one of this text's placeholders")
    return errors


def _diagram_errors(procedure: Procedure, document: YamlDocument, folder: Path) -> list[LeafletError]:
    errors: list[LeafletError] = []
    for index, diagram in enumerate(procedure.diagrams):
        location = ("diagrams", index, "image")
        path = folder / diagram.image
        if not path.is_file():
            problem = f"no drawing '{diagram.image}' in templates/diagrams{_close_hint(diagram.image, sorted(p.name for p in folder.glob('*.svg')))}"
        elif not is_inside(path, folder):
            problem = f"'{diagram.image}' is a link to a file outside templates/diagrams; copy the drawing in instead"
        elif not _is_svg(path):
            problem = f"'{diagram.image}' is not an SVG drawing"
        else:
            continue
        errors.append(ContentError(f"{dotted(location)}: {problem}", document.path, document.line_of(location)))
    return errors


def _is_svg(path: Path) -> bool:
    with path.open("rb") as stream:
        head = stream.read(4096)
    return b"<svg" in head


def _close_hint(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else (f" (known: {', '.join(known)})" if known else "")


def load_red_flags(path: Path) -> RedFlags:
    return _validate(RedFlags, read_yaml(path), named_by_file=False)


def sourced_strings(data: Any, location: Location = (), source: str | None = None) -> Iterator[tuple[Location, str, str | None]]:
    """Every string of a record, where it is, and the source that covers it: its own ``{text, source}``,
    or the ``source`` of the entry (a risk, an item, a duration) it belongs to."""
    if isinstance(data, dict):
        own = data.get("source") if isinstance(data.get("source"), str) else source
        for key, value in data.items():
            if key != "source":
                yield from sourced_strings(value, location + (key,), own)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from sourced_strings(item, location + (index,), source)
    elif isinstance(data, str):
        yield location, data, source


def source_ids(data: Any) -> list[tuple[Location, str]]:
    """Each ``source:`` of a record or block (not its list of sources), with where its entry is."""
    return [(location[:-1], value) for location, value in _walk(data)
            if location and location[-1] == "source" and location[0] != "sources" and isinstance(value, str)]


def source_errors(document: YamlDocument, block_ids: list[str] = []) -> list[LeafletError]:
    """A source id used twice, and a ``source:`` that names no source of the record or of a block it includes."""
    sources = document.data.get("sources") or []
    ids = [s.get("id") for s in sources if isinstance(s, dict)]
    errors: list[LeafletError] = [
        ContentError(f"sources[{i + 1}].id: '{name}' is used by an earlier source", document.path,
                     document.line_of(("sources", i, "id")))
        for i, name in enumerate(ids) if name in ids[:i]
    ]
    for where, name in source_ids({k: v for k, v in document.data.items() if k != "sources"}):
        if name not in ids and name not in block_ids:
            hint = f"; known: {', '.join(map(str, ids))}" if ids else "; this record lists no sources"
            errors.append(ContentError(f"{dotted(where + ('source',))}: '{name}' names no source{hint}",
                                       document.path, document.line_of(where + ("source",))))
    return errors


def _from_cache(data: Any, path: Path) -> Procedure | None:
    """A cached record, validated again: an entry is never trusted as it stands."""
    if not isinstance(data, dict) or data.get("id") != path.stem:
        return None
    try:
        procedure = Procedure.model_validate({key: value for key, value in data.items() if key != "block_sources"})
        block_sources = [Source.model_validate(source) for source in data.get("block_sources", [])]
    except ValidationError:
        return None
    return procedure.model_copy(update={"block_sources": block_sources})


def load_clinic(path: Path, procedure_ids: list[str] | None = None) -> Clinic:
    """Read and validate one clinic file; its logo must exist beside it, and its packets name
    only ``procedure_ids`` (when given)."""
    document = read_yaml(path)
    clinic = _validate(Clinic, document)
    if procedure_ids is not None:
        _check_packets(clinic, document, procedure_ids)
    if clinic.logo is None:
        return clinic
    logo = (path.parent / clinic.logo).resolve()
    if not is_inside(logo, path.parent):
        _raise_at(document, ("logo",), f"logo: '{clinic.logo}' is outside the clinics folder")
    if not logo.is_file():
        _raise_at(document, ("logo",), f"logo: file '{clinic.logo}' does not exist")
    if logo.suffix.lower() not in (".svg", ".png", ".jpg", ".jpeg"):
        _raise_at(document, ("logo",), "logo: use an .svg, .png or .jpg file")
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


def _raise_at(document: YamlDocument, location: Location, message: str) -> None:
    raise LeafletErrors([ContentError(message, document.path, document.line_of(location))])


def _validate(model: type[ModelT], document: YamlDocument, named_by_file: bool = True) -> ModelT:
    if not isinstance(document.data, dict):
        raise LeafletErrors(
            [ContentError("expected keys and values (such as 'id: ...') at the top level", document.path, 1)]
        )
    errors = _id_mismatch(document) if named_by_file else []
    try:
        validated = model.model_validate(document.data)
    except ValidationError as exc:
        errors = sorted(errors + _located_errors(model, exc, document), key=lambda e: e.line or 0)
    if errors:
        raise LeafletErrors(errors)
    return validated


def _id_mismatch(document: YamlDocument) -> list[ContentError]:
    given, expected = document.data.get("id"), document.path.stem
    if not isinstance(given, str) or given == expected:
        return []
    message = f"id: '{given}' does not match the file name '{document.path.name}'; use id: {expected}"
    return [ContentError(message, document.path, document.line_of(("id",)))]


def _located_errors(model: type[BaseModel], exc: ValidationError, document: YamlDocument) -> list[ContentError]:
    errors: list[ContentError] = []
    seen: set[tuple[int, str]] = set()
    for error in exc.errors(include_url=False):
        location = _data_location(error["loc"])
        line = document.line_of(location)
        message = f"{dotted(location)}: {_plain_message(error, model, location)}"
        if (line, message) not in seen:
            seen.add((line, message))
            errors.append(ContentError(message, document.path, line))
    return errors


def _data_location(loc: tuple[Any, ...]) -> Location:
    """Drop pydantic's tags for validator and union branches, keeping keys and indices."""
    return tuple(part for part in loc if isinstance(part, int) or not _is_branch_tag(part))


def _is_branch_tag(part: str) -> bool:
    return part.startswith("function-") or part in {"Item", "HelpItem", "str", "constrained-str", "date", "int", "float", "PluralText"}


def _plain_message(error: Any, model: type[BaseModel], location: Location) -> str:
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "missing":
        return "required, but missing"
    if kind == "extra_forbidden":
        return _unknown_key_message(model, location)
    if kind in {"string_type"}:
        return f"expected text, found {_describe(value)}"
    if kind == "list_type":
        return f"expected a list, found {_describe(value)}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        if location and isinstance(location[-1], int):  # a list item: text, or {text, pictogram}
            return f"expected text, found {_describe(value)}"
        return f"expected keys and values, found {_describe(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"text is too long ({len(value):,} characters; at most {ctx.get('max_length'):,})"
    if kind == "too_short":
        return "needs at least one entry"
    if kind in {"date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact"}:
        return f"'{value}' is not a valid date; write it as YYYY-MM-DD"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"expected a whole number, found {_describe(value)}"
    if kind == "literal_error":
        return f"'{value}' is not allowed; expected {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        return f"'{value}' is not in the expected form ({_pattern_hint(location)})"
    if kind == "greater_than_equal":
        return f"{value} is out of range (at least {ctx.get('ge')})"
    if kind in {"greater_than", "less_than_equal"}:
        return f"{value} is out of range"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]


def _unknown_key_message(model: type[BaseModel], location: Location) -> str:
    key = str(location[-1])
    known = _known_keys(model, location[:-1])
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else f" (known keys: {', '.join(known)})"
    return f"unknown key '{key}'{hint}"


def _known_keys(model: type[BaseModel], location: Location) -> list[str]:
    current: Any = model
    for part in location:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if field is None:
            return []
        current = _inner_model(field.annotation)
    return list(current.model_fields) if hasattr(current, "model_fields") else []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) + tuple(getattr(annotation, "__metadata__", ())):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _pattern_hint(location: Location) -> str:
    hints = {
        "id": "lowercase letters, digits and hyphens",
        "version": 'like "1.0"',
        "accent_colour": "like #1f4e79",
        "emergency": "digits, like 911",
        "languages": "a language code like en, es or zh_Hans",
    }
    for part in reversed(location):
        if isinstance(part, str) and part in hints:
            return hints[part]
    return "letters and digits"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "yes/no (put text in quotes)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "keys and values"
    if value is None:
        return "nothing"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return "text"


class Project:
    """A project folder: ``content/``, ``templates/`` and ``locales/`` under one root."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.content = self.root / "content"
        self.templates = self.root / "templates"
        self.locales = self.root / "locales"
        self.dist = self.root / "dist"
        self.fonts = self.templates / "fonts"
        self._records = RecordCache(self.root)
        self._folders: dict[Path, bool] = {}

    def record_path(self, procedure_id: str) -> Path:
        """Where the record of ``procedure_id`` is, or would be: ``content/procedures/<id>.yaml``."""
        return self.content / "procedures" / f"{procedure_id}.yaml"

    def load_red_flags(self) -> RedFlags | None:
        """The shared list of red-flag signs, ``content/red_flags.yaml``, if the project has one."""
        path = self.content / "red_flags.yaml"
        return load_red_flags(self._inside(path)) if path.is_file() else None

    def dist_for(self, clinic_id: str) -> Path:
        """Where a clinic's leaflets are built: ``dist/<clinic>/``."""
        return self.dist / clinic_id

    def procedure_paths(self) -> list[Path]:
        return self._content_files("procedures")[0]

    def clinic_paths(self) -> list[Path]:
        return self._content_files("clinics")[0]

    def procedure_ids(self) -> list[str]:
        return [path.stem for path in self.procedure_paths()]

    def load_procedure(self, procedure_id: str) -> Procedure:
        return self._load_procedure(self._find("procedure", "procedures", procedure_id, self.procedure_ids))

    def load_clinic(self, clinic_id: str) -> Clinic:
        return self._load_clinic(self._find("clinic", "clinics", clinic_id, lambda: [p.stem for p in self.clinic_paths()]))

    def load_all_procedures(self) -> list[Procedure]:
        """Every record, or every problem of every record at once."""
        return _all_or_errors(self.load_each_procedure())

    def load_all_clinics(self) -> list[Clinic]:
        return _all_or_errors(self.load_each_clinic())

    def load_each_procedure(self) -> tuple[list[Procedure], list[LeafletError]]:
        """The records that are valid, and every problem of the others: one bad file stops only itself."""
        paths, errors = self._content_files("procedures")
        loaded, problems = _load_every(paths, self._load_procedure)
        return loaded, errors + problems

    def load_each_clinic(self) -> tuple[list[Clinic], list[LeafletError]]:
        paths, errors = self._content_files("clinics")
        loaded, problems = _load_every(paths, self._load_clinic)
        return loaded, errors + problems

    def _content_files(self, folder: str) -> tuple[list[Path], list[LeafletError]]:
        """The folder's ``*.yaml`` files that can be content files, and one error for each that cannot."""
        paths: list[Path] = []
        errors: list[LeafletError] = []
        for path in sorted((self.content / folder).glob("*.yaml")):
            if not path.is_file():
                errors.append(ContentError(NOT_A_FILE, path))
            elif not re.fullmatch(ID_PATTERN, path.stem):
                errors.append(ContentError(
                    f"the file name is the id, so it may hold only lowercase letters, digits and hyphens "
                    f"(such as {_suggested_id(path.stem)}.yaml)", path))
            else:
                paths.append(path)
        return paths, errors

    def _load_procedure(self, path: Path) -> Procedure:
        """A record, from the cache when none of its files changed since it was last read."""
        path = self._inside(path)
        procedure = _from_cache(self._records.get(path), path)
        if procedure is None:
            inputs: list[Identity | None] = []
            procedure = load_procedure(path, self.root, inputs)
            self._records.put(path, inputs, procedure.model_dump(mode="json"))
        return procedure

    def _load_clinic(self, path: Path) -> Clinic:
        return load_clinic(self._inside(path), self.procedure_ids())

    def _inside(self, path: Path) -> Path:
        """``path``, if the file really lies in the project: a link to a file elsewhere is refused."""
        if not path.is_symlink() and self._folder_inside(path.parent):
            return path  # a plain file in a folder that lies in the project: nothing to follow
        target = path.resolve()
        if not is_inside(target, self.root):
            raise ContentError(f"is a link to '{target}', outside the project; copy the file in instead", path, 1)
        return path

    def _folder_inside(self, folder: Path) -> bool:
        """Whether ``folder``, once its links are followed, lies in the project (asked once per folder)."""
        if folder not in self._folders:
            self._folders[folder] = is_inside(folder, self.root)
        return self._folders[folder]

    def _find(self, kind: str, folder: str, wanted: str, known: Callable[[], list[str]]) -> Path:
        path = self.content / folder / f"{wanted}.yaml"
        if re.fullmatch(ID_PATTERN, wanted) and path.is_file():
            return path
        names = known()
        close = difflib.get_close_matches(wanted, names, n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(names) or 'none'}"
        raise NotFoundError(f"no {kind} '{wanted}' in {self.content / folder}{hint}")


def _load_every(paths: list[Path], load: Any) -> tuple[list[Any], list[LeafletError]]:
    loaded: list[Any] = []
    errors: list[LeafletError] = []
    for path in paths:
        try:
            loaded.append(load(path))
        except LeafletError as exc:
            errors.extend(exc.errors)
    return loaded, errors


def _all_or_errors(loaded_and_errors: tuple[list[Any], list[LeafletError]]) -> list[Any]:
    loaded, errors = loaded_and_errors
    if errors:
        raise LeafletErrors(errors)
    return loaded


def _suggested_id(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64] or "procedure"

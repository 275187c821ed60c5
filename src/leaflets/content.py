"""The procedure record and clinic models, loaded from YAML and validated.

The top-level keys of a record are the contract with content authors (see the
README): keep them stable. Every problem of a file is reported at once, each as
``path:line: field.path: message``.
"""

from __future__ import annotations

import difflib
import os
import re
from datetime import date, datetime, timezone
from pathlib import Path
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

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

from .cache import Identity, RecordCache, identity
from .errors import ContentError, LeafletError, LeafletErrors, NotFoundError, UsageError
from .paths import is_inside
from .yamlfile import NOT_A_FILE, Location, YamlDocument, dotted, read_yaml

MAX_TEXT = 2000
MAX_PAGES = 40  # a patient leaflet; today's longest is 10 pages in large print
LARGE_PRINT_SUFFIX = "-large-print"  # dist/<clinic>/<lang>/<id>-large-print.pdf
PICTOGRAMS = ("no-food-drink", "no-driving", "medicines", "wound-care", "phone-help")
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(Strict):
    """A list entry that may carry a pictogram: plain text, or ``{text, pictogram}``."""

    text: Text
    pictogram: Literal[PICTOGRAMS] | None = None  # type: ignore[valid-type]


def _text_to_item(value: Any) -> Any:
    return {"text": value} if isinstance(value, str) else value


PictogramItem = Annotated[Item, BeforeValidator(_text_to_item)]
TextList = Annotated[list[Text], Field(min_length=1)]
ItemList = Annotated[list[PictogramItem], Field(min_length=1)]


class Duration(Strict):
    min_minutes: Annotated[int, Field(gt=0, le=24 * 60 * 14)]
    max_minutes: Annotated[int, Field(gt=0, le=24 * 60 * 14)]

    @model_validator(mode="after")
    def _ordered(self) -> Duration:
        if self.max_minutes < self.min_minutes:
            raise ValueError("max_minutes must not be less than min_minutes")
        return self


class WhatToExpect(Strict):
    steps: TextList
    duration: Duration
    setting: Text
    team: TextList
    sensations: TextList


class Risks(Strict):
    common: TextList
    rare: TextList


class Alternative(Strict):
    name: Text
    description: Text


class WhenToGetHelp(Strict):
    urgent: ItemList
    call_us: ItemList


class GlossaryEntry(Strict):
    term: Text
    meaning: Text


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
    title: Text
    also_called: list[Text] = []
    codes: dict[Literal["cpt", "hcpcs", "icd10pcs", "snomed"], Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.]{1,12}$")]] = {}
    summary: Text
    purpose: Text | None = None
    indications: list[Text] = []
    preparation: ItemList
    what_to_expect: WhatToExpect
    recovery: ItemList
    risks: Risks
    benefits: list[Text] = []
    alternatives: Annotated[list[Alternative], Field(min_length=1)]
    when_to_get_help: WhenToGetHelp
    questions_to_ask: list[Text] = []
    glossary: list[GlossaryEntry] = []
    review: Review
    sources: list[Text] = []

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

    def is_out_of_date(self, today: date | None = None) -> bool:
        """Past its review date on ``today`` (by default the build day, see ``build_day``)."""
        return self.review.review_due < (today or build_day())


class Phones(Strict):
    daytime: Text
    out_of_hours: Text | None = None


class Clinic(Strict):
    """What belongs to the clinic, not the procedure: changing it changes every leaflet."""

    id: Identifier
    name: Text
    address: list[Text] = []
    phones: Phones
    emergency: Annotated[str, StringConstraints(pattern=r"^[0-9+ ()-]{2,20}$")]
    website: Text | None = None
    logo: Text | None = None
    accent_colour: Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")] = "#1f4e79"
    paper: Literal["letter", "A4"] = "letter"
    reading_grade_max: Annotated[float, Field(ge=3, le=16)] = 8
    languages: Annotated[list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$")]], Field(min_length=1)] = ["en"]

    logo_path: Path | None = Field(default=None, exclude=True)

    @property
    def logo_uri(self) -> str | None:
        """The logo's address for templates, which may not touch paths themselves."""
        return self.logo_path.as_uri() if self.logo_path else None

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
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()
    except (OverflowError, OSError, ValueError):
        raise UsageError(problem) from None


ModelT = TypeVar("ModelT", bound=BaseModel)


def load_procedure(path: Path, inputs: list[Identity | None] | None = None) -> Procedure:
    """Read and validate one record; raise ``LeafletErrors`` listing every problem.

    ``inputs`` receives the identity of every file the record is read from, each taken before
    the file is read (see ``cache.py``): a file the record includes belongs there too.
    """
    if inputs is not None:
        inputs.append(identity(path))
    return _validate(Procedure, read_yaml(path))


def _from_cache(data: Any, path: Path) -> Procedure | None:
    """A cached record, validated again: an entry is never trusted as it stands."""
    if not isinstance(data, dict) or data.get("id") != path.stem:
        return None
    try:
        return Procedure.model_validate(data)
    except ValidationError:
        return None


def load_clinic(path: Path) -> Clinic:
    """Read and validate one clinic file; its logo must exist beside it."""
    document = read_yaml(path)
    clinic = _validate(Clinic, document)
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


def _raise_at(document: YamlDocument, location: Location, message: str) -> None:
    raise LeafletErrors([ContentError(message, document.path, document.line_of(location))])


def _validate(model: type[ModelT], document: YamlDocument) -> ModelT:
    if not isinstance(document.data, dict):
        raise LeafletErrors(
            [ContentError("expected keys and values (such as 'id: ...') at the top level", document.path, 1)]
        )
    errors = _id_mismatch(document)
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
    return part.startswith("function-") or part in {"Item", "str", "constrained-str", "date", "int"}


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
            procedure = load_procedure(path, inputs)
            self._records.put(path, inputs, procedure.model_dump(mode="json"))
        return procedure

    def _load_clinic(self, path: Path) -> Clinic:
        return load_clinic(self._inside(path))

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

"""HTML for one leaflet: the Jinja2 environment and what the template is given.

Templates are looked up in the clinic's own folder first
(``templates/clinics/<clinic>/``), then in ``templates/``, so a clinic can
override one template without forking ours.
"""

from __future__ import annotations

import gettext
import signal
import threading
import traceback
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path, PurePath
from types import ModuleType
from typing import Any, cast

import jinja2
from babel import Locale
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape
from pydantic import BaseModel

from leaflets.errors import TemplateProblem
from leaflets.language.i18n import SOURCE_LANGUAGE, Language, isolate_record, tracking_misses, translate_record
from leaflets.model.approvals import Standing
from leaflets.model.characters import isolated
from leaflets.model.clinic import Clinic
from leaflets.model.policies import Policies
from leaflets.model.record import Procedure
from leaflets.paths import is_inside
from leaflets.render.details import MAX_NOTE_LINES as MAX_NOTE_LINES
from leaflets.render.details import MULTILINE as MULTILINE
from leaflets.render.details import NO_PATIENT as NO_PATIENT
from leaflets.render.details import PatientDetails as PatientDetails
from leaflets.render.details import PersonalError as PersonalError
from leaflets.render.details import parse_personal as parse_personal
from leaflets.render.qr import web_version, web_version_tokens
from leaflets.render.risks import risk_section
from leaflets.render.tokens import clinic_tokens, field_tokens

TEMPLATE = "leaflet.html"
STYLESHEET = "leaflet.css"


@dataclass(frozen=True)
class Leaflet:
    """Everything one PDF depends on."""

    procedure: Procedure
    clinic: Clinic
    language: Language
    large_print: bool = False
    personal: PatientDetails = NO_PATIENT
    today: date | None = None

    @property
    def out_of_date(self) -> bool:
        return self.procedure.is_out_of_date(self.today)


def template_folders(templates: Path, clinic_id: str | None = None) -> list[Path]:
    """Where templates are looked up: the clinic's own folder first, then ours."""
    own = templates / "clinics" / clinic_id if clinic_id else None
    return ([own] if own is not None and own.is_dir() else []) + [templates]


def template_file(templates: Path, clinic_id: str | None, name: str) -> Path:
    """The file ``name`` as the clinic sees it: its own copy if it has one."""
    return next(f / name for f in template_folders(templates, clinic_id) if (f / name).is_file())


MAX_HTML_CHARS = 5_000_000  # a leaflet is about 40,000; more means a template runs away
MAX_REPEAT = 100_000
MAX_NUMBER_BITS = 4_096
TEMPLATE_SECONDS = 10.0  # a leaflet's HTML takes a few milliseconds
BASE_PREFIX = "base"  # a clinic's template extends ours as "base/leaflet.html"


class LeafletSandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, a little stricter, for every template, a clinic's own included.

    A template sees the leaflet's data and the formatting helpers; it cannot reach
    Python internals, files, catalogs or a model's methods, change what it is
    given, or build a string big enough to exhaust memory.
    """

    intercepted_binops = frozenset({"*", "**"})
    clinic_templates = Path("templates/clinics")  # set by make_environment

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(value, _HIDDEN_TYPES):
            return False
        known = _SAFE_ON_TYPE.get((type(obj), attr))
        if known is None:
            known = _SAFE_ON_TYPE[type(obj), attr] = self._safe_on(obj, attr, value)
        return known

    def _safe_on(self, obj: Any, attr: str, value: Any) -> bool:
        """Whether ``attr`` may be read on objects of ``obj``'s type: this depends on the type alone."""
        if isinstance(obj, _HIDDEN_TYPES):
            return False
        if isinstance(obj, BaseModel) and (attr in _PYDANTIC_API or _is_internal_field(obj, attr)):
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and _power_bits(left, right) > MAX_NUMBER_BITS:
            raise SecurityError("makes a number too large to print")
        if operator == "*" and _repeat_size(left, right) > MAX_REPEAT:
            raise SecurityError(f"repeats text or a list more than {MAX_REPEAT:,} times over")
        return super().call_binop(context, operator, left, right)


_HIDDEN_TYPES = (PurePath, gettext.NullTranslations, Locale, ModuleType, type)
_PYDANTIC_API = frozenset(dir(BaseModel))
_SAFE_ON_TYPE: dict[tuple[type, str], bool] = {}  # (type, attribute): a page of 2,000 rows reads 30,000 attributes


def _is_internal_field(model: BaseModel, attr: str) -> bool:
    """Fields left out of a model's data (a clinic's resolved logo path) are not for templates."""
    field = type(model).model_fields.get(attr)
    return field is not None and bool(field.exclude)


def _power_bits(base: Any, exponent: Any) -> float:
    if not isinstance(base, (int, float)) or not isinstance(exponent, (int, float)):
        return 0
    return abs(exponent) * max(abs(int(base)).bit_length(), 1)


def _repeat_size(left: Any, right: Any) -> int:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
            return len(sequence) * count
    return 0


class _TemplateLoader(jinja2.FileSystemLoader):
    """Reads only files that really lie in the templates folder (no links out of it)."""

    def __init__(self, folders: list[Path], root: Path):
        super().__init__([str(folder) for folder in folders])
        self.root = root.resolve()

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        if not is_inside(filename, self.root):
            raise TemplateProblem(f"is a link to '{Path(filename).resolve()}', outside the templates folder", filename, 1)
        return source, filename, uptodate


class _CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled once per process, not once per language. Every environment that speaks a
    language compiles alike (the same sandbox, options, filters and gettext style), so each may run the
    code another compiled. Jinja keys an entry by the template's name and file, and uses it only for the
    same source."""

    LIMIT = 64  # templates: a process that builds many projects (the tests do) starts again past it

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if len(self._code) >= self.LIMIT:
            self._code.clear()
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def make_environment(
    templates: Path, clinic_id: str | None = None, language: Language | None = None
) -> LeafletSandbox:
    """The sandboxed Jinja2 environment: autoescaped, strict about undefined names, with gettext
    speaking ``language`` (English when none is given). Rendering never changes it.

    Names are looked up in the clinic's own folder first; ``base/<name>`` is
    always ours, so a clinic's ``leaflet.html`` can extend ours and replace blocks.
    """
    ours = _TemplateLoader([templates], templates)
    environment = LeafletSandbox(
        loader=jinja2.ChoiceLoader([
            _TemplateLoader(template_folders(templates, clinic_id), templates),
            jinja2.PrefixLoader({BASE_PREFIX: ours}),
        ]),
        bytecode_cache=_COMPILED if language is not None else None,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.clinic_templates = templates.resolve() / "clinics"
    environment.filters["css_content"] = css_content
    environment.filters["as_typed"] = isolated
    environment.globals.update(PAGE=PAGE_NUMBER, PAGES=PAGE_COUNT)
    if language is not None:
        _install_language(environment, language)
    return environment


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop a template that loops without end (signals reach the main thread only; elsewhere, no limit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise SecurityError(f"took longer than {seconds:g} s to render")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def render_template(environment: LeafletSandbox, name: str, max_chars: int = MAX_HTML_CHARS, **context: Any) -> str:
    """Render ``name``; a template's mistake becomes one ``TemplateProblem`` naming its file and line.

    ``max_chars``: the most HTML it may make (a page that lists a whole library may need more
    than a leaflet)."""
    try:
        with time_limit(TEMPLATE_SECONDS):
            return _render_bounded(environment, name, context, max_chars)
    except TemplateProblem:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"template error: {exc.message}", exc.filename, exc.lineno) from None
    except (jinja2.TemplateError, RecursionError) as exc:
        raise _located(exc, name) from None
    except Exception as exc:  # a clinic's template may divide by zero; our own must not
        where = _template_frame(exc)
        if where is None or not is_inside(where[0], environment.clinic_templates):
            raise
        raise _located(exc, name) from None


def _render_bounded(environment: jinja2.Environment, name: str, context: dict[str, Any], max_chars: int) -> str:
    chunks, size = [], 0
    output = cast(Generator[str, None, None], environment.get_template(name).generate(**context))
    for chunk in output:
        size += len(chunk)
        if size > max_chars:  # thrown in where the template is, so the error names its line
            output.throw(SecurityError(f"makes more than {max_chars:,} characters of HTML"))
        chunks.append(chunk)
    return "".join(chunks)


def _located(exc: BaseException, name: str) -> TemplateProblem:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, RecursionError):
        message = "calls itself without end"
    path, line = _template_frame(exc) or (name, None)
    return TemplateProblem(f"template error: {message}", path, line)


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """The file and line of the innermost template frame of a traceback (Jinja rewrites them)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".css"))]
    return (frames[-1].filename, frames[-1].lineno or 1) if frames else None


@dataclass(frozen=True)
class Page:
    """A leaflet's HTML as its template made it, with tokens for the values an approval does not cover
    (``render.tokens``); those values; and the messages it asked for that its language has no
    translation of, in order."""

    html: str
    untranslated: tuple[str, ...]
    values: dict[str, str] = field(default_factory=dict)


def render_html(leaflet: Leaflet, environment: LeafletSandbox) -> Page:
    """The leaflet as HTML, in an environment made for its clinic and language (``make_environment``):
    rendered once, with no release state and with tokens for the clinic's and patient's details."""
    values: dict[str, str] = {}
    with tracking_misses() as untranslated:
        html = render_template(environment, TEMPLATE, **leaflet_context(leaflet, values))
    return Page(html, tuple(untranslated), values)


def leaflet_context(leaflet: Leaflet, values: dict[str, str]) -> dict[str, Any]:
    """What a printed leaflet's template is given: the translated record, and tokens for what an approval
    does not cover (their values go into ``values``); nothing about its release. Strings it cannot
    translate are noted by the caller's ``tracking_misses``."""
    language = leaflet.language
    clinic = clinic_tokens(leaflet.clinic, values)
    personal = leaflet.personal
    appointment = language.datetime(personal.appointment) if personal.appointment else None
    typed = {**{name: getattr(personal, name) for name in PatientDetails.text_limits()}, "appointment": appointment}
    fasting = fasting_times(leaflet.procedure, leaflet.clinic.policies, personal.appointment, language)
    return dict(
        **_record_context(leaflet, with_review=False),
        written_on=leaflet.procedure.review.written_on.isoformat(),  # the PDF's metadata
        clinic=clinic,
        feedback=clinic.feedback or clinic.phones.daytime,
        personal={name: field_tokens(f"personal.{name}", value, values) for name, value in typed.items()},
        fasting=fasting and {name: field_tokens(f"fasting.{name}", value, values) for name, value in fasting.items()},
        **web_version_tokens(leaflet.clinic),
    )


def web_context(leaflet: Leaflet, standing: Standing) -> dict[str, Any]:
    """What a leaflet's web version is given (``render.web_page``): its record as the PDF has it, the
    clinic's details, and its release. Strings it cannot translate are noted by ``tracking_misses``."""
    return dict(
        **_record_context(leaflet),
        clinic=leaflet.clinic,
        feedback=leaflet.clinic.feedback or leaflet.clinic.phones.daytime,
        out_of_date=leaflet.out_of_date,
        release=standing,
        fingerprint=standing.code,
        **web_version(leaflet.clinic, leaflet.language.code, leaflet.procedure.id,
                      standing.code if standing.released else None),
    )


def _record_context(leaflet: Leaflet, with_review: bool = True) -> dict[str, Any]:
    """The translated record; ``with_review``: with its review (version, dates, status), which a printed
    leaflet's template is not given: its release lines are ours (``render.release``)."""
    language, procedure = leaflet.language, leaflet.procedure
    data = procedure.model_dump(mode="json")
    if not with_review:
        data.pop("review")
        procedure = procedure.model_copy(update={"review": None})
    record = translate_record(data, language, policies=leaflet.clinic.policies.model_dump())
    printed = isolate_record(record)
    return dict(
        record=printed,
        risks=risk_section(leaflet.procedure.risks, [risk["text"] for risk in printed["risks"]], language.direction == "rtl"),
        plain=record,  # for what is not laid out as text: the document's title and description
        procedure=procedure,
        language=language,
        translated=language.code != SOURCE_LANGUAGE,
        large_print=leaflet.large_print,
    )


def fasting_times(procedure: Procedure, policies: Policies, appointment: datetime | None,
                  language: Language) -> dict[str, str | None] | None:
    """When a leaflet with the fasting block says to stop eating and drinking: clock times from the
    appointment and the clinic's hours, or no times (the leaflet prints lines to write them on)."""
    if "fasting" not in procedure.blocks:
        return None
    if appointment is None:
        return {"food": None, "fluids": None}
    food = appointment - timedelta(hours=policies.fasting_food_hours)
    fluids = appointment - timedelta(hours=policies.fasting_clear_fluids_hours)
    return {"food": language.clock(food, appointment.date()), "fluids": language.clock(fluids, appointment.date())}


def _install_language(environment: jinja2.Environment, language: Language) -> None:
    """Make ``_()``, ``| isolate`` and ``| bdi`` speak ``language``.

    Translations are escaped like any other text: a catalog is input from many
    hands, so markup in a translation is printed, never interpreted.
    """
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: escape(language.gettext(message)),
        ngettext=lambda singular, plural, n: escape(language.ngettext(singular, plural, n)),
        newstyle=True,
    )
    rtl = language.direction == "rtl"
    environment.filters["isolate"] = (lambda text: isolated(str(text))) if rtl else str
    environment.filters["bdi"] = lambda text: bdi(text, rtl)


PAGE_NUMBER, PAGE_COUNT = "\x01", "\x02"
_CSS_COUNTERS = {PAGE_NUMBER: "counter(page)", PAGE_COUNT: "counter(pages)"}


def css_content(text: str) -> Markup:
    """``text`` as the value of a CSS ``content`` property, page counters included."""
    if isinstance(text, Markup):
        text = text.unescape()
    tokens, current = [], ""
    for ch in text:
        if ch in _CSS_COUNTERS:
            tokens += [_css_string(current), _CSS_COUNTERS[ch]]
            current = ""
        else:
            current += ch
    tokens.append(_css_string(current))
    return Markup(" ".join(tokens))


def _css_string(text: str) -> str:
    """A quoted CSS string; anything but letters, digits and plain punctuation is escaped."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;-_()/·" else f"\\{ord(ch):x} " for ch in text)
    return f'"{escaped}"'


def bdi(text: str, rtl: bool = False) -> Markup:
    """A phone number or code, isolated so right-to-left text cannot reorder its digits.

    WeasyPrint does not apply ``unicode-bidi: isolate``, so in right-to-left
    leaflets the isolation is done with the Unicode characters LRI and PDI.
    """
    if rtl:
        text = isolated(text, "ltr")
    return Markup('<bdi class="phone" dir="ltr">%s</bdi>') % text

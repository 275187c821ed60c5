"""HL7 Context-Aware Knowledge Retrieval ("Infobutton"): the URL-based knowledge request and its
Atom, JSON or HTML knowledge response, as MedlinePlus Connect answers them.

An EHR links from an order: ``/infobutton?mainSearchCriteria.v.c=36836&mainSearchCriteria.v.cs=
2.16.840.1.113883.6.12&informationRecipient.languageCode.c=es``. The answer is an Atom feed whose
entries link to the prefilled form and to the PDF in the patient's language. The request's context
is echoed as feed categories (scheme: the parameter's name; term: its value), as the
specification's responses do. Any code a record lists finds its leaflet, in any of the code systems
of ``model/codes.py``. A language we print no leaflet in (or a translation not ready) is answered in
English, with a note saying so. A code no record lists, with a display name (``.v.dn``) or original
text (``.v.ot``), is looked up by that name; with neither it is an empty feed. A malformed request is
a 400. ``knowledgeResponseType=text/html`` is a plain page of links an EHR's browser pane can show.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from leaflets.errors import json_visible
from leaflets.language.i18n import Language
from leaflets.model.characters import unprintable
from leaflets.model.codes import LABEL, OIDS, Codes, covers, system_named
from leaflets.model.record import Procedure

CODE_SYSTEMS = OIDS  # code systems by their HL7 OIDs, to the names records use in ``codes``
RESPONSE_TYPES = {"text/xml": "text/xml", "application/atom+xml": "application/atom+xml",
                  "application/json": "application/json", "text/html": "text/html"}
MAX_PARAMETER = 200
ATOM = "http://www.w3.org/2005/Atom"


class BadRequest(ValueError):
    """A knowledge request the specification does not allow: answered with 400 and this text."""


@dataclass(frozen=True)
class KnowledgeRequest:
    codes: tuple[tuple[str, str], ...]  # (code system OID, code) of every mainSearchCriteria
    language: str | None  # informationRecipient's language code as sent, e.g. "es" or "en-US"
    response_type: str
    context: tuple[tuple[str, str], ...]  # every parameter, echoed as categories
    names: tuple[str, ...] = ()  # the criteria's display names (.v.dn) and original text (.v.ot)


def parse_request(args: Any) -> KnowledgeRequest:
    """Read the URL parameters (a Werkzeug MultiDict or a plain mapping)."""
    items: list[tuple[str, str]] = list(args.items(multi=True)) if hasattr(args, "getlist") else list(dict(args).items())
    for name, value in items:
        if len(name) > MAX_PARAMETER or len(value) > MAX_PARAMETER:
            raise BadRequest("a parameter is too long")
        if unprintable(name) or unprintable(value):  # echoed into XML, JSON and HTML: refused, never passed on
            raise BadRequest("a parameter holds a control, bidi or invisible formatting character")
    values: dict[str, list[str]] = {}
    for name, value in items:
        values.setdefault(name, []).append(value.strip())
    codes = _search_codes(values)
    language = _one(values, "informationRecipient.languageCode.c", "informationRecipient.languageCode.v.c",
                    "informationRecipient.language.c")
    response_type = _one(values, "knowledgeResponseType") or "application/atom+xml"
    if response_type not in RESPONSE_TYPES:
        raise BadRequest(f"knowledgeResponseType must be one of {', '.join(RESPONSE_TYPES)}")
    names = tuple(value for name, given in values.items() if name.startswith("mainSearchCriteria")
                  and name.endswith((".v.dn", ".v.ot")) for value in given if value)
    return KnowledgeRequest(tuple(codes), language, response_type, tuple((n, v) for n, v in items if v.strip()), names)


def _search_codes(values: dict[str, list[str]]) -> list[tuple[str, str]]:
    """mainSearchCriteria.v.c with .v.cs; several criteria may be numbered (mainSearchCriteria0.v.c …)."""
    codes = []
    prefixes = sorted({name.split(".", 1)[0] for name in values if name.startswith("mainSearchCriteria")})
    for prefix in prefixes:
        code, system = _one(values, f"{prefix}.v.c"), _one(values, f"{prefix}.v.cs")
        if code is None and system is None:
            continue
        if not code or not system:
            raise BadRequest(f"{prefix}.v.c and {prefix}.v.cs must be given together")
        codes.append((system, code))
    if not codes:
        raise BadRequest("mainSearchCriteria.v.c and mainSearchCriteria.v.cs are required")
    return codes


def _one(values: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        given = values.get(name)
        if given:
            if len(given) > 1:
                raise BadRequest(f"{name} is given more than once")
            return given[0]
    return None


def served_language(asked: KnowledgeRequest, languages: Mapping[str, object]) -> str | None:
    """Our language code for the request's (en when it names none), or None if we have no leaflets in it."""
    if asked.language is None:
        return "en" if "en" in languages else None
    wanted = asked.language.replace("-", "_")
    by_lower = {code.lower(): code for code in languages}
    for candidate in (wanted, wanted.split("_")[0], {"zh_cn": "zh_Hans", "zh_sg": "zh_Hans", "zh": "zh_Hans"}.get(
            wanted.lower(), "")):
        if candidate.lower() in by_lower:
            return by_lower[candidate.lower()]
    return None


def matches(asked: KnowledgeRequest, record_codes: Codes) -> bool:
    """Whether a record lists one of the requested codes, in its code system (any case, dots ignored)."""
    return any(covers(record_codes, system_named(system), code) for system, code in asked.codes)


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    summary: str
    lang: str
    updated: date
    form: str  # the prefilled form, in the patient's language
    pdf: str  # the leaflet's PDF in that language
    note: str | None = None  # why it is not in the language asked for, or not found by the code


def language_note(asked: str, served: str) -> str:
    return f"No leaflet ready in the language asked for ({asked}): this one is in {served}."


NAME_NOTE = "Found by the name given, not by the code."


def find_entries(asked: KnowledgeRequest, procedures: Mapping[str, Procedure], codes: Mapping[str, Codes],
                 languages: Mapping[str, Language], ready: Callable[[Procedure, str], bool],
                 links: Callable[[str, str], tuple[str, str]], by_name: Callable[[str], list[str]]) -> list[FeedEntry]:
    """The leaflets that answer a request, each in the language asked for when it is ready in it, else in
    English with a note. ``procedures``: the records by id (only those found are read); ``codes``: each
    record's codes by id; ``ready(procedure, lang)``: whether its translation can be printed; ``links(id,
    lang)``: its form and PDF addresses; ``by_name(text)``: leaflet ids a search for the text finds, best first."""
    lang = served_language(asked, languages)
    found_ids = [leaflet_id for leaflet_id, its_codes in codes.items() if matches(asked, its_codes)]
    note = None
    if not found_ids and asked.names:
        first = next((ids[0] for ids in map(by_name, asked.names) if ids), None)
        if first is not None and first in codes:
            found_ids, note = [first], NAME_NOTE
    entries = []
    for procedure in (procedures[leaflet_id] for leaflet_id in found_ids):
        served, why = lang, note
        if served is None or not ready(procedure, served):
            served = "en"
            why = " ".join(filter(None, [language_note(asked.language or "en", "English"), note]))
        language = languages[served]
        form, pdf = links(procedure.id, served)
        entries.append(FeedEntry(id=procedure.id, title=language.gettext(procedure.title),
                                 summary=language.gettext(procedure.summary), lang=language.html_lang,
                                 updated=procedure.review.written_on, form=form, pdf=pdf, note=why))
    return entries


def respond(asked: KnowledgeRequest, entries: list[FeedEntry], author: str, self_url: str) -> tuple[str, str]:
    """The knowledge response: (body, mimetype)."""
    updated = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    feed_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, self_url)}"
    if asked.response_type == "application/json":
        return json_text(_json_feed(asked, entries, author, updated, feed_id)), "application/json"
    if asked.response_type == "text/html":
        return _html_page(asked, entries, author), "text/html"
    return _atom_feed(asked, entries, author, updated, feed_id), asked.response_type


def json_text(value: Any) -> str:
    """JSON as text, non-ASCII letters as they are and every control, bidi or invisible character
    escaped (``\\u202e``): JSON's own escaping leaves all but the C0 controls raw."""
    return json_visible(json.dumps(value, ensure_ascii=False))


def _atom_feed(asked: KnowledgeRequest, entries: list[FeedEntry], author: str, updated: str, feed_id: str) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<feed xmlns="{ATOM}" xml:lang="en">',
             '<title type="text">Patient leaflets</title>',
             f'<subtitle type="text">Leaflets for {escape(_codes_text(asked))}</subtitle>',
             f"<author><name>{escape(author)}</name></author>", f"<updated>{updated}</updated>", f"<id>{feed_id}</id>"]
    lines += [f"<category scheme={quoteattr(name)} term={quoteattr(value)}/>" for name, value in asked.context]
    for entry in entries:
        lines += [
            f'<entry xml:lang="{escape(entry.lang)}">',
            f'<title type="text">{escape(entry.title)}</title>',
            f'<link rel="alternate" type="text/html" hreflang="{escape(entry.lang)}" title="Form" href={quoteattr(entry.form)}/>',
            f'<link rel="enclosure" type="application/pdf" hreflang="{escape(entry.lang)}" title="PDF" '
            f"href={quoteattr(entry.pdf)}/>",
            f"<id>tag:leaflets,{entry.updated.isoformat()}:{escape(entry.id)}/{escape(entry.lang)}</id>",
            f"<updated>{entry.updated.isoformat()}T00:00:00Z</updated>",
            f'<summary type="text">{escape(entry.summary)}</summary>',
            *([f'<content type="text" xml:lang="en">{escape(entry.note)}</content>'] if entry.note else []),
            "</entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def _json_feed(asked: KnowledgeRequest, entries: list[FeedEntry], author: str, updated: str, feed_id: str) -> dict[str, Any]:
    """The same feed as JSON, in the shape MedlinePlus Connect uses (``{"_value": ...}`` for text)."""
    return {"feed": {
        "lang": "en",
        "title": {"_value": "Patient leaflets", "type": "text"},
        "subtitle": {"_value": f"Leaflets for {_codes_text(asked)}", "type": "text"},
        "author": {"name": {"_value": author}},
        "updated": {"_value": updated},
        "id": {"_value": feed_id},
        "category": [{"scheme": name, "term": value} for name, value in asked.context],
        "entry": [{
            "lang": entry.lang,
            "title": {"_value": entry.title, "type": "text"},
            "link": [{"href": entry.form, "rel": "alternate", "type": "text/html", "hreflang": entry.lang, "title": "Form"},
                     {"href": entry.pdf, "rel": "enclosure", "type": "application/pdf", "hreflang": entry.lang,
                      "title": "PDF"}],
            "id": {"_value": f"tag:leaflets,{entry.updated.isoformat()}:{entry.id}/{entry.lang}"},
            "updated": {"_value": f"{entry.updated.isoformat()}T00:00:00Z"},
            "summary": {"_value": entry.summary, "type": "text"},
            **({"content": {"_value": entry.note, "type": "text", "lang": "en"}} if entry.note else {}),
        } for entry in entries],
    }}


def _codes_text(asked: KnowledgeRequest) -> str:
    return ", ".join(f"{LABEL[known] if (known := system_named(system)) else system} {code}" for system, code in asked.codes)


def _html_page(asked: KnowledgeRequest, entries: list[FeedEntry], author: str) -> str:
    """A plain page of the leaflets found, each in its own language and direction, for an EHR's browser pane."""
    items = []
    for entry in entries:
        rtl = entry.lang.split("-")[0] in ("ar", "fa", "he", "ur")
        note = f'<p lang="en" dir="ltr"><em>{escape(entry.note)}</em></p>' if entry.note else ""
        items.append(
            f'<li lang="{escape(entry.lang)}" dir="{"rtl" if rtl else "ltr"}"><h2>{escape(entry.title)}</h2>'
            f"<p>{escape(entry.summary)}</p>{note}"
            f'<p lang="en" dir="ltr"><a href={quoteattr(entry.form)}>Form (add the patient\'s details, then print)</a> · '
            f'<a href={quoteattr(entry.pdf)} type="application/pdf">PDF</a></p></li>')
    found = f"<ul>{''.join(items)}</ul>" if items else "<p>No patient leaflet for this code.</p>"
    return ("<!DOCTYPE html>\n"
            f'<html lang="en"><head><meta charset="utf-8"><title>Patient leaflets</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/page.css">'
            f"</head><body><main><h1>Patient leaflets</h1><p>Leaflets for {escape(_codes_text(asked))} · {escape(author)}</p>"
            f"{found}</main></body></html>\n")


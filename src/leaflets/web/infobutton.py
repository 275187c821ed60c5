"""HL7 Context-Aware Knowledge Retrieval ("Infobutton"): the URL-based knowledge request and its
Atom (or JSON) knowledge response, as MedlinePlus Connect answers them.

An EHR links from an order: ``/infobutton?mainSearchCriteria.v.c=36836&mainSearchCriteria.v.cs=
2.16.840.1.113883.6.12&informationRecipient.languageCode.c=es``. The answer is an Atom feed whose
entries link to the prefilled form and to the PDF in the patient's language. The request's context
is echoed as feed categories (scheme: the parameter's name; term: its value), as the
specification's responses do. An unknown code is an empty feed; a malformed request is a 400.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

# Code systems by their HL7 OIDs, to the names records use in ``codes``.
CODE_SYSTEMS = {
    "2.16.840.1.113883.6.12": "cpt",  # CPT-4
    "2.16.840.1.113883.6.285": "hcpcs",  # HCPCS Level II
    "2.16.840.1.113883.6.14": "hcpcs",  # HCPCS (all levels)
    "2.16.840.1.113883.6.4": "icd10pcs",  # ICD-10-PCS
    "2.16.840.1.113883.6.96": "snomed",  # SNOMED CT
}
RESPONSE_TYPES = {"text/xml": "text/xml", "application/atom+xml": "application/atom+xml",
                  "application/json": "application/json"}
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


def parse_request(args: Any) -> KnowledgeRequest:
    """Read the URL parameters (a Werkzeug MultiDict or a plain mapping)."""
    items = list(args.items(multi=True)) if hasattr(args, "getlist") else list(dict(args).items())
    for name, value in items:
        if len(name) > MAX_PARAMETER or len(value) > MAX_PARAMETER:
            raise BadRequest("a parameter is too long")
    values: dict[str, list[str]] = {}
    for name, value in items:
        values.setdefault(name, []).append(value.strip())
    codes = _search_codes(values)
    language = _one(values, "informationRecipient.languageCode.c", "informationRecipient.languageCode.v.c",
                    "informationRecipient.language.c")
    response_type = _one(values, "knowledgeResponseType") or "application/atom+xml"
    if response_type not in RESPONSE_TYPES:
        raise BadRequest(f"knowledgeResponseType must be one of {', '.join(RESPONSE_TYPES)}")
    return KnowledgeRequest(tuple(codes), language, response_type, tuple((n, v) for n, v in items if v.strip()))


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


def matches(asked: KnowledgeRequest, record_codes: Mapping[Any, str]) -> bool:
    """Whether a record carries one of the requested codes, in its code system (any case, dots ignored)."""
    def plain(code: str) -> str:
        return code.replace(".", "").casefold()

    return any(CODE_SYSTEMS.get(system) in record_codes and plain(record_codes[CODE_SYSTEMS[system]]) == plain(code)
               for system, code in asked.codes)


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    summary: str
    lang: str
    updated: date
    form: str  # the prefilled form, in the patient's language
    pdf: str  # the leaflet's PDF in that language


def respond(asked: KnowledgeRequest, entries: list[FeedEntry], author: str, self_url: str) -> tuple[str, str]:
    """The knowledge response: (body, mimetype)."""
    updated = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    feed_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, self_url)}"
    if asked.response_type == "application/json":
        return json.dumps(_json_feed(asked, entries, author, updated, feed_id), ensure_ascii=False), "application/json"
    return _atom_feed(asked, entries, author, updated, feed_id), asked.response_type


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
            f'href={quoteattr(entry.pdf)}/>',
            f"<id>tag:leaflets,{entry.updated.isoformat()}:{escape(entry.id)}/{escape(entry.lang)}</id>",
            f"<updated>{entry.updated.isoformat()}T00:00:00Z</updated>",
            f'<summary type="text">{escape(entry.summary)}</summary>',
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
        } for entry in entries],
    }}


def _codes_text(asked: KnowledgeRequest) -> str:
    return ", ".join(f"{CODE_SYSTEMS.get(system, system).upper()} {code}" for system, code in asked.codes)

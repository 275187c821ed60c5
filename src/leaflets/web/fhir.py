"""A read-only FHIR R4 door: each leaflet in each language as a DocumentReference.

    GET /fhir/metadata                                    the CapabilityStatement
    GET /fhir/DocumentReference?event=SYSTEM|CODE&language=es&status=current
    GET /fhir/DocumentReference/ID                        one leaflet in one language

A search answers a ``searchset`` Bundle, one resource per leaflet and language (a translation that
cannot be printed is left out). Each resource says: ``status`` (current: what is served is the
newest), ``docStatus`` (final for an approved release, translations signed off; preliminary for a
draft or a text changed since approval), its language, the leaflet's version, the procedure codes
(``context.event``, one CodeableConcept per code) and the PDF, the large-print PDF and the web
version as attachments with their address, title and, when the file is at hand (a current batch
build for the PDFs), its size and SHA-1 hash (base64, as R4 defines ``Attachment.hash``).

Search parameters (R4's for DocumentReference): ``event`` (token: ``system|code``, ``code`` or
``|code``; the system as a FHIR URI, ``urn:oid:`` or an OID), ``language`` (token: ``es``,
``zh-Hans``; ``zh`` finds ``zh-Hans``), ``status`` and ``_id``; several values comma-separated
mean any of them. Unknown parameters are ignored and left out of the Bundle's self link, as the
specification allows. Errors are OperationOutcomes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from leaflets.model.codes import LABEL, URI_OF, Codes, covers, every, plain, system_named
from leaflets.model.day import build_day

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"
STATUSES = ("current", "superseded", "entered-in-error")  # R4 DocumentReferenceStatus; we serve current only
SEARCH_PARAMETERS = ("event", "language", "status", "_id")
JSON_FORMATS = ("json", "application/json", "application/fhir+json")  # _format values we answer; XML is not served


def check_format(requested: str | None) -> None:
    """``_format``: JSON only; anything else is a 406 OperationOutcome."""
    if requested is not None and requested.split(";")[0].strip() not in JSON_FORMATS:
        raise FhirError(406, "not-supported", "only JSON is served (_format=json)")
IDENTIFIER_SYSTEM = "urn:ietf:rfc:3986"
_SCRIPT_OF = {"zh-cn": "zh-hans", "zh-sg": "zh-hans"}  # regions that write Simplified Chinese


class FhirError(Exception):
    """Answered as an OperationOutcome with this HTTP status, issue code and text."""

    def __init__(self, status: int, code: str, diagnostics: str):
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics = status, code, diagnostics


def sha1_base64(data: bytes) -> str:
    """An Attachment's ``hash``: the SHA-1 of its bytes, base64-encoded (R4's base64Binary)."""
    return base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode("ascii")


@dataclass(frozen=True)
class File:
    """An attachment: where it is, and (when the file is at hand) its size and hash."""

    url: str
    content_type: str
    title: str
    size: int | None = None
    sha1: str | None = None  # base64, see sha1_base64

    @classmethod
    def of(cls, url: str, content_type: str, title: str, data: bytes | None) -> File:
        return cls(url, content_type, title) if data is None else cls(url, content_type, title, len(data), sha1_base64(data))

    def attachment(self, language: str) -> dict[str, Any]:
        found: dict[str, Any] = {"contentType": self.content_type, "language": language, "url": self.url}
        if self.size is not None and self.sha1 is not None:
            found["size"], found["hash"] = self.size, self.sha1
        found["title"] = self.title
        return found


@dataclass(frozen=True)
class Document:
    """One leaflet in one language, as a DocumentReference shows it."""

    leaflet: str
    language: str  # BCP 47, e.g. zh-Hans
    title: str  # in its language
    description: str  # its summary
    version: str
    released: bool  # approved (and a translation signed off): docStatus final
    written_on: date
    codes: Codes
    author: str
    files: tuple[File, ...] = field(default_factory=tuple)


_LOCAL_FILE = re.compile(r'\s(?:src|href)="file://[^"]*"')


def public_html(html: str) -> str:
    """The leaflet's HTML as its web version serves it: without the addresses of files on this computer
    (the clinic's logo as WeasyPrint reads it); the alt text stays."""
    return _LOCAL_FILE.sub("", html)


def resource_id(leaflet: str, language: str) -> str:
    """A DocumentReference's id: the leaflet's id and its language, ``kidney-tube-tract-widening.zh-Hans``."""
    return f"{leaflet}.{language}"


def parse_id(value: str) -> tuple[str, str]:
    leaflet, _, language = value.rpartition(".")
    if not leaflet or not language:
        raise FhirError(404, "not-found", f"DocumentReference/{value} is not known")
    return leaflet, language


def resource(document: Document, base: str) -> dict[str, Any]:
    """The DocumentReference of one leaflet in one language."""
    return {
        "resourceType": "DocumentReference",
        "id": resource_id(document.leaflet, document.language),
        "meta": {"versionId": document.version},
        "language": document.language,
        "identifier": [{"system": IDENTIFIER_SYSTEM,
                        "value": f"{base}/fhir/DocumentReference/{resource_id(document.leaflet, document.language)}"
                                 f"/_history/{document.version}"}],
        "status": "current",
        "docStatus": "final" if document.released else "preliminary",
        "type": {"text": "Patient education leaflet"},
        "date": f"{document.written_on.isoformat()}T00:00:00Z",
        "author": [{"display": document.author}],
        "description": f"{document.title} (version {document.version})",
        "content": [{"attachment": file.attachment(document.language)} for file in document.files],
        "context": {"event": [{"coding": [{"system": URI_OF[system], "code": code}], "text": f"{LABEL[system]} {code}"}
                              for system, code in every(document.codes)]},
    }


@dataclass(frozen=True)
class Search:
    events: tuple[tuple[str | None, str], ...] = ()  # (our system name, or None for any; code)
    languages: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    given: tuple[tuple[str, str], ...] = ()  # the parameters used, for the self link

    def wants(self, document: Document) -> bool:
        return (self.wants_leaflet(document.codes) and self._language(document.language)
                and (not self.statuses or "current" in self.statuses)
                and (not self.ids or resource_id(document.leaflet, document.language) in self.ids))

    def wants_leaflet(self, codes: Any) -> bool:
        return not self.events or any(covers(codes, system, code) if system else
                                      any(plain(code) == plain(known) for known in sum(codes.values(), []))
                                      for system, code in self.events)

    def wants_language(self, language: str) -> bool:
        return self._language(language)

    def _language(self, language: str) -> bool:
        wanted = {_SCRIPT_OF.get(value.casefold(), value.casefold()) for value in self.languages}
        return not wanted or language.casefold() in wanted or language.split("-")[0].casefold() in wanted


def parse_search(args: Iterable[tuple[str, str]]) -> Search:
    """The search parameters we know; a malformed one is a 400 OperationOutcome."""
    events: list[tuple[str | None, str]] = []
    values: dict[str, list[str]] = {name: [] for name in SEARCH_PARAMETERS}
    given = []
    for name, value in args:
        base = name.split(":", 1)[0]
        if base not in values:
            continue  # an unknown parameter is ignored (lenient handling)
        if name != base:
            raise FhirError(400, "not-supported", f"the modifier of '{name}' is not supported")
        if len(value) > 200 or not value.strip():
            raise FhirError(400, "invalid", f"'{name}' needs a value of at most 200 characters")
        given.append((name, value))
        values[base] += [part.strip() for part in value.split(",") if part.strip()]
    for token in values["event"]:
        events.append(_event_token(token))
    for status in values["status"]:
        if status not in STATUSES:
            raise FhirError(400, "invalid", f"status must be one of {', '.join(STATUSES)}")
    return Search(tuple(events), tuple(values["language"]), tuple(values["status"]), tuple(values["_id"]), tuple(given))


def _event_token(token: str) -> tuple[str | None, str]:
    if "|" not in token:
        return None, token
    system_text, _, code = token.rpartition("|")
    if not code:
        raise FhirError(400, "invalid", f"event '{token}' has no code: write system|code")
    if not system_text:
        return None, code
    system = system_named(system_text)
    if system is None:
        return "unknown", code  # finds nothing, as a code of a system we do not hold
    return system, code


def bundle(documents: list[Document], base: str, search: Search) -> dict[str, Any]:
    """The searchset Bundle of the documents found."""
    query = urlencode(search.given)
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(documents),
        "link": [{"relation": "self", "url": f"{base}/fhir/DocumentReference" + (f"?{query}" if query else "")}],
        "entry": [{"fullUrl": f"{base}/fhir/DocumentReference/{resource_id(d.leaflet, d.language)}",
                   "resource": resource(d, base), "search": {"mode": "match"}} for d in documents],
    }


def outcome(code: str, diagnostics: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}]}


def capability_statement(base: str, name: str, software_version: str) -> dict[str, Any]:
    """What this server does: read and search DocumentReference, in JSON."""
    token = "token"
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": build_day().isoformat(),  # the day every other date of the project is told from
        "publisher": name,
        "kind": "instance",
        "software": {"name": "leaflets", "version": software_version},
        "implementation": {"description": f"Patient leaflets of {name}", "url": f"{base}/fhir"},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "Read-only. Each patient leaflet in each language is a DocumentReference.",
            "resource": [{
                "type": "DocumentReference",
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": [
                    {"name": "event", "type": token, "documentation": "A procedure code, system|code (CPT, HCPCS, "
                     "ICD-10-PCS, SNOMED CT by FHIR URI, urn:oid: or OID)"},
                    {"name": "language", "type": token, "documentation": "The leaflet's language (BCP 47), e.g. es"},
                    {"name": "status", "type": token, "documentation": "current (every leaflet served)"},
                    {"name": "_id", "type": token},
                ],
            }],
        }],
    }


def documents(procedures: Iterable[Any], languages: Mapping[str, str], search: Search,
              document: Callable[[Any, str], Document | None]) -> list[Document]:
    """The documents a search finds: ``languages`` maps our codes to BCP 47 tags; ``document(procedure,
    lang)`` makes one, or None when that translation cannot be printed."""
    found = []
    for procedure in procedures:
        if not search.wants_leaflet(procedure.codes):
            continue
        for lang, tag in languages.items():
            if search.wants_language(tag) and (made := document(procedure, lang)) is not None and search.wants(made):
                found.append(made)
    return found

"""A record's procedure codes: several per code system, each found by its system's HL7 OID or FHIR URI.

A record lists every code its leaflet covers, e.g. ``codes: {cpt: ["36836", "36837"], snomed: [...]}``
(a single code may be written alone, ``{cpt: "36836"}``). Codes are compared without dots and
case (``031C3ZF`` is ``031c3zf``; ``0620T`` is ``0620t``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints

System = Literal["cpt", "hcpcs", "icd10pcs", "snomed"]
SYSTEMS: tuple[System, ...] = ("cpt", "hcpcs", "icd10pcs", "snomed")

# HL7 OIDs (as the Infobutton's mainSearchCriteria.v.cs names a system) to the names records use.
OIDS: dict[str, System] = {
    "2.16.840.1.113883.6.12": "cpt",  # CPT-4
    "2.16.840.1.113883.6.285": "hcpcs",  # HCPCS Level II
    "2.16.840.1.113883.6.14": "hcpcs",  # HCPCS (all levels)
    "2.16.840.1.113883.6.4": "icd10pcs",  # ICD-10-PCS
    "2.16.840.1.113883.6.96": "snomed",  # SNOMED CT
}
OID_OF: dict[System, str] = {"cpt": "2.16.840.1.113883.6.12", "hcpcs": "2.16.840.1.113883.6.285",
                             "icd10pcs": "2.16.840.1.113883.6.4", "snomed": "2.16.840.1.113883.6.96"}
# FHIR's canonical URIs for the same systems (terminology.hl7.org), as FHIR's ``event=system|code`` names them.
URIS: dict[str, System] = {
    "http://www.ama-assn.org/go/cpt": "cpt",
    "urn:oid:2.16.840.1.113883.6.12": "cpt",
    "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets": "hcpcs",
    "urn:oid:2.16.840.1.113883.6.285": "hcpcs",
    "http://www.cms.gov/Medicare/Coding/ICD10": "icd10pcs",
    "urn:oid:2.16.840.1.113883.6.4": "icd10pcs",
    "http://snomed.info/sct": "snomed",
    "urn:oid:2.16.840.1.113883.6.96": "snomed",
}
URI_OF: dict[System, str] = {"cpt": "http://www.ama-assn.org/go/cpt",
                             "hcpcs": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
                             "icd10pcs": "http://www.cms.gov/Medicare/Coding/ICD10", "snomed": "http://snomed.info/sct"}
# What a page or a printed footer calls each system.
LABEL: dict[System, str] = {"cpt": "CPT", "hcpcs": "HCPCS", "icd10pcs": "ICD-10-PCS", "snomed": "SNOMED CT"}
PRINTED: tuple[System, ...] = ("cpt", "hcpcs")  # the billing codes a printed leaflet names; the others are for EHRs

Code = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.]{1,18}$")]


def one_or_many(value: Any) -> Any:
    """A system's codes as a list: one code may be written alone. A number must be written in quotes
    (a YAML number loses its leading zeros: ``0620T`` is text, ``0620`` would be 620)."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f'write the code in quotes, as "{value}"')
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        for item in value:
            if isinstance(item, int) and not isinstance(item, bool):
                raise ValueError(f'write the code in quotes, as "{item}"')
        if len(set(value)) != len(value):
            raise ValueError("a code is listed twice")
    return value


CodeList = Annotated[list[Code], BeforeValidator(one_or_many), Field(min_length=1)]
Codes = dict[System, CodeList]


def plain(code: str) -> str:
    """A code as compared: no dots or spaces, case-folded."""
    return code.replace(".", "").replace(" ", "").casefold()


def covers(codes: Codes, system: str | None, code: str) -> bool:
    """Whether ``codes`` hold ``code`` in ``system`` (a record's name for it), in any spelling."""
    return system in codes and plain(code) in {plain(known) for known in codes[system]}


def system_named(name: str) -> System | None:
    """A code system from its OID, its FHIR URI (with or without ``urn:oid:``) or the name records use."""
    name = name.strip()
    if name in OIDS:
        return OIDS[name]
    if name in URIS:
        return URIS[name]
    lowered = name.casefold()
    return lowered if lowered in SYSTEMS else None


def printed(codes: Codes) -> str:
    """The codes a printed leaflet names: "CPT 36836, 36837"."""
    return "; ".join(f"{LABEL[system]} {', '.join(codes[system])}" for system in PRINTED if system in codes)


def every(codes: Codes) -> list[tuple[System, str]]:
    """Every (system, code) of a record, in the order of SYSTEMS."""
    return [(system, code) for system in SYSTEMS for code in codes.get(system, [])]

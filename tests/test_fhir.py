"""The read-only FHIR R4 endpoint, as an EHR uses it: every answer validated with fhir.resources' models
(R4B, whose DocumentReference, Bundle, CapabilityStatement and OperationOutcome are R4's)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.operationoutcome import OperationOutcome

from helpers import REPO, ready_catalogs
from leaflets.build.ondemand import make_pool
from leaflets.web.app import create_app

CPT, SNOMED = "http://www.ama-assn.org/go/cpt", "http://snomed.info/sct"
FISTULA, CLOT, HEART = "dialysis-fistula-creation", "dialysis-access-clot-removal", "coronary-blockage-opening"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """The page of a copy of the project in which every translation is ready (see ready_catalogs)."""
    from conftest import copy_project

    project = ready_catalogs(copy_project(REPO, tmp_path_factory.mktemp("fhir") / "project"))
    pool = make_pool(project, "example", workers=1)
    yield create_app(project, "example", pool).test_client()
    pool.close()


def search(client, query: str) -> Bundle:
    response = client.get(f"/fhir/DocumentReference?{query}")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    found = Bundle.model_validate(response.json)
    assert found.type == "searchset" and found.total == len(found.entry or [])
    return found


def resources(found: Bundle) -> list[DocumentReference]:
    return [DocumentReference.model_validate(entry.resource.model_dump()) for entry in found.entry or []]


def test_a_cpt_code_finds_one_document_per_language(client):
    found = resources(search(client, f"event={CPT}|36837"))
    assert {d.id.split(".")[0] for d in found} == {FISTULA}
    assert sorted(d.language for d in found) == sorted(["en", "es", "fr", "vi", "ar", "zh-Hans"])


def test_the_example_an_ehr_sends(client):
    [document] = resources(search(client, f"event={CPT}|36906&language=es&status=current"))
    assert document.id == f"{CLOT}.es" and document.status == "current" and document.language == "es"
    assert document.docStatus == "preliminary"  # the records are drafts
    assert document.meta.versionId == "1.0" and "(version 1.0)" in document.description
    events = {(c.coding[0].system, c.coding[0].code) for c in document.context.event}
    assert events == {(CPT, "36904"), (CPT, "36905"), (CPT, "36906")}
    attachments = {a.attachment.contentType + (" large" if "large" in a.attachment.url else ""): a.attachment
                   for a in document.content}
    assert attachments["application/pdf"].url == "http://localhost/pdf/es/dialysis-access-clot-removal.pdf"
    assert attachments["application/pdf large"].url.endswith("/pdf/es/dialysis-access-clot-removal-large-print.pdf")
    assert attachments["text/html"].url == "http://localhost/web/es/dialysis-access-clot-removal.html"
    assert all(a.language == "es" and a.title for a in attachments.values())


def test_the_web_version_size_and_hash_are_of_the_bytes_served(client):
    bundle = client.get(f"/fhir/DocumentReference?event={CPT}|50436&language=fr").json
    [web] = [c["attachment"] for c in bundle["entry"][0]["resource"]["content"]
             if c["attachment"]["contentType"] == "text/html"]
    served = client.get(web["url"].removeprefix("http://localhost")).data
    assert web["size"] == len(served)
    assert web["hash"] == base64.b64encode(hashlib.sha1(served).digest()).decode()  # base64 SHA-1, as R4 says
    assert b"file://" not in served and str(REPO).encode() not in served  # no address of a file on the server


def test_an_attachment_has_size_and_hash_only_when_the_file_is_at_hand(tmp_path):
    """A PDF's come from a current batch build (web/pagecount.py reads the file once per version)."""
    from leaflets.web import fhir
    from leaflets.web.pagecount import size_and_sha1
    data = b"%PDF-1.7 example"
    (tmp_path / "a.pdf").write_bytes(data)
    attachment = fhir.File("http://x/pdf/en/a.pdf", "application/pdf", "A (PDF)", *size_and_sha1(tmp_path / "a.pdf"))
    assert attachment.attachment("en")["size"] == len(data)
    assert base64.b64decode(attachment.attachment("en")["hash"]) == hashlib.sha1(data).digest()
    assert "size" not in fhir.File("http://x/pdf/en/a.pdf", "application/pdf", "A (PDF)").attachment("en")
    assert size_and_sha1(tmp_path / "missing.pdf") is None


@pytest.mark.parametrize("event", [f"{CPT}|92944", "urn:oid:2.16.840.1.113883.6.12|92943", "92944", "|92943",
                                   f"{SNOMED}|415070008", "2.16.840.1.113883.6.96|415070008"])
def test_every_spelling_of_a_code_system(client, event):
    found = resources(search(client, f"event={event}&language=en"))
    assert [d.id for d in found] == [f"{HEART}.en"]


def test_chinese_as_china_writes_it(client):
    assert [d.language for d in resources(search(client, f"event={CPT}|50436&language=zh-CN"))] == ["zh-Hans"]
    assert search(client, f"event={CPT}|50436&language=zh-TW").total == 0  # Traditional: we print none


def test_several_values_mean_any_of_them(client):
    found = resources(search(client, f"event={CPT}|36836,{CPT}|50437&language=ar,zh"))
    assert sorted(d.id for d in found) == sorted([f"{FISTULA}.ar", f"{FISTULA}.zh-Hans", "kidney-tube-tract-widening.ar",
                                                  "kidney-tube-tract-widening.zh-Hans"])


@pytest.mark.parametrize("query", [f"event={CPT}|99999", f"event={SNOMED}|36836", "event=http://example.org/x|36836",
                                   f"event={CPT}|36836&language=de", f"event={CPT}|36836&status=superseded"])
def test_nothing_matching_is_an_empty_searchset(client, query):
    assert search(client, query).total == 0


def test_read_one_document(client):
    response = client.get(f"/fhir/DocumentReference/{FISTULA}.zh-Hans")
    document = DocumentReference.model_validate(response.json)
    assert response.mimetype == "application/fhir+json"
    assert document.id == f"{FISTULA}.zh-Hans" and document.language == "zh-Hans"
    assert document.description.startswith("在手臂上做透析用的内瘘")


@pytest.mark.parametrize("path, status, code", [
    ("/fhir/DocumentReference/no-such-leaflet.es", 404, "not-found"),
    (f"/fhir/DocumentReference/{FISTULA}.de", 404, "not-found"),
    (f"/fhir/DocumentReference/{FISTULA}", 404, "not-found"),
    ("/fhir/DocumentReference?status=draft", 400, "invalid"),
    (f"/fhir/DocumentReference?event={CPT}|", 400, "invalid"),
    ("/fhir/DocumentReference?language:exact=es", 400, "not-supported"),
    ("/fhir/Patient", 404, "not-supported"),
    ("/fhir/metadata?_format=xml", 406, "not-supported"),
    (f"/fhir/DocumentReference?event={CPT}|36836&_format=application/fhir%2Bxml", 406, "not-supported"),
])
def test_errors_are_operation_outcomes(client, path, status, code):
    response = client.get(path)
    assert response.status_code == status and response.mimetype == "application/fhir+json"
    problem = OperationOutcome.model_validate(response.json)
    assert problem.issue[0].severity == "error" and problem.issue[0].code == code


def test_the_capability_statement(client):
    statement = CapabilityStatement.model_validate(client.get("/fhir/metadata").json)
    assert statement.fhirVersion == "4.0.1" and statement.kind == "instance"
    [rest] = statement.rest
    [resource] = rest.resource
    assert resource.type == "DocumentReference"
    assert {i.code for i in resource.interaction} == {"read", "search-type"}
    assert {p.name for p in resource.searchParam} >= {"event", "language", "status"}


def test_json_asked_for_by_format(client):
    assert search(client, f"event={CPT}|36836&language=en&_format=json").total == 1


def test_unknown_parameters_are_ignored_and_left_out_of_the_self_link(client):
    found = search(client, f"event={CPT}|36904&language=en&_count=10&foo=bar")
    assert found.total == 1 and "foo" not in found.link[0].url and "language=en" in found.link[0].url

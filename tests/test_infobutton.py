"""The HL7 Infobutton knowledge request (URL-based), answered as the specification's examples are."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import pytest

from helpers import REPO, ready_catalogs
from leaflets.build.ondemand import make_pool
from leaflets.model.project import Project
from leaflets.web.app import create_app

ATOM = "{http://www.w3.org/2005/Atom}"
CPT, SNOMED, ICD10PCS = "2.16.840.1.113883.6.12", "2.16.840.1.113883.6.96", "2.16.840.1.113883.6.4"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """The page of a copy of the project in which every translation is ready (see ready_catalogs)."""
    from conftest import copy_project

    project = ready_catalogs(copy_project(REPO, tmp_path_factory.mktemp("infobutton") / "project"))
    pool = make_pool(project, "example", workers=1)
    yield create_app(project, "example", pool).test_client()
    pool.close()


def feed(response) -> ElementTree.Element:
    assert response.status_code == 200
    return ElementTree.fromstring(response.data)


def test_the_issue_example_answers_with_an_atom_feed_linking_the_spanish_form_and_pdf(client):
    root = feed(client.get(f"/infobutton?mainSearchCriteria.v.c=36836&mainSearchCriteria.v.cs={CPT}"
                           "&informationRecipient.languageCode.c=es"))
    assert root.tag == f"{ATOM}feed"
    for required in ("title", "updated", "id", "author"):
        assert root.find(f"{ATOM}{required}") is not None
    categories = {c.get("scheme"): c.get("term") for c in root.findall(f"{ATOM}category")}
    assert categories == {"mainSearchCriteria.v.c": "36836", "mainSearchCriteria.v.cs": CPT,
                          "informationRecipient.languageCode.c": "es"}
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "Hacer una fístula en el brazo para la diálisis"
    links = {link.get("type"): link for link in entry.findall(f"{ATOM}link")}
    assert links["text/html"].get("href").endswith("/leaflet/dialysis-fistula-creation?lang=es")
    assert links["application/pdf"].get("href").endswith("/pdf/es/dialysis-fistula-creation.pdf")
    assert {link.get("hreflang") for link in links.values()} == {"es"}
    # the summary as the Spanish catalog has it (its English while the new English waits for its translator)
    from leaflets.build.leaflet import Builder

    summary = Project(REPO).load_procedure("dialysis-fistula-creation").summary
    assert entry.find(f"{ATOM}summary").text == Builder(Project(REPO)).language("es").gettext(summary)


def test_the_links_lead_to_the_prefilled_form_and_the_pdf(client):
    root = feed(client.get(f"/infobutton?mainSearchCriteria.v.c=36836&mainSearchCriteria.v.cs={CPT}"
                           "&informationRecipient.languageCode.c=es"))
    links = [link.get("href").removeprefix("http://localhost") for link in root.iter(f"{ATOM}link")]
    form = client.get(links[0] + "&ui=en").text
    assert '<option value="es" selected>español (Spanish)</option>' in form
    assert client.get(links[1]).data.startswith(b"%PDF-")


def test_json_as_medlineplus_connect_answers_it(client):
    response = client.get(f"/infobutton?mainSearchCriteria.v.c=50436&mainSearchCriteria.v.cs={CPT}"
                          "&informationRecipient.languageCode.c=en&knowledgeResponseType=application/json")
    assert response.mimetype == "application/json"
    [entry] = json.loads(response.data)["feed"]["entry"]
    assert entry["title"]["_value"] == "Making the path for your kidney tube wider"
    assert [link["type"] for link in entry["link"]] == ["text/html", "application/pdf"]


@pytest.mark.parametrize("language, title", [
    ("languageCode.c=zh-Hans", "把肾造瘘管的通道扩宽"), ("languageCode.v.c=vi", None), ("languageCode.c=ar", None), ("", None)])
def test_languages_in_the_forms_the_specification_allows(client, language, title):
    parameter = f"&informationRecipient.{language}" if language else ""
    root = feed(client.get(f"/infobutton?mainSearchCriteria.v.c=50436&mainSearchCriteria.v.cs={CPT}{parameter}"))
    [entry] = root.findall(f"{ATOM}entry")
    expected = {"": "en", "languageCode.v.c=vi": "vi", "languageCode.c=ar": "ar"}.get(language, "zh-Hans")
    assert entry.get("{http://www.w3.org/XML/1998/namespace}lang") == expected
    if title:
        assert entry.find(f"{ATOM}title").text == title


@pytest.mark.parametrize("query", [
    f"mainSearchCriteria.v.c=99999&mainSearchCriteria.v.cs={CPT}",  # a code no record carries
    f"mainSearchCriteria.v.c=36836&mainSearchCriteria.v.cs={SNOMED}",  # the right number in another system
    f"mainSearchCriteria.v.c=36836&mainSearchCriteria.v.cs={ICD10PCS}",
    "mainSearchCriteria.v.c=36836&mainSearchCriteria.v.cs=1.2.3.4",  # a system we do not know
])
def test_nothing_known_is_an_empty_feed(client, query):
    root = feed(client.get(f"/infobutton?{query}"))
    assert root.findall(f"{ATOM}entry") == [] and root.find(f"{ATOM}title") is not None


@pytest.mark.parametrize("query", [
    "", "mainSearchCriteria.v.c=36836", f"mainSearchCriteria.v.cs={CPT}",
    f"mainSearchCriteria.v.c=36836&mainSearchCriteria.v.cs={CPT}&knowledgeResponseType=text/csv",
    f"mainSearchCriteria.v.c=36836&mainSearchCriteria.v.c=36904&mainSearchCriteria.v.cs={CPT}",
    f"mainSearchCriteria.v.c={'9' * 300}&mainSearchCriteria.v.cs={CPT}",
])
def test_a_malformed_request_is_a_400(client, query):
    response = client.get(f"/infobutton?{query}")
    assert response.status_code == 400 and response.mimetype == "text/plain"


def test_several_criteria_and_other_code_systems():
    """mainSearchCriteria0/1 (numbered, as the guide allows) and HCPCS, ICD-10-PCS and SNOMED CT codes."""
    from leaflets.web.infobutton import matches, parse_request
    asked = parse_request({"mainSearchCriteria0.v.c": "36836", "mainSearchCriteria0.v.cs": CPT,
                           "mainSearchCriteria1.v.c": "031C3ZF", "mainSearchCriteria1.v.cs": ICD10PCS})
    assert matches(asked, {"cpt": ["36836"]}) and matches(asked, {"icd10pcs": ["031c3zf"]})
    assert matches(asked, {"cpt": ["36837", "36836"]}) and not matches(asked, {"cpt": ["36837"]})
    assert matches(parse_request({"mainSearchCriteria.v.c": "36837", "mainSearchCriteria.v.cs": f"urn:oid:{CPT}"}),
                   {"cpt": ["36836", "36837"]})  # the OID written as a URN, as some EHRs send it
    assert matches(parse_request({"mainSearchCriteria.v.c": "428119001", "mainSearchCriteria.v.cs": SNOMED}),
                   {"snomed": ["428119001"]})
    assert matches(parse_request({"mainSearchCriteria.v.c": "C1884", "mainSearchCriteria.v.cs": "2.16.840.1.113883.6.285"}),
                   {"hcpcs": ["C1884"]})


def test_a_request_with_the_full_context_the_guide_defines(client):
    """Task, performer, patient and encounter context as the URL-based guide names them: accepted,
    echoed as categories, and the display name (.v.dn) does not change what is found."""
    context = {"taskContext.c.c": "OE", "mainSearchCriteria.v.c": "36904", "mainSearchCriteria.v.cs": CPT,
               "mainSearchCriteria.v.dn": "Thrombectomy of dialysis circuit", "patientPerson.administrativeGenderCode.c": "F",
               "age.v.v": "67", "age.v.u": "a", "informationRecipient": "PAT", "performer": "PROV",
               "encounter.c.c": "AMB", "informationRecipient.languageCode.c": "fr"}
    root = feed(client.get("/infobutton", query_string=context))
    categories = {c.get("scheme"): c.get("term") for c in root.findall(f"{ATOM}category")}
    assert categories == context
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "Enlever un caillot de votre abord de dialyse"


# -- any code a record lists, in any language, in any response type --------------------------------

def every_code():
    from leaflets.model.codes import OID_OF
    return [(p.id, OID_OF[system], code) for p in Project(REPO).load_each_procedure()[0]
            for system, codes in p.codes.items() for code in codes]


@pytest.mark.parametrize("leaflet, system, code", every_code())
@pytest.mark.parametrize("language", ["en", "es", "zh-CN", "ar", "de", "pt-BR"])
def test_never_an_empty_feed_for_a_code_a_record_lists(client, leaflet, system, code, language):
    root = feed(client.get(f"/infobutton?mainSearchCriteria.v.c={code}&mainSearchCriteria.v.cs={system}"
                           f"&informationRecipient.languageCode.c={language}"))
    ids = [e.find(f"{ATOM}id").text.split(":")[-1].split("/")[0] for e in root.findall(f"{ATOM}entry")]
    assert ids == [leaflet]


def test_every_code_of_a_leaflet_finds_it():
    """CPT: both percutaneous fistula codes; clot removal alone, with a balloon, with a stent; the CTO family."""
    found = {(leaflet, code) for leaflet, _, code in every_code()}
    assert {("dialysis-fistula-creation", "36836"), ("dialysis-fistula-creation", "36837"),
            ("dialysis-access-clot-removal", "36904"), ("dialysis-access-clot-removal", "36905"),
            ("dialysis-access-clot-removal", "36906"), ("foot-vein-arterialization", "0620T"),
            ("coronary-blockage-opening", "92943"), ("kidney-tube-tract-widening", "50436"),
            ("kidney-tube-tract-widening", "50437")} <= found


def test_a_language_we_do_not_print_is_answered_in_english_with_a_note(client):
    root = feed(client.get(f"/infobutton?mainSearchCriteria.v.c=36905&mainSearchCriteria.v.cs={CPT}"
                           "&informationRecipient.languageCode.c=de"))
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert entry.find(f"{ATOM}title").text == "Clearing a clot from your dialysis access"
    assert "(de)" in entry.find(f"{ATOM}content").text and "English" in entry.find(f"{ATOM}content").text


def test_the_language_asked_for_has_no_note(client):
    root = feed(client.get(f"/infobutton?mainSearchCriteria.v.c=36905&mainSearchCriteria.v.cs={CPT}"
                           "&informationRecipient.languageCode.c=fr"))
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}content") is None


def test_snomed_ct_finds_the_leaflet_its_record_lists(client):
    root = feed(client.get(f"/infobutton?mainSearchCriteria.v.c=415070008&mainSearchCriteria.v.cs={SNOMED}"))
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "Opening a long-term blockage in a heart artery"


def test_html_is_a_plain_page_of_links_in_the_patients_language(client):
    response = client.get(f"/infobutton?mainSearchCriteria.v.c=36837&mainSearchCriteria.v.cs={CPT}"
                          "&informationRecipient.languageCode.c=ar&knowledgeResponseType=text/html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.text
    assert page.startswith("<!DOCTYPE html>") and '<li lang="ar" dir="rtl">' in page
    assert 'href="http://localhost/leaflet/dialysis-fistula-creation?lang=ar"' in page
    assert 'href="http://localhost/pdf/ar/dialysis-fistula-creation.pdf"' in page


def test_html_for_a_code_we_do_not_know_says_so(client):
    page = client.get(f"/infobutton?mainSearchCriteria.v.c=99999&mainSearchCriteria.v.cs={CPT}"
                      "&knowledgeResponseType=text/html").text
    assert "No patient leaflet for this code." in page


def test_a_code_we_do_not_know_with_a_display_name_is_found_by_the_name(client):
    root = feed(client.get(f"/infobutton?mainSearchCriteria.v.c=99999&mainSearchCriteria.v.cs={CPT}"
                           "&mainSearchCriteria.v.dn=Nephrostomy+tract+dilation"))
    [entry] = root.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "Making the path for your kidney tube wider"
    assert entry.find(f"{ATOM}content").text == "Found by the name given, not by the code."


def test_json_carries_the_note_too(client):
    response = client.get(f"/infobutton?mainSearchCriteria.v.c=50437&mainSearchCriteria.v.cs={CPT}"
                          "&informationRecipient.languageCode.c=de&knowledgeResponseType=application/json")
    [entry] = json.loads(response.data)["feed"]["entry"]
    assert entry["lang"] == "en" and "(de)" in entry["content"]["_value"]


def test_a_translation_not_ready_is_answered_in_english_with_a_note(tmp_path):
    """Never an empty feed for a code we cover: a stale Spanish leaflet gives way to the English one."""
    from conftest import copy_project
    from helpers import edit_record, set_languages

    root = copy_project(REPO, tmp_path / "project")
    edit_record(root, "kidney-tube-tract-widening", "summary: >-\n", "summary: >-\n  Edited today.\n")
    project = set_languages(root, "en, es")
    pool = make_pool(project, "example", workers=1)
    try:
        client = create_app(project, "example", pool).test_client()
        root_feed = feed(client.get(f"/infobutton?mainSearchCriteria.v.c=50437&mainSearchCriteria.v.cs={CPT}"
                                    "&informationRecipient.languageCode.c=es"))
    finally:
        pool.close()
    [entry] = root_feed.findall(f"{ATOM}entry")
    assert entry.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert "(es)" in entry.find(f"{ATOM}content").text

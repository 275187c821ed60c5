"""Control characters (C0, C1), bidi overrides and invisible formatting characters never reach a terminal,
JSON or XML raw: refused where they come in (records, clinic files, catalogs, details, web parameters),
escaped where text goes out (error lines, findings, JSON)."""

from __future__ import annotations

import json
import xml.dom.minidom

import pytest

from leaflets.checks.findings import Finding, Severity
from leaflets.errors import ContentError, json_visible, visible
from leaflets.model.project import Project
from leaflets.web.app import create_app

HOSTILE = ["\x1b[2J", "\x07", "\x85", "\u202e", "\u2066", "\u200b", "\u2028", "\ufeff", "\U000e0041"]


@pytest.mark.parametrize("character", HOSTILE)
def test_an_error_line_shows_a_control_as_an_escape(character):
    error = ContentError(f"no procedure 'a{character}b'", "content/x\x1by.yaml", 3)

    line = str(error)

    assert visible(line) == line and "\x1b" not in line and character not in line
    assert line.startswith("content/x\\x1by.yaml:3: no procedure 'a\\")


def test_a_finding_shows_a_control_as_an_escape():
    finding = Finding("dialysis [es]", "holds \u202eevil", Severity.ERROR)

    assert str(finding) == "error: dialysis [es]: holds \\u202eevil"


def test_json_escapes_keep_the_text_and_hide_nothing():
    text = "".join(HOSTILE) + " señal العربية"
    encoded = json_visible(json.dumps({"text": text}, ensure_ascii=False))

    assert json.loads(encoded) == {"text": text}
    assert all(character not in encoded for character in HOSTILE)
    assert "señal العربية" in encoded


def test_a_procedure_id_with_escape_sequences_is_echoed_escaped(cli, project):
    code, _, err = cli("--root", project, "build", "a\x1b[2Jb\u202e")

    assert code == 1
    assert err.startswith("no procedure 'a\\x1b[2Jb\\u202e'") and "\x1b" not in err and "\u202e" not in err


@pytest.fixture
def client(project):
    return create_app(Project(project), "example", pool=object()).test_client()  # no PDF is asked for: no workers


@pytest.mark.parametrize("character", ["\x01", "\x85", "\u202e", "\u2028"])
def test_an_infobutton_parameter_with_a_control_is_refused_not_echoed_into_xml(client, character):
    response = client.get("/infobutton", query_string={
        "mainSearchCriteria.v.c": "36836", "mainSearchCriteria.v.cs": "2.16.840.1.113883.6.12",
        "patientPerson.administrativeGenderCode.c": f"F{character}"})

    assert response.status_code == 400
    assert character not in response.get_data(as_text=True)


def test_an_infobutton_feed_is_well_formed_xml(client):
    response = client.get("/infobutton", query_string={
        "mainSearchCriteria.v.c": "36836", "mainSearchCriteria.v.cs": "2.16.840.1.113883.6.12", "x": "<&>'\""})

    assert response.status_code == 200
    assert xml.dom.minidom.parseString(response.get_data()).documentElement.tagName == "feed"


@pytest.mark.parametrize("character", ["\x85", "\u202e", "\u2066"])
def test_a_fhir_answer_that_echoes_a_parameter_escapes_its_controls(client, character):
    response = client.get("/fhir/DocumentReference", query_string={"event": f"ab{character}c|"})

    body = response.get_data(as_text=True)
    assert response.status_code == 400 and character not in body
    assert json.loads(body)["issue"][0]["diagnostics"] == f"event 'ab{character}c|' has no code: write system|code"

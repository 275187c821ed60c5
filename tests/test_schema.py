"""JSON Schema for authors' editors: generated from the models, kept current in schema/, with a description
and an example for every key, accepting what the loader accepts and flagging what it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from helpers import REPO
from leaflets.model.schema import json_schema, published, schema_path, schema_text

FIRST_RELEASE = Path(__file__).parent / "data" / "formats" / "format-1-first-release"


def test_the_schemas_in_the_repository_are_current():
    """After a change to the models: .venv/bin/leaflets schema --write"""
    stale = [str(schema_path(REPO, kind, number)) for kind, number in published()
             if not schema_path(REPO, kind, number).is_file()
             or schema_path(REPO, kind, number).read_text(encoding="utf-8") != schema_text(kind, number)]
    assert stale == [], "run: leaflets schema --write"


def properties(schema: dict) -> list[tuple[str, dict]]:
    found = [(name, prop) for name, prop in schema.get("properties", {}).items()]
    for definition in schema.get("$defs", {}).values():
        found += list(definition.get("properties", {}).items())
    return found


@pytest.mark.parametrize(("kind", "number"), published())
def test_every_key_has_a_description_and_every_example_is_valid(kind, number):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema(kind, number)
    assert [name for name, prop in properties(schema) if not prop.get("description")] == []
    kind_of_schema = jsonschema.validators.validator_for(schema)
    kind_of_schema.check_schema(schema)  # once for the whole schema, every property in it, not once per example
    for _, prop in properties(schema):
        for example in prop.get("examples", []):
            kind_of_schema({**prop, "$defs": schema.get("$defs", {})}).validate(example)


def validator(kind: str, number: int = 2):
    jsonschema = pytest.importorskip("jsonschema")
    return jsonschema.Draft202012Validator(json_schema(kind, number))


@pytest.mark.parametrize(("folder", "kind"), [("procedures", "procedure"), ("blocks", "block"), ("clinics", "clinic")])
def test_the_shipped_content_is_valid_against_its_schema(folder, kind):
    check = validator(kind)
    for path in sorted((REPO / "content" / folder).glob("*.yaml")):
        data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        assert [e.message for e in check.iter_errors(data)] == [], path.name


def test_first_release_records_are_valid_in_format_1_and_flagged_in_format_2():
    first, current = validator("procedure", 1), validator("procedure", 2)
    for path in sorted(FIRST_RELEASE.glob("*.yaml")):
        if path.name == "example-clinic.yaml":
            assert list(validator("clinic", 1).iter_errors(_json(path))) == []
            continue
        data = _json(path)
        assert list(first.iter_errors(data)) == []
        flagged = {"/".join(map(str, e.absolute_path)) for e in current.iter_errors(data)}
        assert flagged == {"", "risks"} | {f"sources/{i}" for i in range(len(data["sources"]))}  # "": no format: 2


def test_mistakes_an_editor_flags_while_typing():
    check = validator("procedure")
    record = _json(REPO / "content" / "procedures" / "dialysis-fistula-creation.yaml")
    assert list(check.iter_errors(record)) == []
    assert _first_error(check, {**record, "preperation": []}).startswith("Additional properties are not allowed")
    assert "'plaster' is not one of" in _first_error(check, {**record, "preparation": [{"text": "x", "pictogram": "plaster"}]})
    assert _first_error(check, {**record, "codes": {"cpt": 36836}}) == "36836 is not valid under any of the given schemas"
    [unquoted] = check.iter_errors({**record, "codes": {"cpt": 36836}})  # a code alone, or a list of them: neither
    assert sorted(e.message for e in unquoted.context) == ["36836 is not of type 'array'", "36836 is not of type 'string'"]
    assert list(check.iter_errors({**record, "codes": {"cpt": "36836"}})) == []  # one code may be written alone
    without_format = {key: value for key, value in record.items() if key != "format"}
    assert "'format' is a required property" in _first_error(check, without_format)
    risks = [{"text": "Bruising", "about": "unknown"},
             {"text": "Bleeding", "about": {"count": 2, "per": 100}, "source": "neat-2017"}]
    assert list(check.iter_errors({**record, "risks": risks})) == []


def test_the_schema_command_prints_each_format(cli, project):
    code, out, _ = cli("--root", project, "schema")
    assert code == 0 and json.loads(out)["title"] == "leaflets procedure file, format 2"
    code, out, _ = cli("--root", project, "schema", "--kind", "clinic", "--format", "1")
    assert json.loads(out)["properties"]["format"]["const"] == 1 and "packets" not in json.loads(out)["properties"]
    code, out, _ = cli("--root", project, "schema", "--write")
    assert code == 0 and (project / "schema" / "procedure.schema.json").read_text() == schema_text("procedure", 2)


def test_the_readme_shows_how_to_wire_up_an_editor():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "# yaml-language-server: $schema=../../schema/procedure.schema.json" in readme
    assert '"yaml.schemas"' in readme


def _json(path: Path) -> dict:
    return json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))


def _first_error(check, data: dict) -> str:
    """What an editor underlines first: the error jsonschema finds most relevant."""
    jsonschema = pytest.importorskip("jsonschema")
    return jsonschema.exceptions.best_match(check.iter_errors(data)).message

"""JSON Schema of records, blocks and clinic files, generated from the models, for authors' editors.

``leaflets schema [--kind procedure|block|clinic] [--format N]`` prints one; the repository keeps
the current ones in ``schema/`` (``tests/test_schema.py`` fails when they fall behind the models).
Every key carries a description and an example (examples.py), so a YAML language server completes
keys, shows what each means and flags a mistake while the author types.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, Field, create_model
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from leaflets.errors import UsageError
from leaflets.model.clinic import Clinic
from leaflets.model.examples import FIELDS
from leaflets.model.formats import CURRENT_FORMAT, FIRST_FORMAT, FORMAT_KEY, FORMATS, KINDS
from leaflets.model.record import Block, Procedure, Strict, Text

SCHEMA_FOLDER = "schema"
NOT_WRITTEN = ("block_sources", "logo_path")  # filled in by the loader, never written by an author
PARENTS = {"Source": "sources", "HowTo": "how_to", "Packet": "packets", "Risk": "risks", "PluralText": "text"}
TEXT_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 2000}

# The first release's keys (format 1): no blocks, how-to steps, diagrams or search terms; no clinic
# feedback, policies or packets.
FORMAT_1_RECORD = ("id", "title", "also_called", "codes", "summary", "purpose", "indications", "preparation",
                   "what_to_expect", "recovery", "risks", "benefits", "alternatives", "when_to_get_help",
                   "questions_to_ask", "glossary", "review", "sources")
FORMAT_1_CLINIC = ("id", "name", "address", "phones", "emergency", "website", "logo", "accent_colour", "paper",
                   "reading_grade_max", "languages")


FORMAT_1_FIELDS: dict[str, tuple[str, Any]] = {
    "risks": ("Format 1: two lists of text, common: and rare: (format 2 has one list, each risk with its number).",
              {"common": ["Bruising at the needle spot"], "rare": ["Infection at the needle spot"]}),
    "sources": ("Format 1: where the facts come from, one line of text each (format 2 gives each its title, "
                "publisher and address).", ["General patient guidance on AV fistula care"]),
}


class Format1Risks(Strict):
    """Format 1's risks: two lists of text. Format 2 has one list, each risk with its number and source."""

    common: Annotated[list[Text], Field(min_length=1)]
    rare: Annotated[list[Text], Field(min_length=1)]


class _Generator(GenerateJsonSchema):
    """Pydantic's generator, told what the loader's before-validators accept: text where an item may be
    text (``_text_to_item``), ``{text, source}`` where prose may name its source (``_sourced_to_text``)."""

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> JsonSchemaValue:
        inner = self.generate_inner(schema["schema"])
        name = getattr(schema["function"].get("function"), "__name__", "")
        if name == "_text_to_item":
            return {"anyOf": [TEXT_SCHEMA, inner]}
        if name == "_sourced_to_text":
            sourced = {"type": "object", "additionalProperties": False, "required": ["text"],
                       "properties": {"text": TEXT_SCHEMA, "source": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"}}}
            return {"anyOf": [inner, sourced]}
        if name == "one_or_many":  # codes: one code alone, or a list of them
            return {"anyOf": [inner["items"], inner]}
        return inner


def model_for(kind: str, written_in: int = CURRENT_FORMAT) -> type[BaseModel]:
    """The model a file of ``kind`` in format ``written_in`` is checked against."""
    if kind not in KINDS:
        raise UsageError(f"no kind '{kind}'; use one of: {', '.join(KINDS)}")
    if written_in not in FORMATS:
        raise UsageError(f"no format {written_in}; the formats are {', '.join(map(str, FORMATS))}")
    current: dict[str, type[BaseModel]] = {"procedure": Procedure, "block": Block, "clinic": Clinic}
    if written_in == CURRENT_FORMAT:
        return current[kind]
    if kind == "block":
        raise UsageError("shared blocks came with format 2; a block has no format 1")
    keys = FORMAT_1_RECORD if kind == "procedure" else FORMAT_1_CLINIC
    fields: dict[str, Any] = {name: (info.annotation, info) for name, info in current[kind].model_fields.items()
                              if name in keys}
    if kind == "procedure":
        fields["risks"] = (Format1Risks, ...)
        fields["sources"] = (list[Text], [])
    model: type[BaseModel] = create_model(current[kind].__name__, __base__=Strict, __doc__=current[kind].__doc__, **fields)
    return model


def json_schema(kind: str = "procedure", written_in: int = CURRENT_FORMAT) -> dict[str, Any]:
    """The JSON Schema of a ``kind`` file in format ``written_in``, with descriptions and examples."""
    schema = model_for(kind, written_in).model_json_schema(schema_generator=_Generator)
    for name in NOT_WRITTEN:
        schema["properties"].pop(name, None)
        if name in schema.get("required", []):
            schema["required"].remove(name)
    _describe(schema, top=kind)
    for definition_name, definition in schema.get("$defs", {}).items():
        _describe(definition, top=PARENTS.get(definition_name))
    if kind == "procedure" and written_in == FIRST_FORMAT:
        for name, (description, example) in FORMAT_1_FIELDS.items():
            schema["properties"][name].update(description=description, examples=[example])
    if kind == "procedure" and written_in == CURRENT_FORMAT:
        about = schema["$defs"]["Risk"]["properties"]["about"]
        about["anyOf"].append({"const": "unknown", "description": "looked for a reliable number and found none"})
    declared = {"const": written_in, "description": FIELDS[FORMAT_KEY][0], "examples": [written_in]}
    schema["properties"] = {FORMAT_KEY: declared, **schema["properties"]}
    if written_in == CURRENT_FORMAT:
        schema["required"] = [FORMAT_KEY, *schema.get("required", [])]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            **schema, "title": f"leaflets {kind} file, format {written_in}"}


def _describe(schema: dict[str, Any], top: str | None) -> None:
    """Put each property's description and example (examples.py) into ``schema``."""
    for name, prop in schema.get("properties", {}).items():
        key = f"{top}.{name}" if top and f"{top}.{name}" in FIELDS else name
        if top == "clinic" and name == "name":
            key = "name.clinic"
        if key not in FIELDS:
            continue
        description, example = FIELDS[key]
        prop.pop("title", None)
        prop["description"] = description
        value = json.loads(json.dumps(yaml.safe_load(example), default=str))  # dates as YYYY-MM-DD text
        if isinstance(value, dict) and "..." not in example:
            prop["examples"] = list(value.values())


def schema_text(kind: str = "procedure", written_in: int = CURRENT_FORMAT) -> str:
    """The schema as the file in ``schema/`` holds it: JSON, two-space indented, ending in a newline."""
    return json.dumps(json_schema(kind, written_in), indent=2, ensure_ascii=False) + "\n"


def schema_path(root: Path, kind: str, written_in: int = CURRENT_FORMAT) -> Path:
    """``schema/<kind>.schema.json`` for the current format, ``schema/format-N/<kind>.schema.json`` else."""
    folder = root / SCHEMA_FOLDER
    return folder / (f"{kind}.schema.json" if written_in == CURRENT_FORMAT else f"format-{written_in}/{kind}.schema.json")


def published() -> list[tuple[str, int]]:
    """Every (kind, format) there is a schema of."""
    return [(kind, number) for number in FORMATS for kind in KINDS if not (kind == "block" and number == 1)]


def write_schemas(root: Path) -> list[Path]:
    """Write every schema into ``root/schema/``; the paths written."""
    paths = []
    for kind, number in published():
        path = schema_path(root, kind, number)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(schema_text(kind, number), encoding="utf-8")
        paths.append(path)
    return paths

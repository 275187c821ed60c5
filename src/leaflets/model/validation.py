"""Validating a YAML document against a model: every problem of a file at once, each as
``path:line: field.path: message`` in words an author understands.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from pydantic import (
    BaseModel,
    ValidationError,
)

from leaflets.errors import ContentError, LeafletErrors
from leaflets.model.examples import example_for
from leaflets.model.yamlfile import Location, YamlDocument, dotted

ModelT = TypeVar("ModelT", bound=BaseModel)


def raise_at(document: YamlDocument, location: Location, message: str) -> None:
    raise LeafletErrors([ContentError(message, document.path, document.line_of(location))])


def read_back(model: type[ModelT], data: Any) -> ModelT:
    """``data`` as ``model``, for a file leaflets itself wrote (a manifest, a release list): ``ValueError``
    saying in a few words what is wrong with it (its first problem)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise ValueError(f"{where + ': ' if where else ''}{problem['msg'].lower()}") from None


def validate(model: type[ModelT], document: YamlDocument, named_by_file: bool = True) -> ModelT:
    if not isinstance(document.data, dict):
        raise LeafletErrors(
            [ContentError("expected keys and values (such as 'id: ...') at the top level", document.path, 1)]
        )
    errors = _id_mismatch(document) if named_by_file else []
    try:
        validated = model.model_validate(document.data)
    except ValidationError as exc:
        errors = sorted(errors + _located_errors(model, exc, document), key=lambda e: e.line or 0)
    if errors:
        raise LeafletErrors(errors)
    return validated


def _id_mismatch(document: YamlDocument) -> list[ContentError]:
    given, expected = document.data.get("id"), document.path.stem
    if not isinstance(given, str) or given == expected:
        return []
    message = f"id: '{given}' does not match the file name '{document.path.name}'; use id: {expected}"
    return [ContentError(message, document.path, document.line_of(("id",)))]


def _located_errors(model: type[BaseModel], exc: ValidationError, document: YamlDocument) -> list[ContentError]:
    errors: list[ContentError] = []
    seen: set[tuple[int, str]] = set()
    for error in exc.errors(include_url=False):
        location = _data_location(error["loc"])
        line = document.line_of(location)
        message = f"{dotted(location)}: {_plain_message(error, model, location)}"
        if (line, message) not in seen:
            seen.add((line, message))
            errors.append(ContentError(message, document.path, line))
    return errors


def _data_location(loc: tuple[Any, ...]) -> Location:
    """Drop pydantic's tags for validator and union branches, keeping keys and indices."""
    return tuple(part for part in loc if isinstance(part, int) or not _is_branch_tag(part))


def _is_branch_tag(part: str) -> bool:
    return part.startswith("function-") or part in _BRANCH_TAGS


_BRANCH_TAGS = frozenset({"Item", "HelpItem", "str", "constrained-str", "date", "int", "float", "PluralText"})


def _plain_message(error: Any, model: type[BaseModel], location: Location) -> str:
    """Pydantic's error in words an author understands, and what to write there: never "expected X, found X"."""
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "extra_forbidden":
        return _unknown_key_message(model, location)
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    found = _Found(value, ctx, location, model)
    message = next((say(found) for kinds, say in _MESSAGES if kind in kinds), str(error["msg"]))
    example = example_for(location) if kind not in _SAYS_ITS_LIMIT else None
    if not example:
        return message
    return f"{message}, like: {example}" if "write it" in message else f"{message}; write it like: {example}"


class _Found(NamedTuple):
    """What a message is about: the value found, pydantic's context, where, and the model of the file."""

    value: Any
    ctx: dict[str, Any]
    location: Location
    model: type[BaseModel]


def _expected(what: str) -> _Message:
    return lambda found: f"expected {what}, found {_describe(found.value)}"


def _expected_keys(found: _Found) -> str:
    """Keys and values belong here (their names said), or, for a list item, text or those keys."""
    keys = _known_keys(found.model, found.location)
    if "text" in keys and found.location and isinstance(found.location[-1], int):  # a list item: text, or {text, ...}
        return f"expected text (or keys {', '.join(keys)}), found {_describe(found.value)}"
    expected = f"keys and values ({', '.join(keys)})" if keys else "keys and values"
    return f"expected {expected}, found {_describe(found.value)}"


def _out_of_range(bound: str, name: str) -> _Message:
    return lambda found: f"{found.value} is out of range ({bound} {found.ctx.get(name)})"


_SAYS_ITS_LIMIT = frozenset({"string_too_long", "too_long", "greater_than_equal", "greater_than", "less_than_equal",
                             "less_than"})
_Message = Callable[[_Found], str]
_MESSAGES: list[tuple[frozenset[str], _Message]] = [
    (frozenset({"missing"}), lambda found: "required, but missing"),
    (frozenset({"string_type"}), _expected("text")),
    (frozenset({"list_type"}), _expected("a list")),
    (frozenset({"int_type", "int_parsing", "int_from_float"}), _expected("a whole number")),
    (frozenset({"float_type", "float_parsing"}), _expected("a number")),
    (frozenset({"bool_type", "bool_parsing"}), _expected("true or false")),
    (frozenset({"model_type", "model_attributes_type", "dict_type"}), _expected_keys),
    (frozenset({"string_too_short"}), lambda found: "must not be empty"),
    (frozenset({"string_too_long"}), lambda found:
        f"text is too long ({len(found.value):,} characters; at most {found.ctx.get('max_length'):,})"),
    (frozenset({"too_short"}), lambda found: "needs at least one entry"),
    (frozenset({"too_long"}), lambda found: f"has too many entries (at most {found.ctx.get('max_length')})"),
    (frozenset({"date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact"}),
     lambda found: f"'{_shown(found.value)}' is not a valid date; write it as YYYY-MM-DD"),
    (frozenset({"literal_error"}), lambda found: f"'{found.value}' is not allowed; expected {found.ctx.get('expected')}"),
    (frozenset({"string_pattern_mismatch"}),
     lambda found: f"'{_shown(found.value)}' is not in the expected form ({_pattern_hint(found.location)})"),
    (frozenset({"greater_than_equal"}), _out_of_range("at least", "ge")),
    (frozenset({"greater_than"}), _out_of_range("more than", "gt")),
    (frozenset({"less_than_equal"}), _out_of_range("at most", "le")),
    (frozenset({"less_than"}), _out_of_range("less than", "lt")),
]


def _unknown_key_message(model: type[BaseModel], location: Location) -> str:
    key = str(location[-1])
    known = _known_keys(model, location[:-1])
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else f" (known keys: {', '.join(known)})"
    return f"unknown key '{key}'{hint}"


def _known_keys(model: type[BaseModel], location: Location) -> list[str]:
    current: Any = model
    for part in location:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if field is None:
            return []
        current = _inner_model(field.annotation)
    return list(current.model_fields) if hasattr(current, "model_fields") else []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) + tuple(getattr(annotation, "__metadata__", ())):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _pattern_hint(location: Location) -> str:
    hints = {
        "id": "lowercase letters, digits and hyphens",
        "version": 'ASCII digits and dots, like "1.0" or "2.1.3", at most 4 digits a part',
        "accent_colour": "like #1f4e79",
        "emergency": "digits, like 911",
        "codes": 'digits and letters, in quotes, like "36836"',
        "abbreviations": "letters and digits, like pAVF",
        "url": "an address starting with https://",
        "doi": "a DOI starting with 10.",
        "image": "a file name ending in .svg",
        "source": "the id of a source: lowercase letters, digits and hyphens",
        "sign": "the id of a sign: lowercase letters, digits and hyphens",
        "blocks": "a block's name: lowercase letters, digits and hyphens",
        "leaflets": "a procedure id: lowercase letters, digits and hyphens",
        "packets": "lowercase letters, digits and hyphens",
        "languages": "a language code like en, es or zh_Hans",
    }
    for part in reversed(location):
        if isinstance(part, str) and part in hints:
            return hints[part]
    return "letters and digits"


def _shown(value: Any, limit: int = 40) -> str:
    """A value quoted back in a message, cut short: an error line stays one readable line."""
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "yes/no (put text in quotes)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "keys and values"
    if value is None:
        return "nothing"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return "text"

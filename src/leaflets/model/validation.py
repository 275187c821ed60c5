"""Validating a YAML document against a model: every problem of a file at once, each as
``path:line: field.path: message`` in words an author understands.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import (
    BaseModel,
    ValidationError,
)

from leaflets.errors import ContentError, LeafletErrors
from leaflets.model.yamlfile import Location, YamlDocument, dotted

ModelT = TypeVar("ModelT", bound=BaseModel)


def raise_at(document: YamlDocument, location: Location, message: str) -> None:
    raise LeafletErrors([ContentError(message, document.path, document.line_of(location))])


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
    """Pydantic's error in words an author understands."""
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "extra_forbidden":
        return _unknown_key_message(model, location)
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    for kinds, message in _MESSAGES:
        if kind in kinds:
            return message(value, ctx, location)
    return str(error["msg"])


def _expected_keys(value: Any, ctx: dict[str, Any], location: Location) -> str:
    if location and isinstance(location[-1], int):  # a list item: text, or {text, pictogram}
        return f"expected text, found {_describe(value)}"
    return f"expected keys and values, found {_describe(value)}"


_Message = Callable[[Any, dict[str, Any], Location], str]
_MESSAGES: list[tuple[frozenset[str], _Message]] = [
    (frozenset({"missing"}), lambda value, ctx, location: "required, but missing"),
    (frozenset({"string_type"}), lambda value, ctx, location: f"expected text, found {_describe(value)}"),
    (frozenset({"list_type"}), lambda value, ctx, location: f"expected a list, found {_describe(value)}"),
    (frozenset({"model_type", "model_attributes_type", "dict_type"}), _expected_keys),
    (frozenset({"string_too_short"}), lambda value, ctx, location: "must not be empty"),
    (frozenset({"string_too_long"}), lambda value, ctx, location:
        f"text is too long ({len(value):,} characters; at most {ctx.get('max_length'):,})"),
    (frozenset({"too_short"}), lambda value, ctx, location: "needs at least one entry"),
    (frozenset({"date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact"}),
     lambda value, ctx, location: f"'{value}' is not a valid date; write it as YYYY-MM-DD"),
    (frozenset({"int_type", "int_parsing", "int_from_float"}),
     lambda value, ctx, location: f"expected a whole number, found {_describe(value)}"),
    (frozenset({"literal_error"}), lambda value, ctx, location: f"'{value}' is not allowed; expected {ctx.get('expected')}"),
    (frozenset({"string_pattern_mismatch"}),
     lambda value, ctx, location: f"'{value}' is not in the expected form ({_pattern_hint(location)})"),
    (frozenset({"greater_than_equal"}), lambda value, ctx, location: f"{value} is out of range (at least {ctx.get('ge')})"),
    (frozenset({"greater_than", "less_than_equal"}), lambda value, ctx, location: f"{value} is out of range"),
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
        "version": 'like "1.0"',
        "accent_colour": "like #1f4e79",
        "emergency": "digits, like 911",
        "languages": "a language code like en, es or zh_Hans",
    }
    for part in reversed(location):
        if isinstance(part, str) and part in hints:
            return hints[part]
    return "letters and digits"


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

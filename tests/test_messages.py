"""Every validation message the models can produce says what to write, and none contradicts itself.

The walk takes a valid record, block and clinic file and, one field at a time, puts a value of
each kind there (text, empty text, numbers, yes/no, nothing, lists, mappings, a bad date), leaves
the field out, or adds an unknown key beside it; every message that comes back is checked.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import REPO
from leaflets.errors import LeafletError
from leaflets.model.clinic import Clinic
from leaflets.model.formats import read_content
from leaflets.model.record import Block, Procedure
from leaflets.model.validation import validate as _validate
from leaflets.model.yamlfile import YamlDocument

VALUES: list[Any] = ["text", "", 7, 1.5, -1, 10**6, True, None, [], ["text"], {}, {"unknown": 1}, "2026-13-45", "x" * 2001,
                     [{"text": "a"}], [7]]
SAYS_WHAT_TO_WRITE = re.compile(
    r"write|like[: ]|did you mean|known keys|at least|at most|more than|less than|YYYY-MM-DD|must|needs|give|remove|"
    r"use |expected '|one of|put |round them|in quotes", re.IGNORECASE)

FILES = {
    Procedure: REPO / "content" / "procedures" / "dialysis-fistula-creation.yaml",
    Block: REPO / "content" / "blocks" / "sedation.yaml",
    Clinic: REPO / "content" / "clinics" / "example.yaml",
}


def locations(data: Any, location: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if location:
        yield location
    if isinstance(data, dict):
        for key, value in data.items():
            yield from locations(value, location + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data[:2]):  # the first two items stand for the rest
            yield from locations(value, location + (index,))


def changed(data: Any, location: tuple[Any, ...], value: Any, delete: bool = False) -> Any:
    data = copy.deepcopy(data)
    parent = data
    for part in location[:-1]:
        parent = parent[part]
    if delete:
        del parent[location[-1]]
    else:
        parent[location[-1]] = value
    return data


def variants(data: dict[str, Any]) -> Iterator[Any]:
    for location in locations(data):
        for value in VALUES:
            yield changed(data, location, value)
        if isinstance(location[-1], str):
            yield changed(data, location, None, delete=True)
            yield changed(data, location[:-1] + (location[-1] + "s",), "text")  # a near-miss key


def messages(model: type, data: Any) -> list[str]:
    try:
        _validate(model, YamlDocument(Path("x.yaml"), data, {}, {}), named_by_file=False)
    except LeafletError as exc:
        return [error.message for error in exc.errors]
    return []


def contradiction(message: str) -> bool:
    match = re.search(r"expected (.+?), found (.+?)(?:;|$)", message)
    if not match:
        return False
    expected, found = (part.split(" (")[0].strip() for part in match.groups())
    return expected == found


@pytest.mark.parametrize("model", list(FILES), ids=lambda model: model.__name__)
def test_every_message_says_what_to_write_and_none_contradicts_itself(model):
    data = read_content(FILES[model], model.__name__.lower()).document.data
    assert messages(model, data) == []
    seen: set[str] = set()
    for variant in variants(data):
        seen.update(messages(model, variant))
    assert len(seen) > 50
    contradictory = sorted(m for m in seen if contradiction(m))
    silent = sorted(m for m in seen if not SAYS_WHAT_TO_WRITE.search(m))
    assert contradictory == []
    assert silent == []


def test_the_first_releases_complaints_are_gone():
    data = read_content(FILES[Procedure]).document.data
    old_risks = messages(Procedure, {**data, "risks": {"common": ["Bruising"], "rare": ["Infection"]}})
    old_sources = messages(Procedure, {**data, "sources": ["AMA CPT code 36836 description"]})
    assert not any(contradiction(m) for m in old_risks + old_sources)
    assert old_risks[0].startswith("risks: expected a list, found keys and values; write it like: risks: [{text: ")
    assert old_sources[0].startswith("sources[1]: expected keys and values (id, title, publisher, year, url, doi, cited_for), "
                                     "found text; write it like: ")

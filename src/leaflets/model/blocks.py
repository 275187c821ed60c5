"""What a record includes or names: shared blocks, placeholders, diagrams and sources, each checked.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from leaflets.errors import ContentError, LeafletError, LeafletErrors
from leaflets.model.digests import Identity, identity
from leaflets.model.formats import read_content
from leaflets.model.pictures import picture_problem
from leaflets.model.policies import POLICY_NAMES, placeholders
from leaflets.model.record import ID_PATTERN, Block, Item, Procedure, WhenToGetHelp
from leaflets.model.validation import validate
from leaflets.model.walk import source_ids, walk
from leaflets.model.yamlfile import Location, YamlDocument, dotted
from leaflets.paths import is_inside

# -- shared blocks, placeholders and diagrams ----------------------------------------------------

BLOCK_SECTIONS = ("preparation", "recovery", "how_to", "glossary")


def load_block(path: Path) -> Block:
    """Read and validate one shared block: its placeholders name clinic policies, its items' sources its own."""
    document = read_content(path, "block").document
    block = validate(Block, document)
    errors = _block_placeholders(document)
    known = {source.id for source in block.sources}
    for where, name in source_ids(document.data):
        if name not in known:
            location = where + ("source",)
            errors.append(ContentError(f"{dotted(location)}: '{name}' is not the id of one of this block's sources"
                                       f"{_close_hint(name, sorted(known))}", path, document.line_of(location)))
    if errors:
        raise LeafletErrors(errors)
    return block


def block_names(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml") if re.fullmatch(ID_PATTERN, p.stem))


def included_blocks(
    procedure: Procedure, document: YamlDocument, folder: Path, inputs: list[Identity | None]
) -> tuple[list[Block], list[LeafletError]]:
    blocks: list[Block] = []
    errors: list[LeafletError] = []
    for index, name in enumerate(procedure.blocks):
        where = document.line_of(("blocks", index))
        path = folder / f"{name}.yaml"
        if name in procedure.blocks[:index]:
            errors.append(ContentError(f"blocks[{index + 1}]: '{name}' is included twice", document.path, where))
        elif not path.is_file() or not is_inside(path, folder):
            hint = _close_hint(name, block_names(folder))
            errors.append(ContentError(f"blocks[{index + 1}]: unknown block '{name}'{hint}", document.path, where))
        else:
            inputs.append(identity(path))
            try:
                blocks.append(load_block(path))
            except LeafletError as exc:
                errors.extend(exc.errors)
    return blocks, errors


def with_blocks(procedure: Procedure, blocks: list[Block]) -> Procedure:
    """The record with each block's items after its own, section by section, blocks in the order listed."""
    if not blocks:
        return procedure
    kept = procedure.keep_taking
    update: dict[str, Any] = {
        section: [*getattr(procedure, section), *(item for block in blocks for item in getattr(block, section)
                                                   if not isinstance(item, Item) or item.applies(kept))]
        for section in BLOCK_SECTIONS
    }
    help = procedure.when_to_get_help
    update["when_to_get_help"] = WhenToGetHelp(
        urgent=[*help.urgent, *(item for block in blocks for item in block.when_to_get_help.urgent)],
        call_us=[*help.call_us, *(item for block in blocks for item in block.when_to_get_help.call_us)],
    )
    update["block_sources"] = [source for block in blocks for source in block.sources]
    return procedure.model_copy(update=update)


def repeated_items(record: Procedure, merged: Procedure, document: YamlDocument) -> list[LeafletError]:
    """A record may not repeat what an included block already says."""
    errors: list[LeafletError] = []
    lists: list[tuple[Location, Any, Any]] = [
        ((section,), getattr(record, section), getattr(merged, section)) for section in ("preparation", "recovery")]
    lists += [(("when_to_get_help", kind), getattr(record.when_to_get_help, kind), getattr(merged.when_to_get_help, kind))
              for kind in ("urgent", "call_us")]
    for where, own, whole in lists:
        added = {_folded(item.text) for item in whole[len(own):]}
        for index, item in enumerate(own):
            if _folded(item.text) in added:
                errors.append(ContentError(f"{dotted(where)}[{index + 1}]: an included block already says this; remove it here",
                                           document.path, document.line_of(where + (index,))))
    return errors


def _folded(text: Any) -> str:
    return " ".join(str(text).lower().split())


def record_placeholders(document: YamlDocument) -> list[LeafletError]:
    """Placeholders and plural texts follow clinic policies: only shared blocks use them."""
    errors: list[LeafletError] = []
    for location, value in walk(document.data):
        if isinstance(value, str) and (names := placeholders(value)):
            problem = f"'{{{names[0]}}}' is a clinic-policy placeholder"
        elif isinstance(value, dict) and {"one", "other"} <= set(value):
            problem = "a plural text ({one, other}) follows a clinic-policy number"
        else:
            continue
        errors.append(ContentError(f"{dotted(location)}: {problem}; only shared blocks (content/blocks/) may use them",
                                   document.path, document.line_of(location)))
    return errors


def _block_placeholders(document: YamlDocument) -> list[LeafletError]:
    """Every ``{name}`` a clinic policy; a plural text counts one of its own placeholders."""
    errors: list[LeafletError] = []

    def wrong(location: Location, message: str) -> None:
        errors.append(ContentError(f"{dotted(location)}: {message}", document.path, document.line_of(location)))

    for location, value in walk(document.data):
        if isinstance(value, str):
            for name in placeholders(value):
                if name not in POLICY_NAMES:
                    wrong(location, f"unknown placeholder '{{{name}}}'{_close_hint(name, list(POLICY_NAMES))}")
        elif isinstance(value, dict) and {"one", "other"} <= set(value) and all(isinstance(value[k], str)
                                                                                for k in ("one", "other")):
            one, other = set(placeholders(value["one"])), set(placeholders(value["other"]))
            count = value.get("count")
            if one != other:
                wrong(location, "'one' and 'other' must hold the same placeholders")
            elif count is None and len(other) != 1:
                wrong(location, "a plural text needs 'count: <policy>' to say which number it follows"
                      if other else "a plural text needs a placeholder whose number it follows")
            elif count is not None and count not in other:
                wrong(location + ("count",), f"'{count}' is not one of this text's placeholders")
    return errors


def diagram_errors(procedure: Procedure, document: YamlDocument, folder: Path) -> list[LeafletError]:
    errors: list[LeafletError] = []
    for index, diagram in enumerate(procedure.diagrams):
        location = ("diagrams", index, "image")
        path = folder / diagram.image
        if not path.is_file():
            drawings = sorted(p.name for p in folder.glob("*.svg"))
            problem = f"no drawing '{diagram.image}' in templates/diagrams{_close_hint(diagram.image, drawings)}"
        elif not is_inside(path, folder):
            problem = f"'{diagram.image}' is a link to a file outside templates/diagrams; copy the drawing in instead"
        elif path.suffix.lower() != ".svg":
            problem = f"'{diagram.image}' is not an SVG drawing (.svg)"
        elif picture := picture_problem(path):
            problem = f"templates/diagrams/{diagram.image} cannot be printed: it {picture}"
        else:
            continue
        errors.append(ContentError(f"{dotted(location)}: {problem}", document.path, document.line_of(location)))
    return errors


def _close_hint(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else (f" (known: {', '.join(known)})" if known else "")




def source_errors(document: YamlDocument, block_ids: Sequence[str] = ()) -> list[LeafletError]:
    """A source id used twice, and a ``source:`` that names no source of the record or of a block it includes."""
    sources = document.data.get("sources") or []
    ids = [s.get("id") for s in sources if isinstance(s, dict)]
    errors: list[LeafletError] = [
        ContentError(f"sources[{i + 1}].id: '{name}' is used by an earlier source", document.path,
                     document.line_of(("sources", i, "id")))
        for i, name in enumerate(ids) if name in ids[:i]
    ]
    for where, name in source_ids({k: v for k, v in document.data.items() if k != "sources"}):
        if name not in ids and name not in block_ids:
            hint = f"; known: {', '.join(map(str, ids))}" if ids else "; this record lists no sources"
            errors.append(ContentError(f"{dotted(where + ('source',))}: '{name}' names no source{hint}",
                                       document.path, document.line_of(where + ("source",))))
    return errors

"""Reading a tagged PDF's structure tree with pikepdf: what the renderer's post-processing and the
built-PDF checks both need, without WeasyPrint."""

from __future__ import annotations

from typing import Any

import pikepdf


def is_element(item: Any) -> bool:
    """Whether ``item`` is a structure element (a dictionary with a structure type, /S)."""
    return isinstance(item, pikepdf.Dictionary) and "/S" in item


def first_page_of(element: Any) -> Any:
    """The page (/Pg) of the first content of ``element`` in reading order; None if it has none."""
    todo = [element]
    while todo:
        item = todo.pop(0)
        if isinstance(item, pikepdf.Array):
            todo[0:0] = list(item)
        elif is_element(item):
            if "/Pg" in item:
                return item.Pg
            todo.insert(0, item.get("/K", pikepdf.Array()))
    return None

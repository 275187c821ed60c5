"""A catalog entry's English and its translations, as plain text whatever Babel holds them in."""

from __future__ import annotations

import re

from babel.messages.catalog import Message


def english_of(message: Message) -> tuple[str, ...]:
    """The English of an entry: its one text, or a plural's singular and plural."""
    return tuple(message.id) if isinstance(message.id, (tuple, list)) else (message.id,)


def key_of(message: Message) -> str:
    """The text an entry is looked up by: its English, or a plural's singular."""
    return english_of(message)[0]


def translations_of(message: Message) -> tuple[str, ...]:
    """The translations of an entry, one per plural form; an untranslated one is empty text."""
    if isinstance(message.string, (tuple, list)):
        return tuple(message.string)
    return (message.string or "",)


def is_translated(message: Message) -> bool:
    """Whether every form of the entry is translated."""
    return all(translations_of(message))


# A directive as Python's % reads it: %%, or %(name) with flags, width, precision and a conversion.
_PERCENT = re.compile(r"%(?:%|(?:\((?P<name>[^()]*)\))?(?P<shape>[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d*))?[hlL]?)"
                      r"(?P<conversion>[diouxXeEfFgGcrsa])|(?P<broken>.?))", re.DOTALL)
_BRACES = re.compile(r"\{[^{}]*\}")
_POLICY = re.compile(r"\{[a-z][a-z0-9_]*\}")
_PLURAL_COUNT = "num"  # a plural form may say its number in words ("a day") and leave %(num)s out


def percent_directives(text: str) -> list[tuple[str, str, str]]:
    """Each % directive of ``text`` but %%: (name, width/precision/flags, conversion); a broken one is
    ("", "?", "")."""
    found = []
    for match in _PERCENT.finditer(text):
        if match[0] == "%%":
            continue
        if match["broken"] is not None:
            found.append(("", "?", ""))
        else:
            found.append((match["name"] or "", match["shape"], match["conversion"]))
    return found


def directive_problem(english: tuple[str, ...], translation: str, percent: bool) -> str | None:
    """Why ``translation`` may not be filled in, or None: its placeholders must be exactly the English's,
    plain (no width, precision or flags, which could ask for gigabytes), named as the English names them.

    ``percent``: whether the text is filled in with Python's % (the templates' words); a record's text
    has only ``{policy}`` placeholders, and a % there is a percent sign."""
    for group in _BRACES.findall(translation):
        if not _POLICY.fullmatch(group) and group not in " ".join(english):
            return (f"this translation holds {group}, which its English does not; a translation keeps the English's "
                    "{placeholders} exactly, with nothing added inside the braces")
    if not percent:
        return None
    wanted = {(name, conversion) for text in english for name, _, conversion in percent_directives(text)}
    found = percent_directives(translation)
    for name, shape, conversion in found:
        if shape == "?":
            return "write a percent sign as %% in this translation; a lone % cannot be printed"
        if (name, conversion) not in wanted:
            return f"this translation uses %({name}){conversion}, which the English does not have"
        if shape:
            return (f"this translation writes %({name}){shape}{conversion}; write %({name}){conversion} as the English "
                    "has it (no width, precision or flags)")
    missing = wanted - {(name, conversion) for name, _, conversion in found}
    if len(english) > 1:  # a plural form
        missing = {(name, conversion) for name, conversion in missing if name != _PLURAL_COUNT}
    if missing:
        name, conversion = sorted(missing)[0]
        return f"this translation leaves out %({name}){conversion}, which the English has"
    return None

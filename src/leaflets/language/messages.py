"""A catalog entry's English and its translations, as plain text whatever Babel holds them in."""

from __future__ import annotations

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

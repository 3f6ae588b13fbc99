"""Counted nouns for every message the kit writes: "1 query", "7,950 queries", "1 row".

One place, so no output says "1 queries" or "actual 1 rows".
"""

from __future__ import annotations

__all__ = ["PLURALS", "counted", "noun", "sentence"]

# The nouns the kit counts whose plural is not the singular plus "s".
PLURALS = {"query": "queries", "index": "indexes", "match": "matches", "miss": "misses"}


def noun(count: float, singular: str) -> str:
    """The singular for exactly one, else the plural ("query"/"queries", "row"/"rows")."""
    if count == 1:
        return singular
    return PLURALS.get(singular, singular + "s")


def counted(count: float, singular: str, digits: int = 0) -> str:
    """The count with thousands separators and its noun: "1 query", "7,950 queries"."""
    return f"{count:,.{digits}f} {noun(count, singular)}"


def sentence(text: str) -> str:
    """The text with its first letter capitalized ("line 4: ..." -> "Line 4: ..."), unless it
    starts with a name that keeps its case ("views.py:12", "blog_post")."""
    first = text.split(" ", 1)[0]
    if not text or any(c in first for c in "._`") or first[:1].isupper():
        return text
    return text[:1].upper() + text[1:]

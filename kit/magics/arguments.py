"""Option errors that say how to fix them: an unknown option suggests the nearest one.

argparse (under @magic_arguments) says "unrecognized arguments: --explian" and getopt (under
parse_options) "option --analyse not recognized"; both are re-raised with "did you mean
--explain?" when one of the magic's options is close.
"""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Callable, Iterable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import parse_argstring

# The tokens argparse and getopt name as unknown.
_UNKNOWN = re.compile(r"unrecognized arguments: (.*)$|option (\S+) not recognized")


def nearest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to word (a typo of it), or None when none is close."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_option(message: str) -> str | None:
    """The first unknown option an argparse or getopt error names, or None."""
    match = _UNKNOWN.search(message)
    if match is None:
        return None
    tokens = [t.split("=", 1)[0] for t in (match[1] or match[2] or "").split()]
    return next((t for t in tokens if t.startswith("-")), None)


def with_suggestion(message: str, options: Iterable[str]) -> str:
    """The error message, plus "did you mean --x?" when the unknown option is near one."""
    token = unknown_option(message)
    close = nearest(token, options) if token else None
    return f"{message.rstrip('.')}: did you mean {close}?" if close else message


def option_names(magic: Callable[..., Any]) -> list[str]:
    """The long and short option strings of a @magic_arguments magic."""
    parser: argparse.ArgumentParser = magic.parser  # type: ignore[attr-defined]
    return [name for action in parser._actions for name in action.option_strings]


def parse_arguments(magic: Callable[..., Any], line: str) -> Any:
    """parse_argstring, with a suggestion when an option is misspelled."""
    try:
        return parse_argstring(magic, line)
    except UsageError as exc:
        raise UsageError(with_suggestion(str(exc), option_names(magic))) from None

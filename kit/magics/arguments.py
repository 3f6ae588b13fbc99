"""Option errors that say how to fix them: an unknown option suggests the nearest one.

argparse (under @magic_arguments) says "unrecognized arguments: --explian" and getopt (under
parse_options) "option --analyse not recognized"; both are re-raised with "did you mean
--explain?" when one of the magic's options is close.
"""

from __future__ import annotations

import argparse
import builtins
import difflib
import keyword
import re
from collections.abc import Callable, Iterable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import parse_argstring

# Names IPython gives meanings to in the user's namespace besides user_ns_hidden's: the output
# cache (_, __, ___, _5), the input history (_i, _ii, _i5), _ih/_oh/_dh, and dunders.
_IPYTHON_NAMES = re.compile(r"^(_+|_\d+|_i+|_i\d+|_[ido]h|__\w*__)$")
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
    """parse_argstring, with a suggestion when an option is misspelled; an unbalanced quote
    is one line too (shlex's ValueError)."""
    try:
        return parse_argstring(magic, line)
    except UsageError as exc:
        raise UsageError(with_suggestion(str(exc), option_names(magic))) from None
    except ValueError as exc:
        raise UsageError(
            f"Could not read the options {line.strip()!r}: {exc} (close the quote, or leave "
            "it out)."
        ) from None


def check_variable_name(name: str, option: str, hidden: Iterable[str] = ()) -> None:
    """Refuse a name the profile cannot be kept under: not an identifier, or one of Python's
    or IPython's own names (print, get_ipython, In, Out, _5...), which it would shadow and so
    break later cells. hidden: the shell's user_ns_hidden."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise UsageError(f"{option} needs a Python variable name, not {name!r}.")
    if name in dir(builtins) or name in set(hidden) or _IPYTHON_NAMES.match(name):
        owner = "Python's" if name in dir(builtins) else "IPython's"
        raise UsageError(
            f"{option} {name}: {name!r} is {owner} own name, and keeping the profile under it "
            f"would break later cells; choose another, e.g. {option} {name.strip('_')}_profile."
        )

"""Frozen dataclasses (records, relations, plans) to JSON data and back, guided by their types.

The kit's values are plain frozen dataclasses whose fields are str, numbers, None, tuples of
those, nested dataclasses, or Any (query params, tagged by kit.render.jsonvalues). Their type
hints say how to rebuild each field, so a saved file carries no class names.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

from kit.profiles.jsonvalues import decode_value, encode_value, format_error

T = TypeVar("T")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def dump(value: Any) -> Any:
    """JSON-ready data for a dataclass instance, tuple or primitive (Any fields are tagged)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        hints = _hints(type(value))
        return {
            f.name: encode_value(getattr(value, f.name))
            if hints[f.name] is Any
            else dump(getattr(value, f.name))
            for f in dataclasses.fields(value)
        }
    if isinstance(value, tuple | list):
        return [dump(v) for v in value]
    return value


# How deep a saved profile may nest (plan nodes, param values): far past any real plan, and
# well inside Python's recursion limit for the loader and the renderers that walk the trees.
MAX_DEPTH = 100
# Integers past 64 bits are no count, id or line the kit writes.
MAX_INT = 2**63


def _kind(data: Any) -> str:
    return "null" if data is None else type(data).__name__


def load(data: Any, hint: Any, where: str = "profile", depth: int = 0) -> Any:
    """The value of type `hint` that dump() turned into data; ProfileFormatError (naming the
    place, e.g. queries[3].duration_ms) for anything of another type."""
    if depth > MAX_DEPTH:
        raise format_error(where, f"nested deeper than {MAX_DEPTH} levels")
    if hint is Any:
        return decode_value(data, where, depth)
    origin = get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        if data is None:
            return None
        (kind,) = [a for a in get_args(hint) if a is not type(None)]
        return load(data, kind, where, depth)
    if origin is tuple or origin is list:
        if not isinstance(data, list):
            raise format_error(where, f"expected a list, found {_kind(data)}")
        args = get_args(hint)
        if origin is list or (len(args) == 2 and args[1] is Ellipsis):
            items = [load(v, args[0], f"{where}[{i}]", depth + 1) for i, v in enumerate(data)]
        elif len(data) != len(args):
            raise format_error(where, f"expected {len(args)} items, found {len(data)}")
        else:
            items = [
                load(v, k, f"{where}[{i}]", depth + 1)
                for i, (v, k) in enumerate(zip(data, args, strict=True))
            ]
        return items if origin is list else tuple(items)
    if origin is dict:
        if not isinstance(data, dict):
            raise format_error(where, f"expected an object, found {_kind(data)}")
        key_hint, value_hint = get_args(hint)
        return {
            load(k, key_hint, where, depth + 1): load(v, value_hint, f"{where}[{k!r}]", depth + 1)
            for k, v in data.items()
        }
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _load_dataclass(data, hint, where, depth)
    return _load_scalar(data, hint, where)


def _load_dataclass(data: Any, hint: type, where: str, depth: int) -> Any:
    if not isinstance(data, dict):
        raise format_error(where, f"expected an object, found {_kind(data)}")
    hints = _hints(hint)
    fields = [f for f in dataclasses.fields(hint) if f.init]
    missing = [
        f.name
        for f in fields
        if f.name not in data
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise format_error(where, f"{missing[0]} is missing")
    values = {
        f.name: load(data[f.name], hints[f.name], f"{where}.{f.name}", depth + 1)
        for f in fields
        if f.name in data
    }
    try:
        return hint(**values)
    except (TypeError, ValueError) as exc:  # a value's own check (__post_init__)
        raise format_error(where, str(exc).rstrip(".")) from None


def _load_scalar(data: Any, hint: Any, where: str) -> Any:
    if hint is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise format_error(where, f"expected a number, found {_kind(data)}")
        if isinstance(data, int) and abs(data) >= MAX_INT:
            raise format_error(where, "a number out of range")
        return float(data)
    if hint is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise format_error(where, f"expected an integer, found {_kind(data)}")
        if abs(data) >= MAX_INT:
            raise format_error(where, "an integer out of range")
        return data
    if hint in (str, bool) and not isinstance(data, hint):
        raise format_error(
            where, f"expected {'text' if hint is str else 'true or false'}, found {_kind(data)}"
        )
    return data


def load_as(data: Any, cls: type[T], where: str = "profile") -> T:
    """load() for a dataclass type, typed for the caller."""
    return typing.cast(T, load(data, cls, where))

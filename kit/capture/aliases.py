"""Which aliases a block captures: every configured one, or the ones named (checked)."""

from __future__ import annotations

from collections.abc import Sequence

from django.apps import apps

from kit.errors import DjangoSetupError, UnknownAliasError


def require_django() -> None:
    """Raise the kit's one-line error when Django is not set up yet."""
    if not apps.ready:
        raise DjangoSetupError(
            "Django is not set up: call kit.setup('yourproject.settings') or django.setup() "
            "before profiling."
        )


def choose_aliases(
    named: str | Sequence[str] | None, configured: tuple[str, ...], setting: str, kind: str
) -> tuple[str, ...]:
    """All of configured (named None), else the names, each checked against settings.<setting>."""
    if named is None:
        return configured
    # Each name once: using=["default", "default"] must not count a query twice.
    names = (named,) if isinstance(named, str) else tuple(dict.fromkeys(named))
    for name in names:
        if name not in configured:
            raise UnknownAliasError(
                f"Unknown {kind} alias {name!r}: settings.{setting} defines "
                f"{', '.join(map(repr, configured))}; use one of those."
            )
    return names


def check_database_alias(alias: str) -> str:
    """The alias, when settings.DATABASES defines it; else the one-line UnknownAliasError."""
    from django.db import connections

    choose_aliases(alias, tuple(connections), "DATABASES", "database")
    return alias

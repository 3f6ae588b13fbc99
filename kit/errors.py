"""Errors a user can make, each a one-line message that says how to fix it."""

from __future__ import annotations


class KitUsageError(Exception):
    """A mistake in how the kit was called or configured (shown as one line, no traceback)."""


class DjangoSetupError(KitUsageError):
    """Django could not be found, imported or configured."""


class UnknownAliasError(KitUsageError, ValueError):
    """A database alias that is not in settings.DATABASES."""


class ProfileFormatError(KitUsageError, ValueError):
    """A saved profile file that is not one the kit can read (unknown format or version)."""


class RollbackRefused(KitUsageError):
    """A repeated cell (--repeat) that would end the transaction meant to undo it."""

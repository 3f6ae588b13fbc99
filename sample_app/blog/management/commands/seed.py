"""`python manage.py seed --scale small`: a thin wrapper around sample_app.seed.seed."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS

from sample_app.seed import SCALES, format_summary, seed


class Command(BaseCommand):
    """Replace the blog data with deterministic sample rows."""

    help = "Migrate, then replace the blog data with deterministic, skewed sample rows."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--scale", choices=list(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias")
        parser.add_argument("--quiet", action="store_true", help="print nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", database=options["database"], verbosity=0)
        started = time.perf_counter()
        counts = seed(
            options["scale"],
            seed=options["seed"],
            using=options["database"],
            progress=None if options["quiet"] else self._progress,
        )
        if not options["quiet"]:
            seconds = time.perf_counter() - started
            self.stdout.write(format_summary(options["scale"], options["seed"], counts, seconds))

    def _progress(self, line: str) -> None:
        # Progress is not an error: keep stderr's default red style off it.
        self.stderr.write(line, style_func=str)

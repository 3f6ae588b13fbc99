"""Fill the blog tables with deterministic, skewed sample data: `python -m sample_app.seed`."""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable, Sequence

from django.db import DEFAULT_DB_ALIAS, transaction

from sample_app.datagen.plan import ANCHOR, SCALES, Scale, build_plan

__all__ = ["ANCHOR", "SCALES", "Scale", "format_summary", "main", "seed"]


def seed(
    scale: str = "small",
    *,
    seed: int = 0,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Replace the sample data with `scale`'s rows for `seed`; return rows per model label."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    # Imported here because the models need django.setup(), which main() runs first.
    from sample_app.datagen import load, rows
    from sample_app.datagen.text import TextSource

    plan = build_plan(SCALES[scale], seed)
    text = TextSource(random.Random(f"{seed}:corpus"))
    tables = rows.tables(plan, text)
    counts: dict[str, int] = {}
    with transaction.atomic(using=using):
        load.flush(using)
        for table in tables:
            label = table.model._meta.label
            generated = table.generate(random.Random(f"{seed}:{label}"))
            counts[label] = load.insert(table, generated, using, progress)
        load.reset_sequences(using, [table.model for table in tables])
    return counts


def format_summary(scale: str, seed: int, counts: dict[str, int], seconds: float) -> str:
    """Return a one-line account of a finished seed run."""
    total = sum(counts.values())
    return f"Seeded scale {scale!r} (seed {seed}): {total:,} rows in {seconds:.1f} s"


def main(argv: Sequence[str] | None = None) -> int:
    """Migrate the database named by DATABASE_URL and seed it; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m sample_app.seed", description=__doc__)
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias")
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_app.settings")
    import django
    from django.core.management import call_command

    django.setup()
    # migrate creates a missing SQLite file and brings any database up to date.
    call_command("migrate", database=args.database, verbosity=0)
    started = time.perf_counter()
    progress = None if args.quiet else _print_to_stderr
    counts = seed(args.scale, seed=args.seed, using=args.database, progress=progress)
    if not args.quiet:
        seconds = time.perf_counter() - started
        print(format_summary(args.scale, args.seed, counts, seconds))
    return 0


def _print_to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())

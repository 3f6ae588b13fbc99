"""Shared set-up for the benchmark scripts: the sample project's settings, DEBUG off."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def setup_sample_project() -> str:
    """Set up Django on the sample app (DATABASE_URL, else data/blog.sqlite3): its vendor."""
    # DEBUG would make Django keep its own query log too: measure the kit alone.
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_app.settings")
    sys.path.insert(0, str(REPO))
    import django
    from django.db import connection

    django.setup()
    if "blog_post" not in connection.introspection.table_names():
        sys.exit("No sample data: run `make sample-data` (or python -m sample_app.seed) first.")
    return connection.vendor

"""What one round trip and one new connection cost on the database DATABASE_URL names.

    DATABASE_URL=postgres://... python -m sample_app.round_trips [--queries 500] [--connects 20]

Times, with the connection open, a one-row query by primary key run --queries times (the query an
N+1 loop repeats), and, closing the connection before each, the opening of --connects new ones
(what CONN_MAX_AGE or a pool saves on every request). Prints one JSON object on its last line:
the vendor and the medians in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sample_app.round_trips", description=__doc__)
    parser.add_argument("--queries", type=int, default=500, help="queries timed (default 500)")
    parser.add_argument("--connects", type=int, default=20, help="connections opened (default 20)")
    args = parser.parse_args(argv)
    if args.queries < 1 or args.connects < 1:
        parser.error("--queries and --connects take 1 or more")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_app.settings")
    import django

    django.setup()
    from django.db import connection

    from sample_app.blog.models import Post

    pk = Post.objects.order_by("pk").values_list("pk", flat=True).first()
    if pk is None:
        parser.error("the database has no posts: seed it first (python -m sample_app.seed)")
    queries = []
    for _ in range(args.queries):
        start = time.perf_counter()
        Post.objects.filter(pk=pk).exists()
        queries.append((time.perf_counter() - start) * 1000)
    connects = []
    for _ in range(args.connects):
        connection.close()
        start = time.perf_counter()
        connection.ensure_connection()
        connects.append((time.perf_counter() - start) * 1000)
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "query_ms": statistics.median(queries),
                "connect_ms": statistics.median(connects),
                "queries": args.queries,
                "connects": args.connects,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The guide's Part 1 loop past the default sample, on the database named by DATABASE_URL.

    DATABASE_URL=sqlite:////tmp/medium.sqlite3 python -m sample_app.at_scale --scale medium

Seeds the database with the scale's sample when it holds another number of posts (migrating it
first), then, on the first N posts for each size: the N+1 loop (up to --loop-max posts), the
guide's `prefetch_related('comments__user')` and `Prefetch('comments',
queryset=Comment.objects.select_related('user'))`, each profiled with `kit.profile()`. Prints one
JSON object on its last line: the vendor and one row per size and version (queries, times, the
distinct users the prefetch loads, or the error a version raised).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

DEFAULT_SIZES = (500, 1_000, 2_500, 5_000, 10_000)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sample_app.at_scale", description=__doc__)
    parser.add_argument("--scale", default="medium", help="the sample to seed (default medium)")
    parser.add_argument(
        "--sizes",
        default=",".join(str(n) for n in DEFAULT_SIZES),
        help="numbers of posts, comma-separated (default %(default)s)",
    )
    parser.add_argument(
        "--loop-max",
        type=int,
        default=1_000,
        help="run the N+1 loop up to this many posts only (default %(default)s: it sends "
        "about eight queries a post)",
    )
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(n) for n in args.sizes.split(",")})
    except ValueError:
        parser.error(f"--sizes takes numbers separated by commas, not {args.sizes!r}")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_app.settings")
    import django
    from django.core.management import call_command

    django.setup()
    from sample_app.blog.models import Post
    from sample_app.datagen.plan import SCALES
    from sample_app.seed import seed

    if args.scale not in SCALES:
        parser.error(f"unknown scale {args.scale!r}: choose one of {', '.join(SCALES)}")
    call_command("migrate", verbosity=0)
    if Post.objects.count() != SCALES[args.scale].posts:
        seed(args.scale)
    print(json.dumps(measure(sizes, args.loop_max)))
    return 0


def measure(sizes: Sequence[int], loop_max: int) -> dict[str, Any]:
    """One row per size and version of the Part 1 loop, on the current database."""
    from django.db import connection
    from django.db.models import Prefetch

    import kit
    from sample_app.blog.models import Comment, Post

    def loop(posts: Any) -> int:
        lines = []
        for post in posts:
            lines.append(post.author.username)
            lines.append(post.category.name)
            for comment in post.comments.all():
                lines.append(comment.user.username)
        return len(lines)

    versions: dict[str, Callable[[Any], Any]] = {
        "N+1 loop": lambda root: root,
        "prefetch_related('comments__user')": lambda root: root.select_related(
            "author", "category"
        ).prefetch_related("comments__user"),
        "Prefetch(..., select_related('user'))": lambda root: root.select_related(
            "author", "category"
        ).prefetch_related(Prefetch("comments", queryset=Comment.objects.select_related("user"))),
    }
    pks = list(Post.objects.order_by("pk").values_list("pk", flat=True))
    rows = []
    for n in (size for size in sizes if size <= len(pks)):
        root = Post.objects.filter(pk__lte=pks[n - 1])
        users = Comment.objects.filter(post__in=root).values("user").distinct().count()
        for version, build in versions.items():
            if version == "N+1 loop" and n > loop_max:
                continue
            row: dict[str, Any] = {"posts": n, "users": users, "version": version}
            try:
                with kit.profile() as p:
                    row["lines"] = loop(build(root))
            except Exception as exc:  # the point: which version fails, and how
                row["error"] = f"{type(exc).__name__}: {exc}"
            row.update(queries=p.query_count, db_ms=p.db_time_ms, wall_ms=p.wall_time_ms)
            rows.append(row)
    return {"vendor": connection.vendor, "posts": len(pks), "rows": rows}


if __name__ == "__main__":
    sys.exit(main())

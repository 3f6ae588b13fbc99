"""Hand-built profiles for the render tests: no database, exact numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from kit.capture.records import QueryRecord
from kit.profiles.profile import Profile

CELL = "<ipython-input-7>"
POSTS_SQL = 'SELECT "blog_post"."id", "blog_post"."title" FROM "blog_post"'
AUTHOR_SQL = (
    'SELECT "auth_user"."id", "auth_user"."username" FROM "auth_user" '
    'WHERE "auth_user"."id" = %s LIMIT 21'
)
COUNT_SQL = 'SELECT COUNT(*) AS "__count" FROM "blog_comment"'
CELL_TEXT = (
    "%%orm_profile\n"
    "posts = list(Post.objects.all())\n"
    "names = [p.author.username for p in posts]\n"
    "Comment.objects.count()\n"
)


def record(
    id: int,
    sql: str,
    params: object = (),
    *,
    start_ms: float,
    duration_ms: float = 0.5,
    line: int | None = None,
    source_file: str | None = CELL,
) -> QueryRecord:
    """One query, from the cell's `line` unless told otherwise."""
    return QueryRecord(
        id=id,
        alias="default",
        vendor="sqlite",
        sql=sql,
        params=params,
        many=False,
        start_ms=start_ms,
        duration_ms=duration_ms,
        thread="MainThread",
        source_file=source_file,
        source_lineno=line,
        line=line,
    )


def make_profile(
    records: list[QueryRecord], *, name: str | None = None, wall_time_ms: float | None = None
) -> Profile:
    """A finished profile of these records, as the magic would have made it."""
    end = max((r.end_ms for r in records), default=0.0)
    return Profile.of_records(
        records,
        started_at=datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        wall_time_ms=end + 1.0 if wall_time_ms is None else wall_time_ms,
        name=name,
        cell=CELL_TEXT,
        cell_filename=CELL,
    )


def n_plus_one_profile(posts: int = 5, name: str | None = None) -> Profile:
    """The guide's loop: one query for the posts, one per post for its author, then a count."""
    records = [record(0, POSTS_SQL, start_ms=1.0, duration_ms=2.0, line=2)]
    for i in range(posts):
        records.append(record(i + 1, AUTHOR_SQL, (i + 10,), start_ms=4.0 + 2 * i, line=3))
    records.append(record(posts + 1, COUNT_SQL, start_ms=5.0 + 2 * posts, line=4))
    return make_profile(records, name=name)


def fixed_profile(name: str | None = None) -> Profile:
    """Three queries, three shapes, no N+1: the loop after select_related."""
    records = [
        record(0, POSTS_SQL, start_ms=1.0, duration_ms=3.0, line=2),
        record(1, AUTHOR_SQL, (10,), start_ms=5.0, duration_ms=0.5, line=3),
        record(2, COUNT_SQL, start_ms=6.0, duration_ms=0.5, line=4),
    ]
    return make_profile(records, name=name)

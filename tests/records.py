"""Hand-built query records for the pure analysis tests: no database needed."""

from __future__ import annotations

from typing import Any

from kit.capture.records import QueryRecord, Relation

CELL = "<cell>"

POSTS = 'SELECT "blog_post"."id", "blog_post"."title" FROM "blog_post"'
USER_BY_ID = 'SELECT "auth_user"."id" FROM "auth_user" WHERE "auth_user"."id" = %s LIMIT 21'
CATEGORY_BY_ID = (
    'SELECT "blog_category"."id" FROM "blog_category" WHERE "blog_category"."id" = %s LIMIT 21'
)
COMMENTS_OF_POST = (
    'SELECT "blog_comment"."id" FROM "blog_comment" WHERE "blog_comment"."post_id" = %s'
)
COUNT_COMMENTS = (
    'SELECT COUNT(*) AS "__count" FROM "blog_comment" WHERE "blog_comment"."post_id" = %s'
)
TAGS_OF_POST = (
    'SELECT "blog_tag"."id" FROM "blog_tag" INNER JOIN "blog_posttag" ON ("blog_tag"."id" = '
    '"blog_posttag"."tag_id") WHERE "blog_posttag"."post_id" = %s'
)
PROFILE_OF_USER = (
    'SELECT "blog_profile"."id" FROM "blog_profile" WHERE "blog_profile"."user_id" = %s LIMIT 21'
)
POST_BY_ID = 'SELECT "blog_post"."id" FROM "blog_post" WHERE "blog_post"."id" = %s LIMIT 21'

POST_AUTHOR = Relation("blog.Post", "author", "forward", "auth.User")
POST_CATEGORY = Relation("blog.Post", "category", "forward", "blog.Category")
POST_COMMENTS = Relation("blog.Post", "comments", "reverse_fk", "blog.Comment")
POST_TAGS = Relation("blog.Post", "tags", "m2m", "blog.Tag")
COMMENT_USER = Relation("blog.Comment", "user", "forward", "auth.User")
USER_PROFILE = Relation("auth.User", "profile", "reverse_one_to_one", "blog.Profile")
USER_POSTS = Relation("auth.User", "posts", "reverse_fk", "blog.Post")


class Trace:
    """Records in the order a workload would send them; ids count from 0."""

    def __init__(self) -> None:
        self.records: list[QueryRecord] = []
        self.lines: dict[int, str] = {}

    def add(
        self,
        sql: str,
        params: Any = (),
        *,
        line: int | None = None,
        trigger: str | None = None,
        model: str | None = None,
        relation: Relation | None = None,
        text: str | None = None,
        alias: str = "default",
        duration_ms: float = 1.0,
        file: str | None = CELL,
    ) -> Trace:
        """Append one record; `text` is the source line it came from."""
        self.records.append(
            QueryRecord(
                id=len(self.records),
                alias=alias,
                vendor="sqlite",
                sql=sql,
                params=params,
                many=False,
                start_ms=float(len(self.records)),
                duration_ms=duration_ms,
                thread="MainThread",
                source_file=file if line is not None else None,
                source_lineno=line,
                line=line if file == CELL else None,
                trigger=trigger,
                model=model,
                relation=relation,
            )
        )
        if text is not None and line is not None:
            self.lines[line] = text
        return self

    def text(self, record: QueryRecord) -> str | None:
        """The source text of a record's line, as a Profile would give it."""
        return self.lines.get(record.source_lineno or -1)


def part1_loop(posts: int = 3, comments: int = 2, root_text: str | None = None) -> Trace:
    """Guide Part 1, TERRIBLE, as records: lines 2 (posts), 3, 4, 5 and 6."""
    trace = Trace().add(
        POSTS,
        line=2,
        trigger="iteration",
        model="blog.Post",
        text=root_text or "for post in Post.objects.all():",
    )
    user = 100
    for post in range(1, posts + 1):
        trace.add(
            USER_BY_ID,
            (post,),
            line=3,
            trigger="related",
            model="auth.User",
            relation=POST_AUTHOR,
            text="print(post.author.username)",
        )
        trace.add(
            CATEGORY_BY_ID,
            (post,),
            line=4,
            trigger="related",
            model="blog.Category",
            relation=POST_CATEGORY,
            text="print(post.category.name)",
        )
        trace.add(
            COMMENTS_OF_POST,
            (post,),
            line=5,
            trigger="iteration",
            model="blog.Comment",
            relation=POST_COMMENTS,
            text="for comment in post.comments.all():",
        )
        for _ in range(comments):
            user += 1
            trace.add(
                USER_BY_ID,
                (user,),
                line=6,
                trigger="related",
                model="auth.User",
                relation=COMMENT_USER,
                text="print(comment.user.username)",
            )
    return trace

"""From N+1 groups to the queryset change that removes them, on hand-built records."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kit.analysis.fixes import QuerysetFix, plan_fixes
from kit.analysis.groups import find_n_plus_one
from kit.analysis.lineage import Lineage, trace_lineage
from kit.capture.records import Relation
from tests.records import (
    COMMENT_USER,
    COMMENTS_OF_POST,
    COUNT_COMMENTS,
    POST_AUTHOR,
    POST_BY_ID,
    POST_CATEGORY,
    POST_COMMENTS,
    POST_TAGS,
    POSTS,
    PROFILE_OF_USER,
    TAGS_OF_POST,
    USER_BY_ID,
    USER_POSTS,
    USER_PROFILE,
    Trace,
    part1_loop,
)

# Guide Part 1's nested path, fetched at any size in 2 queries (issue 12).
NESTED = "Prefetch('comments', queryset=Comment.objects.select_related('user'))"
POSTS_ROOT = {"line": 2, "trigger": "iteration", "model": "blog.Post"}


def loop(per_post: Callable[[Trace, int], None], root_text: str, posts: int = 3) -> Trace:
    """A loop over posts on line 2 whose body adds records through per_post."""
    trace = Trace().add(POSTS, **POSTS_ROOT, text=root_text)  # type: ignore[arg-type]
    for post in range(1, posts + 1):
        per_post(trace, post)
    return trace


def lazy(sql: str, line: int, relation: Relation, trigger: str = "related", text: str = ""):
    """A per-post step: one lazy query on `line` following `relation`."""

    def step(trace: Trace, post: int) -> None:
        trace.add(
            sql,
            (post,),
            line=line,
            trigger=trigger,
            model=relation.target,
            relation=relation,
            text=text or None,
        )

    return step


def steps(*per_post: Callable[[Trace, int], None]) -> Callable[[Trace, int], None]:
    def step(trace: Trace, post: int) -> None:
        for one in per_post:
            one(trace, post)

    return step


def author_then_profile(trace: Trace, post: int) -> None:
    trace.add(
        USER_BY_ID,
        (post,),
        line=3,
        trigger="related",
        model="auth.User",
        relation=POST_AUTHOR,
        text="bio = post.author.profile.bio",
    )
    trace.add(
        PROFILE_OF_USER,
        (post,),
        line=3,
        trigger="related",
        model="blog.Profile",
        relation=USER_PROFILE,
        text="bio = post.author.profile.bio",
    )


NARROWED = POST_COMMENTS.narrow()
FILTERED_LOOP = (
    "for comment in post.comments.filter(is_approved=True).order_by('-created_at')[:5]:"
)


def filtered_comments_with_users(trace: Trace, post: int) -> None:
    trace.add(
        COMMENTS_OF_POST,
        (post,),
        line=3,
        trigger="iteration",
        model="blog.Comment",
        relation=NARROWED,
        text=FILTERED_LOOP,
    )
    for n in range(2):
        trace.add(
            USER_BY_ID,
            (post * 10 + n,),
            line=4,
            trigger="related",
            model="auth.User",
            relation=COMMENT_USER,
            text="print(comment.user.username)",
        )


CASES = [
    pytest.param(
        part1_loop(),
        f"Post.objects.select_related('author', 'category').prefetch_related({NESTED})",
        (),
        id="guide_part1_nested_path",
    ),
    pytest.param(
        part1_loop(root_text="for post in posts:"),
        f"posts.select_related('author', 'category').prefetch_related({NESTED})",
        (),
        id="root_named_by_a_variable",
    ),
    pytest.param(
        part1_loop(
            root_text="titles = [p.title for p in Post.objects.filter(published=True)[:10]]"
        ),
        "Post.objects.filter(published=True).select_related('author', 'category')"
        f".prefetch_related({NESTED})[:10]",
        (),
        id="comprehension_with_slice_keeps_the_slice_last",
    ),
    pytest.param(
        loop(lazy(USER_BY_ID, 3, POST_AUTHOR), "for post in Post.objects.all():"),
        "Post.objects.select_related('author')",
        (),
        id="forward_fk_select_related",
    ),
    pytest.param(
        loop(author_then_profile, "for post in Post.objects.all():"),
        "Post.objects.select_related('author__profile')",
        (),
        id="nested_single_valued_select_related",
    ),
    pytest.param(
        loop(lazy(TAGS_OF_POST, 3, POST_TAGS, "iteration"), "for post in Post.objects.all():"),
        "Post.objects.prefetch_related('tags')",
        (),
        id="m2m_prefetch_related",
    ),
    pytest.param(
        loop(lazy(COUNT_COMMENTS, 3, POST_COMMENTS, "count"), "for post in Post.objects.all():"),
        "Post.objects.annotate(comments_count=Count('comments'))",
        ("read post.comments_count instead of post.comments.count()",),
        id="count_per_row_becomes_an_annotation",
    ),
    pytest.param(
        loop(
            steps(
                lazy(COUNT_COMMENTS, 3, POST_COMMENTS, "count"),
                lazy(COMMENTS_OF_POST, 4, POST_COMMENTS, "iteration"),
            ),
            "for post in Post.objects.all():",
        ),
        "Post.objects.prefetch_related('comments')",
        (),
        id="count_of_a_prefetched_relation_needs_no_annotation",
    ),
    pytest.param(
        loop(
            steps(
                lazy(COUNT_COMMENTS, 3, POST_COMMENTS, "count"),
                lazy(
                    COUNT_COMMENTS.replace("blog_comment", "blog_like"),
                    4,
                    Relation("blog.Post", "likes", "reverse_fk", "blog.Like"),
                    "count",
                ),
            ),
            "for post in Post.objects.all():",
        ),
        "Post.objects.annotate(comments_count=Count('comments', distinct=True), "
        "likes_count=Count('likes', distinct=True))",
        (
            "read post.comments_count instead of post.comments.count()",
            "read post.likes_count instead of post.likes.count()",
        ),
        id="two_counts_are_distinct",
    ),
    pytest.param(
        loop(filtered_comments_with_users, "for post in Post.objects.all():"),
        "Post.objects.prefetch_related(Prefetch('comments', queryset=Comment.objects"
        ".select_related('user').filter(is_approved=True).order_by('-created_at')[:5], "
        "to_attr='prefetched_comments'))",
        (
            "use post.prefetched_comments instead of post.comments.filter(is_approved=True)"
            ".order_by('-created_at')[:5]: a filtered, ordered or sliced related queryset is "
            "not served by prefetch_related()",
        ),
        id="narrowed_relation_becomes_a_prefetch_object_with_nested_select",
    ),
    pytest.param(
        loop(
            lazy(
                COUNT_COMMENTS,
                3,
                NARROWED,
                "count",
                "n = post.comments.filter(is_approved=True).count()",
            ),
            "for post in Post.objects.all():",
        ),
        "Post.objects.annotate(comments_count=Count('comments', "
        "filter=Q(comments__is_approved=True)))",
        ("read post.comments_count instead of post.comments.filter(is_approved=True).count()",),
        id="narrowed_count_becomes_a_filtered_count",
    ),
]


@pytest.mark.parametrize(("trace", "code", "notes"), CASES)
def test_fix_for_the_root_queryset(trace: Trace, code: str, notes: tuple[str, ...]):
    fixes, unexplained = plan_fixes(trace.records, find_n_plus_one(trace.records), trace.text)
    assert unexplained == []
    (fix,) = fixes
    assert fix.root_id == 0
    assert fix.model == "blog.Post"
    assert fix.code == code
    assert fix.notes == notes


def test_part1_fix_as_a_value():
    trace = part1_loop()
    groups = find_n_plus_one(trace.records)
    (fix,), _ = plan_fixes(trace.records, groups, trace.text)
    assert fix == QuerysetFix(
        root_id=0,
        model="blog.Post",
        expression="Post.objects.all()",
        select_related=("author", "category"),
        prefetch_objects=(NESTED,),
        group_ids=tuple(g.record_ids for g in groups),
        prefetch_object_lookups=("comments",),
        relations=tuple((g.record_ids, g.relation) for g in groups if g.relation is not None),
    )
    assert fix.chain == f".select_related('author', 'category').prefetch_related({NESTED})"
    assert fix.imports == ("Prefetch",)


def test_lineage_follows_the_nested_path_to_the_root():
    trace = part1_loop(posts=1, comments=1)
    lineage, parents = trace_lineage(trace.records)
    assert lineage == {
        0: Lineage(0),
        1: Lineage(0, (POST_AUTHOR,)),
        2: Lineage(0, (POST_CATEGORY,)),
        3: Lineage(0, (POST_COMMENTS,)),
        4: Lineage(0, (POST_COMMENTS, COMMENT_USER)),
    }
    assert parents == {1: 0, 2: 0, 3: 0, 4: 3}
    assert lineage[4].lookup == "comments__user"


def test_a_prefetched_relation_extends_the_path_of_an_n_plus_one_below_it():
    trace = Trace().add(
        POSTS, **POSTS_ROOT, text="for post in Post.objects.prefetch_related('comments'):"
    )
    trace.add(
        COMMENTS_OF_POST,
        (1, 2, 3),
        line=2,
        trigger="prefetch",
        model="blog.Comment",
        relation=POST_COMMENTS,
    )
    for user in range(3):
        trace.add(
            USER_BY_ID,
            (user,),
            line=4,
            trigger="related",
            model="auth.User",
            relation=COMMENT_USER,
        )
    (fix,), _ = plan_fixes(trace.records, find_n_plus_one(trace.records), trace.text)
    # The user's 'comments' makes way for the Prefetch that replaces it (Django refuses both).
    assert fix.code == f"Post.objects.prefetch_related({NESTED})"


def test_a_related_manager_can_be_the_root():
    trace = Trace().add(USER_BY_ID, (7,), line=2, trigger="get", model="auth.User")
    trace.add(
        POSTS,
        (7,),
        line=3,
        trigger="iteration",
        model="blog.Post",
        relation=USER_POSTS,
        text="for post in author.posts.all():",
    )
    for post in range(3):
        trace.add(
            POST_BY_ID.replace("blog_post", "blog_category"),
            (post,),
            line=4,
            trigger="related",
            model="blog.Category",
            relation=POST_CATEGORY,
        )
    (fix,), _ = plan_fixes(trace.records, find_n_plus_one(trace.records), trace.text)
    assert (fix.root_id, fix.code) == (1, "author.posts.select_related('category')")


def test_without_source_text_the_fix_is_the_calls_to_add_never_a_guessed_manager():
    trace = part1_loop()
    (fix,), _ = plan_fixes(trace.records, find_n_plus_one(trace.records), None)
    assert not fix.recovered
    assert fix.code == f".select_related('author', 'category').prefetch_related({NESTED})"


def test_groups_without_relation_or_root_are_left_unexplained():
    trace = Trace()
    for pk in range(4):
        trace.add(POST_BY_ID, (pk,), line=3, trigger="get", model="blog.Post")
    for pk in range(3):  # a relation whose objects came from nowhere the records show
        trace.add(
            USER_BY_ID, (pk,), line=5, trigger="related", model="auth.User", relation=POST_AUTHOR
        )
    groups = find_n_plus_one(trace.records)
    fixes, unexplained = plan_fixes(trace.records, groups, trace.text)
    assert fixes == []
    assert unexplained == groups and len(groups) == 2

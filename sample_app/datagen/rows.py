"""Generators of model instances with explicit primary keys, one per table."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import User
from django.db import models
from django.utils.text import slugify

from sample_app.blog.models import Category, Comment, Like, Post, PostTag, Profile, Rating, Tag
from sample_app.datagen.plan import ANCHOR_S, Plan, weighted_distinct, zipf_cum_weights
from sample_app.datagen.text import (
    CATEGORIES,
    CITIES,
    FIRST_NAMES,
    LAST_NAMES,
    TAGS,
    TextSource,
    title,
)

# A fixed unusable password: no hashing cost, and identical on every run.
UNUSABLE_PASSWORD = UNUSABLE_PASSWORD_PREFIX + "seeded-user-without-password"
SCORE_WEIGHTS = (5, 8, 17, 35, 35)


@dataclass(frozen=True)
class Table:
    """One table to fill: its model, how many rows, and the generator of its rows."""

    model: type[models.Model]
    rows: int
    generate: Callable[[random.Random], Iterator[models.Model]]
    # An upper bound of one row's size in an INSERT statement, to size the batches.
    row_bytes: int = 300


def tables(plan: Plan, text: TextSource) -> list[Table]:
    """Return every table to fill, in insertion order, with its planned row count."""
    users = plan.scale.users
    return [
        Table(User, users, lambda rng: _users(plan, rng)),
        # MySQL escapes bytes, up to twice the avatar's 8 KB.
        Table(Profile, users, lambda rng: _profiles(plan, text, rng), row_bytes=19_000),
        Table(Category, len(CATEGORIES), lambda rng: _categories(text, rng), row_bytes=1_000),
        Table(Tag, len(TAGS), lambda rng: _tags()),
        Table(Post, plan.scale.posts, lambda rng: _posts(plan, text, rng), row_bytes=10_000),
        Table(PostTag, sum(plan.tags), lambda rng: _post_tags(plan, rng)),
        Table(Comment, sum(plan.comments), lambda rng: _comments(plan, text, rng), row_bytes=700),
        Table(Rating, sum(plan.ratings), lambda rng: _ratings(plan, rng)),
        Table(Like, sum(plan.likes), lambda rng: _likes(plan, rng)),
    ]


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _between(rng: random.Random, low_s: int, high_s: int = ANCHOR_S) -> datetime:
    return _at(low_s + int(rng.random() * (high_s - low_s)))


def _users(plan: Plan, rng: random.Random) -> Iterator[User]:
    for pk, joined_s in enumerate(plan.joined_s, start=1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        username = f"{first}.{last}.{pk}".lower()
        recent = rng.random() < 0.7
        yield User(
            pk=pk,
            username=username,
            email=f"{username}@example.com",
            first_name=first,
            last_name=last,
            password=UNUSABLE_PASSWORD,
            is_active=rng.random() < 0.95,
            date_joined=_at(joined_s),
            last_login=_between(rng, max(joined_s, ANCHOR_S - 30 * 86400)) if recent else None,
        )


def _profiles(plan: Plan, text: TextSource, rng: random.Random) -> Iterator[Profile]:
    for pk in range(1, plan.scale.users + 1):
        yield Profile(
            pk=pk,
            user_id=pk,
            bio=text.text(rng, 1000, 2000),
            avatar=rng.randbytes(rng.randint(2048, 8192)),
            website=f"https://example.com/~user{pk}" if rng.random() < 0.5 else "",
            location=rng.choice(CITIES) if rng.random() < 0.7 else "",
        )


def _categories(text: TextSource, rng: random.Random) -> Iterator[Category]:
    for pk, name in enumerate(CATEGORIES, start=1):
        yield Category(pk=pk, name=name, slug=slugify(name), description=text.text(rng, 100, 300))


def _tags() -> Iterator[Tag]:
    for pk, name in enumerate(TAGS, start=1):
        yield Tag(pk=pk, name=name, slug=name)


def _posts(plan: Plan, text: TextSource, rng: random.Random) -> Iterator[Post]:
    category_ids = range(1, len(CATEGORIES) + 1)
    category_weights = zipf_cum_weights(len(CATEGORIES))
    for index in range(plan.scale.posts):
        pk, created_s = index + 1, plan.created_s[index]
        heading = title(rng)
        published = bool(plan.published[index])
        views = int(plan.popularity[index] * 60 * (0.5 + rng.random()))
        category_id = rng.choices(category_ids, cum_weights=category_weights)[0]
        edited = rng.random() < 0.3
        yield Post(
            pk=pk,
            title=heading,
            slug=f"{slugify(heading)[:200]}-{pk}",
            content=text.text(rng, 2000, 8000),
            description=text.text(rng, 700, 1300),
            author_id=plan.author[index],
            category_id=category_id,
            published=published,
            is_featured=bool(plan.featured[index]),
            view_count=views + 10 * plan.likes[index] + 20 * plan.comments[index],
            # like_count matches the Like rows, so Count("likes") and the column agree.
            like_count=plan.likes[index],
            external_id=f"ext-{pk:07d}-{rng.getrandbits(32):08x}",
            created_at=_at(created_s),
            updated_at=_between(rng, created_s) if edited else _at(created_s),
        )


def _post_tags(plan: Plan, rng: random.Random) -> Iterator[PostTag]:
    tag_weights = zipf_cum_weights(len(TAGS), 0.8)
    pk = 0
    for index, count in enumerate(plan.tags):
        created_at = _at(plan.created_s[index])
        for tag_id in weighted_distinct(rng, tag_weights, count):
            pk += 1
            yield PostTag(pk=pk, post_id=index + 1, tag_id=tag_id, created_at=created_at)


def _comments(plan: Plan, text: TextSource, rng: random.Random) -> Iterator[Comment]:
    user_weights = zipf_cum_weights(plan.scale.users)
    user_ids = range(1, plan.scale.users + 1)
    pk = 0
    for index, count in enumerate(plan.comments):
        created_s = plan.created_s[index]
        for user_id in rng.choices(user_ids, cum_weights=user_weights, k=count):
            pk += 1
            yield Comment(
                pk=pk,
                post_id=index + 1,
                user_id=user_id,
                text=text.text(rng, 40, 400),
                is_approved=rng.random() < 0.85,
                created_at=_between(rng, max(created_s, plan.joined_s[user_id - 1])),
            )


def _ratings(plan: Plan, rng: random.Random) -> Iterator[Rating]:
    user_ids = range(1, plan.scale.users + 1)
    pk = 0
    for index, count in enumerate(plan.ratings):
        for user_id in sorted(rng.sample(user_ids, count)):
            pk += 1
            score = rng.choices(range(1, 6), SCORE_WEIGHTS)[0]
            yield Rating(pk=pk, post_id=index + 1, user_id=user_id, score=score)


def _likes(plan: Plan, rng: random.Random) -> Iterator[Like]:
    user_ids = range(1, plan.scale.users + 1)
    pk = 0
    for index, count in enumerate(plan.likes):
        created_s = plan.created_s[index]
        for user_id in sorted(rng.sample(user_ids, count)):
            pk += 1
            created_at = _between(rng, max(created_s, plan.joined_s[user_id - 1]))
            yield Like(pk=pk, post_id=index + 1, user_id=user_id, created_at=created_at)

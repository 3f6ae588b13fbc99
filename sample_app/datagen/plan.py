"""The skeleton of a generated data set: who wrote what, when, and how popular it is."""

from __future__ import annotations

import bisect
import math
import random
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW = timedelta(days=730)
ANCHOR_S = int(ANCHOR.timestamp())
START_S = ANCHOR_S - int(WINDOW.total_seconds())

# Mean rows per post over all posts (drafts get none, so published posts get more).
COMMENTS_PER_POST = 5.0
LIKES_PER_POST = 4.0
RATINGS_PER_POST = 2.0
PUBLISHED_SHARE = 0.8
FEATURED_SHARE = 0.1
# Pareto shape 1.16 is the classic 80/20 split; the cap bounds the hottest post.
POPULARITY_SHAPE = 1.16
POPULARITY_CAP = 150.0
TAGS_PER_POST_WEIGHTS = (25, 30, 25, 12, 8)


@dataclass(frozen=True)
class Scale:
    """How many posts and users a named scale generates."""

    name: str
    posts: int
    users: int

    @property
    def authors(self) -> int:
        """Return how many users (ids 1..authors) write posts."""
        return max(5, self.users // 4)


SCALES: dict[str, Scale] = {
    scale.name: scale
    for scale in (
        Scale("tiny", posts=50, users=20),
        Scale("small", posts=1_000, users=200),
        Scale("medium", posts=10_000, users=2_000),
        Scale("large", posts=100_000, users=20_000),
    )
}


@dataclass(frozen=True)
class Plan:
    """Per-user and per-post decisions that several tables must agree on."""

    scale: Scale
    joined_s: array[int]
    author: array[int]
    created_s: array[int]
    published: bytes
    featured: bytes
    popularity: array[float]
    comments: array[int]
    likes: array[int]
    ratings: array[int]
    tags: array[int]


def zipf_cum_weights(n: int, exponent: float = 1.0) -> list[float]:
    """Return cumulative Zipf weights for ranks 1..n, for random.choices."""
    return list(accumulate(1.0 / rank**exponent for rank in range(1, n + 1)))


def weighted_distinct(
    rng: random.Random, cum_weights: list[float], k: int, first: int = 1
) -> list[int]:
    """Return k distinct ids (first..) drawn with the given cumulative weights."""
    total = cum_weights[-1]
    chosen: set[int] = set()
    while len(chosen) < k:
        chosen.add(first + bisect.bisect(cum_weights, rng.random() * total))
    return sorted(chosen)


def poisson(rng: random.Random, mean: float) -> int:
    """Return a Poisson draw; the normal approximation above a mean of 30."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def build_plan(scale: Scale, seed: int) -> Plan:
    """Return the plan of `scale` for `seed`; the same arguments give the same plan."""
    rng = random.Random(f"{seed}:plan")
    joined_s = _join_times(rng, scale.users)
    author_weights = zipf_cum_weights(scale.authors)
    author = array(
        "q", rng.choices(range(1, scale.authors + 1), cum_weights=author_weights, k=scale.posts)
    )
    created_s = array("q", (_between(rng, joined_s[a - 1], ANCHOR_S) for a in author))
    published = bytes(rng.random() < PUBLISHED_SHARE for _ in range(scale.posts))
    featured_rate = FEATURED_SHARE / PUBLISHED_SHARE
    featured = bytes(p and rng.random() < featured_rate for p in published)
    popularity = _popularity(rng, published)
    mean = sum(popularity) / scale.posts or 1.0
    cap = scale.users // 2

    def counts(per_post: float, limit: int) -> array[int]:
        return array("q", (min(limit, poisson(rng, per_post * w / mean)) for w in popularity))

    return Plan(
        scale=scale,
        joined_s=joined_s,
        author=author,
        created_s=created_s,
        published=published,
        featured=featured,
        popularity=popularity,
        comments=counts(COMMENTS_PER_POST, 10**9),
        # Likes and ratings are unique per (post, user): at most half the users each.
        likes=counts(LIKES_PER_POST, cap),
        ratings=counts(RATINGS_PER_POST, cap),
        tags=array("q", rng.choices(range(1, 6), TAGS_PER_POST_WEIGHTS, k=scale.posts)),
    )


def _join_times(rng: random.Random, users: int) -> array[int]:
    """Return each user's date_joined in seconds, user 1 first."""
    # Early users join first and write most: authors are users 1..scale.authors.
    span = ANCHOR_S - START_S
    return array(
        "q", (START_S + int(span * (0.85 * i / users + 0.05 * rng.random())) for i in range(users))
    )


def _popularity(rng: random.Random, published: bytes) -> array[float]:
    """Return each post's Pareto popularity weight; drafts get none."""
    return array(
        "d",
        (
            min(rng.paretovariate(POPULARITY_SHAPE), POPULARITY_CAP) if is_published else 0.0
            for is_published in published
        ),
    )


def _between(rng: random.Random, low_s: int, high_s: int) -> int:
    """Return a whole second in [low_s, high_s)."""
    return low_s + int(rng.random() * (high_s - low_s))

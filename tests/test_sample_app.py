"""The sample app's data generator: deterministic, skewed, re-runnable, on every database."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db.models import Count, F, Max, Min
from django.db.models.functions import Length

from sample_app.blog.models import Category, Comment, Like, Post, PostTag, Profile, Rating, Tag
from sample_app.datagen import load
from sample_app.datagen.plan import build_plan
from sample_app.seed import ANCHOR, SCALES, seed

ROOT = Path(__file__).resolve().parent.parent
SEEDED = (User, Profile, Category, Tag, Post, PostTag, Comment, Rating, Like)
# The `tiny` rows of seed 0, hashed; the same value on SQLite, PostgreSQL and MariaDB.
TINY_SEED_0_DIGEST = "639462741da7a00105e3c9dad3af50406e45dc4ede32fe65f825c1170bfd09b4"


def _plain(value: object) -> object:
    """Return a value in a form that does not depend on the database driver."""
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def table_digest() -> str:
    """Return a hash of every seeded row, model by model in primary-key order."""
    digest = hashlib.sha256()
    for model in SEEDED:
        names = [field.attname for field in model._meta.concrete_fields]
        digest.update(model._meta.label.encode())
        for row in model.objects.order_by("pk").values_list(*names):
            digest.update(repr(tuple(_plain(value) for value in row)).encode())
    return digest.hexdigest()


def database_counts() -> dict[str, int]:
    """Return the rows each seeded model holds now."""
    return {model._meta.label: model.objects.count() for model in SEEDED}


def test_unknown_scale_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        seed("huge")


def test_scales_plan_the_documented_sizes() -> None:
    assert {name: scale.posts for name, scale in SCALES.items()} == {
        "tiny": 50,
        "small": 1_000,
        "medium": 10_000,
        "large": 100_000,
    }
    plan = build_plan(SCALES["small"], seed=0)
    posts = SCALES["small"].posts
    assert 4.0 * posts < sum(plan.comments) < 6.0 * posts
    assert all(1 <= count <= 5 for count in plan.tags)
    assert 0.75 < sum(plan.published) / posts < 0.85
    assert 0.07 < sum(plan.featured) / posts < 0.13


@pytest.mark.django_db
def test_same_seed_gives_identical_rows_and_another_seed_differs() -> None:
    first_counts = seed("tiny", seed=0)
    first = table_digest()
    seed("tiny", seed=1)
    other = table_digest()
    # Seed 0 again (the test's transaction then restores the session's data).
    again_counts = seed("tiny", seed=0)
    assert table_digest() == first
    assert again_counts == first_counts
    assert other != first


@pytest.mark.django_db
def test_tiny_rows_are_identical_on_every_database() -> None:
    seed("tiny")
    assert table_digest() == TINY_SEED_0_DIGEST


@pytest.mark.django_db
def test_rerun_replaces_the_rows_instead_of_adding() -> None:
    first = seed("tiny")
    second = seed("tiny")
    assert first == second == database_counts()


@pytest.mark.django_db
def test_tiny_counts_are_in_the_expected_ranges() -> None:
    counts = seed("tiny")
    assert counts["auth.User"] == counts["blog.Profile"] == 20
    assert counts["blog.Category"] == 12
    assert counts["blog.Tag"] == 50
    assert counts["blog.Post"] == 50
    assert 50 <= counts["blog.PostTag"] <= 250
    assert 150 <= counts["blog.Comment"] <= 400
    assert 40 <= counts["blog.Rating"] <= 160
    assert 100 <= counts["blog.Like"] <= 300
    assert counts == database_counts()


@pytest.mark.django_db
def test_tiny_seeds_well_under_a_second() -> None:
    started = time.perf_counter()
    seed("tiny")
    assert time.perf_counter() - started < 1.0


@pytest.mark.django_db
def test_small_scale_seeds_about_a_thousand_posts_in_seconds() -> None:
    started = time.perf_counter()
    counts = seed("small")
    seconds = time.perf_counter() - started
    assert counts["blog.Post"] == 1_000
    assert 4_000 < counts["blog.Comment"] < 6_000
    assert seconds < 15, f"seeding small took {seconds:.1f} s"


@pytest.mark.django_db
def test_comments_likes_and_posts_are_skewed() -> None:
    seed("small")
    per_post = sorted(
        Post.objects.annotate(n=Count("comments")).values_list("n", flat=True), reverse=True
    )
    top_tenth = per_post[: len(per_post) // 10]
    # Uniform comments (Poisson, mean 5) would give the top tenth about 17%.
    assert sum(top_tenth) / sum(per_post) > 0.4
    assert per_post.count(0) > len(per_post) // 10
    per_author = sorted(
        Post.objects.values("author").annotate(n=Count("id")).values_list("n", flat=True),
        reverse=True,
    )
    assert per_author[0] > 5 * (1_000 / len(per_author))
    likes = sorted(Post.objects.values_list("like_count", flat=True), reverse=True)
    assert sum(likes[:100]) / sum(likes) > 0.4


@pytest.mark.django_db
def test_rows_are_consistent_with_each_other() -> None:
    seed("tiny")
    assert Post.objects.aggregate(latest=Max("updated_at"))["latest"] < ANCHOR
    assert Post.objects.aggregate(earliest=Min("created_at"))["earliest"] > ANCHOR.replace(
        year=2023
    )
    assert not Comment.objects.filter(created_at__lt=F("post__created_at")).exists()
    assert not Like.objects.filter(created_at__lt=F("user__date_joined")).exists()
    mismatched = Post.objects.annotate(n=Count("likes")).exclude(like_count=F("n"))
    assert not mismatched.exists()
    assert not Comment.objects.filter(post__published=False).exists()
    assert not User.objects.filter(profile__isnull=True).exists()
    assert not any(user.has_usable_password() for user in User.objects.all())


@pytest.mark.django_db
def test_heavy_fields_are_heavy_enough_for_only_and_defer_to_matter() -> None:
    seed("tiny")
    posts = Post.objects.aggregate(
        content=Min(Length("content")), description=Min(Length("description"))
    )
    assert posts["content"] >= 1_600
    assert posts["description"] >= 500
    assert Profile.objects.aggregate(bio=Min(Length("bio")))["bio"] >= 800
    avatar_sizes = [
        len(bytes(avatar)) for avatar in Profile.objects.values_list("avatar", flat=True)
    ]
    assert min(avatar_sizes) >= 2048
    assert max(avatar_sizes) <= 8192


@pytest.mark.django_db
def test_create_after_seeding_gets_fresh_primary_keys() -> None:
    counts = seed("tiny")
    user = User.objects.create_user("after-seed", password=None)
    category = Category.objects.create(name="New", slug="new")
    post = Post.objects.create(
        title="After seeding",
        slug="after-seeding",
        content="x",
        author=user,
        category=category,
        external_id="after-seed-1",
    )
    comment = Comment.objects.create(post=post, user=user, text="works")
    # Without the sequence reset PostgreSQL would hand out pk 1 again (IntegrityError);
    # MySQL's AUTO_INCREMENT never goes back, so ids may leave a gap there.
    assert user.pk > counts["auth.User"]
    assert post.pk > counts["blog.Post"]
    assert comment.pk > counts["blog.Comment"]


@pytest.mark.django_db
def test_progress_reports_each_table_and_tenths_of_big_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(load, "PERIODIC_ROWS", 100)
    monkeypatch.setattr(load, "BATCH_ROWS", 10)
    lines: list[str] = []
    counts = seed("tiny", progress=lines.append)
    finals = [line for line in lines if " rows in " in line]
    assert [line.split()[0] for line in finals] == list(counts)
    tenths = [line for line in lines if line.startswith("blog.Comment") and "%)" in line]
    percents = [int(line.split()[-1].strip("(%)")) for line in tenths]
    assert [percent // 10 for percent in percents] == list(range(1, 10))


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a command at the repository root against a fresh SQLite file in tmp_path."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'blog.sqlite3'}"
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _sqlite_count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize(
    "command", [("-m", "sample_app.seed"), ("manage.py", "seed")], ids=["module", "manage"]
)
def test_command_line_migrates_and_seeds_a_new_database(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    result = _run(tmp_path, *command, "--scale", "tiny")
    assert result.returncode == 0, result.stderr
    assert "blog.Post" in result.stderr
    assert "50 rows in" in result.stderr
    assert "Seeded scale 'tiny' (seed 0)" in result.stdout
    assert _sqlite_count(tmp_path / "blog.sqlite3", "blog_post") == 50
    assert _sqlite_count(tmp_path / "blog.sqlite3", "auth_user") == 20


def test_quiet_command_line_prints_nothing(tmp_path: Path) -> None:
    result = _run(tmp_path, "-m", "sample_app.seed", "--scale", "tiny", "--seed", "7", "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert _sqlite_count(tmp_path / "blog.sqlite3", "blog_comment") > 0

"""%%orm_profile --verify end to end: each fix replayed in the cell, rolled back, compared."""

from __future__ import annotations

import pytest
from django.db.models import F
from IPython.utils.capture import capture_output

import kit
from kit.analysis.verification import describe
from sample_app.blog.models import Comment, Post, Tag

# Every alias: the replay opens a transaction on each, as the magic does by default.
pytestmark = pytest.mark.django_db(databases=["default", "other"])

PART1 = """%%orm_profile -o prof --verify
lines = []
for post in Post.objects.order_by("pk"):
    lines.append(post.author.username)
    lines.append(post.category.name)
    # Sorted: a post's comments have no order, and prefetched they may come in another
    # (MariaDB), which the replay would rightly report.
    lines.extend(sorted(comment.user.username for comment in post.comments.all()))
print(len(lines))
lines
"""

# The same loop over 30 posts: quicker, for the tests about the replay's machinery.
# Ordered: an unordered queryset's rows may come back in another order once the fix joins
# (MariaDB does), which the replay rightly reports (tests/test_verify_examples.py).
SMALL = PART1.replace(
    'Post.objects.order_by("pk")', 'Post.objects.filter(pk__lte=30).order_by("pk")'
)


def run(shell, cell: str):
    shell.user_ns.pop("prof", None)
    shell.user_ns.update(Post=Post, Comment=Comment, Tag=Tag)
    with capture_output() as captured:
        result = shell.run_cell(cell)
    result.raise_error()
    return shell.user_ns["prof"], captured


def test_the_guides_part1_fix_is_verified_and_the_first_run_still_prints(ip_shell):
    prof, captured = run(ip_shell, PART1)
    (verification,) = prof.verifications
    assert verification.verified, describe(verification)
    assert verification.same_output and verification.reason == ""
    assert verification.finding == prof.findings[0]
    assert verification.queries_before == prof.query_count
    assert verification.queries_after is not None and verification.queries_after <= 4
    assert verification.code == prof.findings[0].suggestion
    # The first run's print reached the user once (the replay's was captured).
    printed = captured.stdout.splitlines()
    assert printed[0].isdigit() and int(printed[0]) > Post.objects.count()
    assert printed.count(printed[0]) == 1
    text = repr(prof)
    assert f"verified: {prof.query_count:,} -> {verification.queries_after} queries" in text
    assert "same output" in prof._repr_html_()
    # The notebook's variables keep the first run's objects.
    assert ip_shell.user_ns["lines"] and isinstance(ip_shell.user_ns["lines"], list)


def test_a_fix_that_changes_the_rows_is_not_verified(ip_shell, monkeypatch):
    from kit.analysis import fixes

    # A hand-made wrong fix: it drops a post while adding the right calls.
    wrong = property(lambda self: self.expression + ".exclude(pk=3)" + self.chain)
    monkeypatch.setattr(fixes.QuerysetFix, "code", wrong)
    prof, _ = run(ip_shell, SMALL)
    (verification,) = prof.verifications
    assert not verification.verified and not verification.same_output
    assert describe(verification).startswith("not verified: the output differs (first difference:")


def test_every_fix_then_all_together(ip_shell):
    cell = """%%orm_profile -o prof --verify
names = [post.author.username for post in Post.objects.order_by("pk")[:20]]
users = [comment.user.username for comment in Comment.objects.order_by("pk")[:30]]
print(names[:3])
users
"""
    prof, _ = run(ip_shell, cell)
    assert len(prof.verifications) == 3
    assert [v.finding is None for v in prof.verifications] == [False, False, True]
    assert all(v.verified for v in prof.verifications), [describe(v) for v in prof.verifications]
    together = prof.verifications[-1]
    assert together.queries_after == 2
    assert "With all fixes, the cell would run" in repr(prof)


def test_a_cell_that_writes_is_replayed_and_every_table_is_as_the_first_run_left_it(ip_shell):
    cell = """%%orm_profile -o prof --verify
number = Tag.objects.count()
made = Tag.objects.create(name=f"verify-{number}", slug=f"verify-{number}")
Post.objects.filter(pk=1).update(view_count=F("view_count") + 1)
names = [post.author.username for post in Post.objects.order_by("pk")[:10]]
names
"""
    ip_shell.user_ns["F"] = F
    before_tags, before_views = Tag.objects.count(), Post.objects.get(pk=1).view_count
    prof, _ = run(ip_shell, cell)
    (verification,) = prof.verifications
    assert verification.verified, describe(verification)
    # The first run's writes stay, once; the replay's (one more tag, one more view) are gone.
    assert Tag.objects.count() == before_tags + 1
    assert Tag.objects.filter(slug=f"verify-{before_tags}").exists()
    assert not Tag.objects.filter(slug=f"verify-{before_tags + 1}").exists()
    assert Post.objects.get(pk=1).view_count == before_views + 1
    assert ip_shell.user_ns["made"].slug == f"verify-{before_tags}"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("from django.db import transaction\ntransaction.commit()", "it commits"),
        ("import threading\nt = threading.Thread(target=print)", "thread"),
    ],
)
def test_a_cell_that_could_keep_its_effects_is_not_replayed(ip_shell, code, reason):
    cell = f"""%%orm_profile -o prof --verify
names = [post.author.username for post in Post.objects.order_by("pk")[:10]]
if False:
    {code.replace(chr(10), chr(10) + "    ")}
"""
    prof, _ = run(ip_shell, cell)
    (verification,) = prof.verifications
    assert not verification.applied and verification.queries_after is None
    assert "the cell is not replayed" in verification.reason and reason in verification.reason


def test_verify_is_off_by_default_and_on_with_config(ip_shell):
    cell = SMALL.replace(" --verify", "")
    prof, _ = run(ip_shell, cell)
    assert prof.verifications == []
    ip_shell.run_line_magic("config", "OrmProfile.verify = True")
    try:
        prof, _ = run(ip_shell, cell)
    finally:
        ip_shell.run_line_magic("config", "OrmProfile.verify = False")
    assert [v.verified for v in prof.verifications] == [True]


def test_verifications_are_saved_loaded_and_compared(ip_shell, tmp_path):
    prof, _ = run(ip_shell, SMALL)
    loaded = kit.load(prof.save(tmp_path / "p.json"))
    assert loaded.verifications == prof.verifications
    assert "verified:" in repr(loaded)


def _profile_with(verifications, name):
    from datetime import UTC, datetime

    from kit.profiles.profile import Profile

    profile = Profile.of_records([], started_at=datetime.now(UTC), wall_time_ms=1.0, name=name)
    profile.verifications = list(verifications)
    return profile


def test_compare_and_the_report_show_the_replayed_fixes(tmp_path):
    from kit.analysis.findings import Finding
    from kit.analysis.verification import Verification

    finding = Finding("n_plus_one", "high", "7,950 queries load", (1, 2, 3), "Post.objects.x()")
    one = Verification(finding, "Post.objects.x()", True, 7951, 3, 900.0, 2.0, True)
    together = Verification(None, "a\nb", True, 7951, 2, 900.0, 1.0, True)
    before = _profile_with([one, together], "before")
    after = _profile_with([], "after")
    comparison = kit.compare(before, after)
    (metric,) = [m for m in comparison.metrics if m.name == "queries with verified fixes"]
    assert (metric.before, metric.after) == (2, 0)
    text = repr(comparison)
    assert "before: verified: 7,951 -> 3 queries, 900 -> 2 ms, same output" in text
    assert "before, all fixes together: verified: 7,951 -&gt; 2" in comparison._repr_html_()
    html = kit.report(before, tmp_path / "r.html", static_images=False).read_text()
    assert "<h2>Fixes replayed</h2>" in html and "all fixes together" in html
    assert "7,951 -&gt; 3" in html
    # No metric when neither side replayed its fixes.
    plain = kit.compare(_profile_with([], "b"), after)
    assert "queries with verified fixes" not in repr(plain)


def test_a_file_saved_before_verifications_loads_with_none(tmp_path):
    import json

    path = _profile_with([], "old").save(tmp_path / "old.json")
    data = json.loads(path.read_text())
    del data["verifications"]
    path.write_text(json.dumps(data))
    assert kit.load(path).verifications == []


def test_a_cell_starting_with_blank_lines_keeps_its_line_numbers(ip_shell):
    cell = PART1.replace("--verify\n", "--verify\n\n\n").replace(
        'Post.objects.order_by("pk")', "Post.objects.filter(pk__lte=20).order_by('pk')"
    )
    prof, _ = run(ip_shell, cell)
    assert prof.findings[0].line == 5  # the for loop: two blank lines, then lines = []
    assert prof.cell_line_text(5).startswith("for post in Post.objects.filter(pk__lte=20)")
    (verification,) = prof.verifications
    assert verification.verified, describe(verification)


def test_the_replay_never_changes_the_notebooks_objects_and_starts_where_the_first_run_did(
    ip_shell,
):
    # A list and a dict from an earlier cell, changed by the cell: the replay works on copies
    # taken before the first run, so the notebook keeps one run's changes and the replay sees
    # the same starting state (the output compares equal).
    ip_shell.user_ns.update(seen=[], counter={"n": 0})
    prof, _ = run(
        ip_shell,
        "%%orm_profile -o prof --verify\n"
        "for post in Post.objects.filter(pk__lte=6).order_by('pk'):\n"
        "    seen.append(post.author.username)\n"
        "    counter['n'] += 1\n"
        "len(seen), counter['n']\n",
    )
    (verification,) = prof.verifications
    assert verification.verified, describe(verification)
    assert len(ip_shell.user_ns["seen"]) == 6 and ip_shell.user_ns["counter"] == {"n": 6}

"""What %%orm_profile --verify adds to the quickstart's N+1 cell, against the fixed cell's time.

Each round runs, order alternating, the quickstart's N+1 cell under %%orm_profile --verify and
the quickstart's fixed cell with no magic at all (its own run time). What --verify adds is the
time of its replay step (kit.magics.verify.verify_cell, timed around its call: planning,
rewriting, the rolled-back replay under capture, the comparison); the rest of the cell is the
same with or without the option. The first run's findings are computed before the timer
starts: the profile's display computes them anyway (and caches them). The target (issue
13): the replay's median is at most the fixed cell's median plus 0.2 s; the per-round
difference is reported too. Wall time
(perf_counter) and this process's CPU time (process_time, less sensitive to other load on a
shared machine). Run from the repository root after `make sample-data`:

    .venv/bin/python benchmarks/verify_overhead.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
from time import perf_counter, process_time
from typing import Any

from _django import setup_sample_project

BODY = """
lines = []
posts = Post.objects.all()
for post in posts:
    lines.append(post.author.username)  # one query per post
    lines.append(post.category.name)  # one more per post
    for comment in post.comments.all():  # one more per post
        lines.append(comment.user.username)  # one per comment
len(lines)
"""
FIXED = BODY.replace(
    "Post.objects.all()",
    'Post.objects.select_related("author", "category").prefetch_related("comments__user")',
)
OPTIONS = "--no-timeline --no-charts --no-table -o bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    vendor = setup_sample_project()

    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    from traitlets.config import Config

    from kit.magics import orm_profile
    from sample_app.blog.models import Post

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "kit")
    shell.run_line_magic("config", "OrmProfile.static_images = False")
    shell.run_line_magic("config", "OrmProfile.progress = False")
    shell.user_ns["Post"] = Post
    replays: list[tuple[float, float]] = []
    verify_cell = orm_profile.verify_cell

    def timed_verify_cell(*args: Any, **kwargs: Any) -> Any:
        args[3].analysis  # noqa: B018 - the first run's findings, which the display needs too
        wall, cpu = perf_counter(), process_time()
        try:
            return verify_cell(*args, **kwargs)
        finally:
            replays.append((perf_counter() - wall, process_time() - cpu))

    orm_profile.verify_cell = timed_verify_cell  # type: ignore[assignment]

    def run_fixed() -> tuple[float, float]:
        with capture_output():
            wall, cpu = perf_counter(), process_time()
            shell.run_cell(FIXED).raise_error()
            return perf_counter() - wall, process_time() - cpu

    def run_verified() -> None:
        with capture_output():
            shell.run_cell(f"%%orm_profile --verify {OPTIONS}\n{BODY}").raise_error()

    run_fixed()  # warm up: imports, caches, the first render
    run_verified()
    replays.clear()
    fixed: list[tuple[float, float]] = []
    for round_ in range(args.rounds):
        if round_ % 2:
            fixed.append(run_fixed())
            run_verified()
        else:
            run_verified()
            fixed.append(run_fixed())
    verified = shell.user_ns["bench"].verifications
    print(f"{vendor}, {args.rounds} rounds, medians (wall s / CPU s):")
    for name, values in (("replay step of --verify", replays), ("fixed cell, no magic", fixed)):
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        spread = max(v[0] for v in values) - min(v[0] for v in values)
        print(f"  {name:<26} {wall:7.3f} / {cpu:7.3f}  (wall spread {spread:.3f})")
    for index, unit in ((0, "wall"), (1, "CPU")):
        extra = statistics.median(r[index] - f[index] for r, f in zip(replays, fixed, strict=True))
        verdict = "within" if extra <= 0.2 else "OVER"
        print(
            f"  {unit}: replay minus fixed cell, median per round {extra:+.3f} s: {verdict} 0.2 s"
        )
    print(f"  replays: {', '.join(f'{v.queries_before}->{v.queries_after}' for v in verified)}")


if __name__ == "__main__":
    main()

"""What %%orm_profile --verify adds to the quickstart's N+1 cell, against the fixed cell's own time.

Three cells run in one IPython shell, interleaved in every round with the order rotated:
the quickstart's N+1 cell under %%orm_profile, the same with --verify, and the quickstart's
fixed cell with no magic at all (its own run time). The target (issue 13): the median extra
of --verify is at most the fixed cell's median plus 0.2 s. Figures are wall-clock medians
(perf_counter) over the rounds. The figures, table and PNGs are off in both profiled cells
(the findings are shown: the replay reads them), so the difference is the replay's.
Run from the repository root after `make sample-data`:

    .venv/bin/python benchmarks/verify_overhead.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
from time import perf_counter

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

    from sample_app.blog.models import Post

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "kit")
    shell.run_line_magic("config", "OrmProfile.static_images = False")
    shell.run_line_magic("config", "OrmProfile.progress = False")
    shell.user_ns["Post"] = Post
    cells = {
        "N+1 cell, %%orm_profile": f"%%orm_profile {OPTIONS}\n{BODY}",
        "N+1 cell, %%orm_profile --verify": f"%%orm_profile --verify {OPTIONS}\n{BODY}",
        "fixed cell, no magic": FIXED,
    }

    def run(cell: str) -> float:
        with capture_output():
            started = perf_counter()
            shell.run_cell(cell).raise_error()
            return perf_counter() - started

    for cell in cells.values():  # warm up: imports, caches, the first render
        run(cell)
    verified = shell.user_ns["bench"].verifications
    times: dict[str, list[float]] = {name: [] for name in cells}
    names = list(cells)
    for round_ in range(args.rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            times[name].append(run(cells[name]))
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{vendor}, {args.rounds} rounds, medians of wall time:")
    for name, value in medians.items():
        spread = max(times[name]) - min(times[name])
        print(f"  {name:<36} {value:7.3f} s  (spread {spread:.3f} s)")
    extra = medians["N+1 cell, %%orm_profile --verify"] - medians["N+1 cell, %%orm_profile"]
    budget = medians["fixed cell, no magic"] + 0.2
    verdict = "within" if extra <= budget else "OVER"
    print(f"  --verify adds {extra:.3f} s; budget (fixed cell + 0.2 s) {budget:.3f} s: {verdict}")
    print(f"  replays: {', '.join(f'{v.queries_before}->{v.queries_after}' for v in verified)}")


if __name__ == "__main__":
    main()

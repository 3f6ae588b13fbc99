"""How long a profiled cell's outputs take to appear, and how big they are in a notebook.

By default, in a fresh Jupyter kernel per round, as a person meets it: `%load_ext kit`, then a
cell of 10,000 queries (four shapes, N+1 groups) under %%orm_profile, then the same cell again.
"first" and "second" are the seconds from the cell's own last line (it prints a marker) to its
last output, both stamped by the kernel: the kit's analysis, rendering and PNG copies.
"load_ext" is %load_ext kit's own round trip. With --no-png, OrmProfile.static_images is off.

--synthesized times the rendering of 10,000 and 100,000 records synthesized from the sample
app's SQL in this process (no kernel): "render" is everything %%orm_profile displays, formatted
as IPython does, without PNG export; PNG export is timed on its own; "saved" is the size of the
mimebundles as JSON, PNGs included. Run from the repository root after `make sample-data`:

    .venv/bin/python benchmarks/render.py [--rounds 5] [--no-png] [--synthesized]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

from _django import REPO, setup_sample_project

CELL = "<ipython-input-1>"


def sample_queries() -> list[tuple[str, Any, int]]:
    """(sql, params, cell line) of the sample app's workloads: the shapes a big cell repeats."""
    from django.db.models import Avg, Count

    import kit
    from sample_app import workloads
    from sample_app.blog.models import Category, Comment, Like, Post, Rating, Tag

    steps = [
        workloads.n_plus_one_loop,
        workloads.optimized_loop,
        lambda: Post.objects.filter(tags__name="python").count(),
        lambda: list(Post.objects.values("id", "title")[:20]),
        lambda: list(Comment.objects.filter(post_id=1).order_by("-id")[:5]),
        lambda: Category.objects.filter(name__startswith="a").exists(),
        lambda: list(Tag.objects.order_by("name")[:10]),
        lambda: Post.objects.filter(id=1).first(),
        lambda: list(Post.objects.prefetch_related("tags")[:10]),
        lambda: list(Post.objects.annotate(n=Count("comments")).order_by("-n")[:5]),
        lambda: Rating.objects.filter(post_id=1).aggregate(Avg("score")),
        lambda: Like.objects.filter(user_id=1).count(),
        lambda: list(Post.objects.select_related("author__profile").filter(id__in=[1, 2, 3])),
        lambda: Comment.objects.filter(post__category__name="x").exists(),
    ]
    samples = []
    for line, step in enumerate(steps, start=2):
        with kit.profile(cap=500) as profile:
            step()
        samples += [(q.sql, q.params, line) for q in profile.queries]
    return samples


def synthesize(samples: list[tuple[str, Any, int]], count: int, seed: int = 0) -> Any:
    """A finished Profile of `count` records drawn from the samples, with realistic timings."""
    from kit.capture.records import QueryRecord
    from kit.profiles.profile import Profile

    rng = random.Random(seed)
    records, clock = [], 0.0
    for i in range(count):
        sql, params, line = samples[rng.randrange(len(samples))]
        duration = rng.lognormvariate(-2.5, 0.8)  # median ~0.08 ms, a long tail
        records.append(
            QueryRecord(
                id=i, alias="default", vendor="sqlite", sql=sql, params=params, many=False,
                start_ms=clock, duration_ms=duration, thread="MainThread",
                source_file=CELL, source_lineno=line, line=line,
            )
        )  # fmt: skip
        clock += duration + rng.expovariate(1 / 0.05)  # Python time between queries
    cell = "%%orm_profile\n" + "".join(f"step_{n}()\n" for n in range(2, 12))
    return Profile.of_records(
        records,
        started_at=datetime.now(UTC),
        wall_time_ms=clock + 1.0,
        cell=cell,
        cell_filename=CELL,
    )


def render(profile: Any, detail_limit: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Everything the magic displays, formatted to mimebundles (no PNG export)."""
    from IPython.core.formatters import DisplayFormatter

    from kit.render.outputs import OutputOptions, profile_outputs

    formatter = DisplayFormatter()
    options = OutputOptions(static_images=False, detail_limit=detail_limit)
    return [formatter.format(part) for part in profile_outputs(profile, options)]


def png_sizes(profile: Any, detail_limit: int) -> tuple[int, float]:
    """Base64 bytes of the timeline's and the charts' PNGs, and the seconds the export took."""
    from kit.render.charts import render_breakdown
    from kit.render.figures import png_exporter
    from kit.render.timeline import render_timeline

    exporter = png_exporter()
    exporter.to_png(render_breakdown(profile))  # starts the browser: not counted
    figures = [render_timeline(profile, detail_limit=detail_limit), render_breakdown(profile)]
    start = perf_counter()
    pngs = [exporter.to_png(figure) for figure in figures]
    seconds = perf_counter() - start
    if any(png is None for png in pngs):
        raise SystemExit(f"PNG export failed: {exporter.unavailable}")
    return sum(len(png or b"") * 4 // 3 for png in pngs), seconds


PROFILED_CELL = """%%orm_profile
from sample_app.blog.models import Category, Comment, Post, Tag
for i in range(2_500):
    Post.objects.filter(pk=i % 500 + 1).exists()
    Comment.objects.filter(post_id=i % 500 + 1).count()
    Tag.objects.filter(pk=i % 50 + 1).exists()
    Category.objects.filter(pk=i % 10 + 1).exists()
print(MARKER, flush=True)
"""


def kernel_rounds(rounds: int, png: bool, repo: Path = REPO) -> None:
    """The first and second profiled cell of fresh kernels, `rounds` times, with the kit of
    `repo` (another checkout, to compare before and after a change)."""
    from _kernel import MARKER, FreshKernel

    cell = PROFILED_CELL.replace("MARKER", repr(MARKER))
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")])),
    )
    load, first, second = [], [], []
    for _ in range(rounds):
        with FreshKernel(repo, env) as kernel:
            load.append(kernel.run("%load_ext kit").round_trip_s)
            if not png:
                kernel.run("%config OrmProfile.static_images = False")
            for times in (first, second):
                run = kernel.run(cell)
                if run.error or run.after_marker_s is None:
                    raise SystemExit(f"the profiled cell failed: {run.error or 'no marker'}")
                times.append(run.after_marker_s)
    print(f"fresh kernel, 10,000 queries, PNG copies {'on' if png else 'off'}, {rounds} rounds")
    print(f"{'':<10}{'median s':>10}{'min s':>8}{'max s':>8}")
    for name, times in (("load_ext", load), ("first", first), ("second", second)):
        print(f"{name:<10}{statistics.median(times):>10.2f}{min(times):>8.2f}{max(times):>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-png", action="store_true", help="skip the PNG export figures")
    parser.add_argument(
        "--synthesized", action="store_true", help="render synthesized records in this process"
    )
    parser.add_argument(
        "--repo", type=Path, default=REPO, help="the checkout whose kit the kernel runs"
    )
    args = parser.parse_args()
    if not args.synthesized:
        kernel_rounds(args.rounds, png=not args.no_png, repo=args.repo.resolve())
        return
    vendor = setup_sample_project()
    samples = sample_queries()
    from kit.analysis.fingerprint import fingerprint

    shapes = len({fingerprint(sql) for sql, _, _ in samples})
    print(f"{len(samples):,} sample queries, {shapes} shapes, from the sample app on {vendor}")
    print(
        f"{'queries':>8} {'timeline':<10} {'first s':>8} {'median s':>9} "
        f"{'saved KB':>9} {'of which PNG':>13} {'PNG export s':>13} {'total s':>8}"
    )
    cases = [(10_000, 5_000), (10_000, 10_000), (100_000, 5_000)]
    for count, detail_limit in cases:
        times, bundles = [], []
        for round_ in range(args.rounds):
            # A fresh profile each round: its analysis (findings, N+1 groups) is computed once
            # per cell and cached, so a reused profile would time that only in its first round.
            profile = synthesize(samples, count, seed=round_)
            start = perf_counter()
            bundles = render(profile, detail_limit)
            times.append(perf_counter() - start)
        saved = len(json.dumps([data for data, _ in bundles]))
        png, png_s = (0, 0.0) if args.no_png else png_sizes(profile, detail_limit)
        mode = "per query" if count <= detail_limit else "binned"
        print(
            f"{count:>8,} {mode:<10} {times[0]:>8.2f} {statistics.median(times):>9.2f} "
            f"{(saved + png) / 1024:>9,.0f} {png / 1024:>13,.0f} {png_s:>13.2f}"
            f" {statistics.median(times) + png_s:>8.2f}"
        )


if __name__ == "__main__":
    main()

"""What tracking eager loads costs (kit.capture.eager): per related attribute read, per block.

Variants run interleaved in every round with the order rotated; figures are medians of CPU
time (time.process_time) of the workload alone (the block's own set-up outside the timing, but
for the empty block):

- related reads: the posts loaded with select_related("author", "category") and every
  comment's user prefetched, each read once, bare and with the hooks on (track_eager): the
  hooked __get__ on every read, no query;
- the fetch of those posts (2 queries, the _fetch_all and prefetch hooks), bare and hooked;
- the guide's N+1 loop on the first 200 posts (a query per read), bare, inside
  kit.profile(eager=False) and inside kit.profile();
- an empty block: kit.profile(eager=False) against kit.profile(), hooks on and off included.

Run from the repository root after `make sample-data`:

    .venv/bin/python benchmarks/eager_overhead.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from time import process_time

from _django import setup_sample_project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    vendor = setup_sample_project()

    from django.db.models import Prefetch

    import kit
    from kit.capture.eager import track_eager
    from sample_app.blog.models import Comment, Post

    def fetch() -> list[Post]:
        return list(
            Post.objects.select_related("author", "category").prefetch_related(
                Prefetch("comments", queryset=Comment.objects.select_related("user"))
            )
        )

    loaded = fetch()
    reads = 3 * len(loaded) + sum(len(post.comments.all()) for post in loaded)

    def read_all() -> None:
        for post in loaded:
            _ = post.author.username, post.category.name
            for comment in post.comments.all():
                _ = comment.user.username

    def n_plus_one() -> None:
        for post in Post.objects.all()[:200]:
            _ = post.author.username, post.category.name
            for comment in post.comments.all():
                _ = comment.user.username

    hooks: dict[str, Callable[[], AbstractContextManager[object]]] = {
        "bare": nullcontext,
        "hooked": track_eager,
    }
    blocks: dict[str, Callable[[], AbstractContextManager[object]]] = {
        "bare": nullcontext,
        "eager=False": lambda: kit.profile(eager=False, cache=False),
        "kit.profile()": lambda: kit.profile(cache=False),
    }
    print(f"{vendor}, {args.rounds} rounds, medians of CPU time (ms)")
    report(f"{reads:,} related reads of loaded objects", read_all, hooks, args.rounds, reads)
    report(f"the fetch ({len(loaded):,} posts, 2 queries)", fetch, hooks, args.rounds, 1)
    report("the N+1 loop, 200 posts", n_plus_one, blocks, args.rounds, 1)
    report("an empty block", lambda: None, blocks, args.rounds * 20, 1, whole_block=True)


def report(
    label: str,
    workload: Callable[[], object],
    variants: dict[str, Callable[[], AbstractContextManager[object]]],
    rounds: int,
    per: int,
    whole_block: bool = False,
) -> None:
    """Run workload under each variant, interleaved and rotated; print the medians, the
    ratios to the first variant and the last's extra microseconds per `per` operations;
    whole_block: time the variant's block too, not only the workload inside it."""
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    workload()  # warm: imports, caches, the database's pages
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            block_start = process_time()
            with variants[name]():
                start = process_time()
                workload()
                elapsed = process_time() - start
            times[name].append(process_time() - block_start if whole_block else elapsed)
    median = {name: statistics.median(values) * 1000.0 for name, values in times.items()}
    base = median[names[0]]
    figures = ", ".join(
        f"{name} {median[name]:.2f} ({median[name] / base:.3f}x)" for name in names
    )
    extra = (median[names[-1]] - median[names[-2]]) * 1000.0 / per
    print(f"{label}: {figures}; {names[-1]} {extra:+.2f} us per {'read' if per > 1 else 'run'}")


if __name__ == "__main__":
    main()

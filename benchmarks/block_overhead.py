"""What one capturing block costs to begin and end, with its process-wide query hook.

kit.capture.cursor_hook installs one hook on Django's cursor (and asgiref's sync_to_async) when
the first block begins and removes it when the last one ends. Timed here: an empty
capture_queries() block, the hook's own install + remove, and the eager-load tracking that
kit.profile() adds (kit.capture.eager: QuerySet's two functions, and a tracking class on every
related descriptor of the installed models, so it grows with the project's models), each on a
small heap and on one grown by HEAP_OBJECTS tracked objects, and after a block that ran many
queries: the figures must not grow with either. Medians of interleaved rounds. Run from the repository root after
`make sample-data`:

    .venv/bin/python benchmarks/block_overhead.py [--rounds 21]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from time import perf_counter

from _django import setup_sample_project

HEAP_OBJECTS = 2_000_000
BLOCKS = 2_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    vendor = setup_sample_project()

    from django.db import connection

    from kit.capture import capture_queries
    from kit.capture.cursor_hook import install, remove
    from kit.capture.eager import _model_descriptors, track_eager

    def empty_block() -> None:
        with capture_queries():
            pass

    def hook_only() -> None:
        recorder = lambda *a: None  # noqa: E731  (never called: no query runs)
        install(recorder, ("default",))
        remove(recorder)

    def eager_only() -> None:
        with track_eager():
            pass

    def per_call_us(work: Callable[[], None]) -> float:
        start = perf_counter()
        for _ in range(BLOCKS):
            work()
        return (perf_counter() - start) / BLOCKS * 1e6

    def measure(label: str) -> None:
        block, hook, eager = [], [], []
        for _ in range(args.rounds):
            block.append(per_call_us(empty_block))
            hook.append(per_call_us(hook_only))
            eager.append(per_call_us(eager_only))
        print(
            f"{label:<44}{statistics.median(block):>10.1f}{statistics.median(hook):>12.1f}"
            f"{statistics.median(eager):>14.1f}"
        )

    descriptors = len(list(_model_descriptors()))
    print(f"{vendor}, {args.rounds} rounds of {BLOCKS:,} blocks, medians in us per block")
    print(f"eager tracking watches {descriptors} related descriptors")
    print(f"{'':<44}{'empty block':>10}{'hook alone':>12}{'eager alone':>14}")
    measure("small heap")
    with capture_queries(), connection.cursor() as cursor:
        for i in range(20_000):
            cursor.execute("SELECT %s", [i])
    measure("after a block of 20,000 queries")
    heap = [[i] for i in range(HEAP_OBJECTS)]  # tracked containers: what a big project holds
    measure(f"heap grown by {HEAP_OBJECTS:,} lists")
    del heap


if __name__ == "__main__":
    main()

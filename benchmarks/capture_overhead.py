"""Time the guide's N+1 loop with no capture, a no-op execute_wrapper, and kit.profile().

Variants run interleaved in every round (order rotated), so machine noise hits them alike;
the figures are medians of CPU time (time.process_time: the work of this process, which other
processes on a shared machine disturb far less than wall time), with wall time beside them.
Run from the repository root after `make sample-data`:

    .venv/bin/python benchmarks/capture_overhead.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from time import perf_counter, process_time

from _django import setup_sample_project
from _walk import walk_cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    vendor = setup_sample_project()

    from django.db import connection

    import kit
    from sample_app.workloads import n_plus_one_loop

    def noop_wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        return execute(sql, params, many, context)

    variants: dict[str, Callable[[], AbstractContextManager[object]]] = {
        "no capture": nullcontext,
        "no-op execute_wrapper": lambda: connection.execute_wrapper(noop_wrapper),
        "kit.profile()": kit.profile,
        "kit.profile() + progress": profile_with_progress,
    }
    with kit.profile() as probe:
        n_plus_one_loop()  # warm caches; also tells how many queries one run sends
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    wall: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for round_ in range(args.rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            start, start_cpu = perf_counter(), process_time()
            with variants[name]():
                n_plus_one_loop()
            cpu[name].append(process_time() - start_cpu)
            wall[name].append(perf_counter() - start)

    print(f"N+1 loop on {vendor}: {probe.query_count:,} queries per run, {args.rounds} rounds")
    print(f"{'variant':<24}{'cpu s':>8}{'ratio':>8}{'us/query':>10}{'wall s':>9}{'ratio':>8}")
    for name in names:
        # A ratio is the median of each round's own ratio: both runs of a round saw the
        # same machine load.
        cpu_ratio = statistics.median(v / b for v, b in zip(cpu[name], cpu[names[0]], strict=True))
        wall_ratio = statistics.median(
            v / b for v, b in zip(wall[name], wall[names[0]], strict=True)
        )
        median = statistics.median(cpu[name])
        extra_us = (median - statistics.median(cpu[names[0]])) / probe.query_count * 1e6
        print(
            f"{name:<24}{median:>8.3f}{cpu_ratio:>8.3f}{extra_us:>10.2f}"
            f"{statistics.median(wall[name]):>9.3f}{wall_ratio:>8.3f}"
        )
    print_raw_cursor_cost(connection)
    median, calls, _, _ = walk_cost(n_plus_one_loop)
    print(f"stack walk (find_origin) alone: median {median:.2f} us over {calls:,} calls")
    no_capture_us = statistics.median(cpu[names[0]]) / probe.query_count * 1e6
    print_progress_cost(probe.query_count, no_capture_us)


class _Sink:
    """Stands for the notebook's display handle: the line's text is made, then dropped."""

    def update(self, line: object) -> None:
        repr(line)


@contextmanager
def profile_with_progress() -> Iterator[object]:
    """kit.profile() with the live progress line of a notebook polling its counters from the
    start (a notebook waits a second first), every half second as in a notebook."""
    import kit
    from kit.magics.progress import LiveProgress

    live = LiveProgress(True, delay_s=0.0, show=lambda line: _Sink())
    with live, kit.profile() as profile:
        live.watch(profile)
        yield profile


def print_raw_cursor_cost(connection: object, queries: int = 20_000, rounds: int = 7) -> None:
    """The kit's own cost per query, on the cheapest query there is (SELECT %s)."""
    import kit

    with connection.cursor() as cursor:  # type: ignore[attr-defined]

        def burst() -> float:
            start = perf_counter()
            for i in range(queries):
                cursor.execute("SELECT %s", [i])
            return (perf_counter() - start) / queries * 1e6

        plain, profiled = [], []
        for _ in range(rounds):
            plain.append(burst())
            with kit.profile(cap=queries):
                profiled.append(burst())
    extra = statistics.median(p - b for p, b in zip(profiled, plain, strict=True))
    print(
        f"raw cursor SELECT %s: {statistics.median(plain):.2f} us per query plain, "
        f"{statistics.median(profiled):.2f} us under kit.profile() (+{extra:.2f} us)"
    )


def print_progress_cost(queries: int, query_us: float, ticks: int = 2_000) -> None:
    """What the live progress line costs per query: a poll reads the queries added since the
    last one (timed on a poll after a whole loop's), plus the poll's own cost (timed on polls
    with nothing new), every EVERY_S seconds, for a loop of `queries` in its own time."""
    import kit
    from kit.magics.progress import EVERY_S, LiveProgress
    from sample_app.workloads import n_plus_one_loop

    live = LiveProgress(True, show=lambda line: _Sink())
    reads = []
    with kit.profile() as profile:
        live.watch(profile)
        for _ in range(5):
            n_plus_one_loop()
            start = perf_counter()
            live._tick()  # reads the loop's queries
            reads.append((perf_counter() - start) / queries * 1e6)
        start = perf_counter()
        for _ in range(ticks):
            live._tick()
        tick_us = (perf_counter() - start) / ticks * 1e6
    read_us = statistics.median(reads)
    per_tick_queries = queries / (queries * query_us / 1e6) * EVERY_S
    per_query = read_us + tick_us / per_tick_queries
    print(
        f"progress line: {read_us * 1000:.0f} ns a query (a poll reading it) + one poll of "
        f"{tick_us:.0f} us every {EVERY_S} s ({per_tick_queries:,.0f} queries) = "
        f"{per_query * 1000:.0f} ns a query, {per_query / query_us:.4f} of a query's time"
    )


if __name__ == "__main__":
    main()

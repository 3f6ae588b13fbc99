"""Time the guide's N+1 loop with no capture, a no-op execute_wrapper, and kit.profile().

Variants run interleaved in every round (order rotated), so machine noise hits them alike;
the figures are medians. Run from the repository root after `make sample-data`:

    .venv/bin/python benchmarks/capture_overhead.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from time import perf_counter

from _django import setup_sample_project


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
    }
    with kit.profile() as probe:
        n_plus_one_loop()  # warm caches; also tells how many queries one run sends
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for round_ in range(args.rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            start = perf_counter()
            with variants[name]():
                n_plus_one_loop()
            times[name].append(perf_counter() - start)

    base = statistics.median(times["no capture"])
    print(f"N+1 loop on {vendor}: {probe.query_count:,} queries per run, {args.rounds} rounds")
    print(f"{'variant':<24}{'median s':>10}{'ratio':>8}{'us/query':>10}")
    for name, values in times.items():
        median = statistics.median(values)
        extra_us = (median - base) / probe.query_count * 1e6
        print(f"{name:<24}{median:>10.3f}{median / base:>8.3f}{extra_us:>10.2f}")


if __name__ == "__main__":
    main()

"""What capturing cache calls costs per call: local memory and Redis, get (hit, miss) and set.

Each burst makes the same cache calls with no capture, inside kit.profile(cache=False) (queries
captured, no cache hook) and inside kit.profile() (every cache call recorded), interleaved in
every round with the order rotated. Figures are medians of CPU time (time.process_time) with
wall time beside them; the extra microseconds per call are the median's difference divided by
the calls. Run from the repository root after `make sample-data`, with a Redis server:

    .venv/bin/python benchmarks/cache_overhead.py [--rounds 15] [--redis redis://127.0.0.1:6379/5]
"""

from __future__ import annotations

import argparse
import statistics
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from time import perf_counter, process_time

from _django import setup_sample_project

KEYS = 100  # distinct keys per burst: the hits cycle over them


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--calls", type=int, default=5_000, help="calls per local-memory burst")
    parser.add_argument("--redis-calls", type=int, default=2_000, help="calls per Redis burst")
    args = parser.parse_args()
    setup_sample_project()

    from django.core.cache import caches
    from django.test.utils import override_settings

    import kit

    prefix = f"kit-bench-{uuid.uuid4().hex[:8]}"
    backends = {
        "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "redis": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": args.redis,
        },
    }
    settings = {alias: {**entry, "KEY_PREFIX": prefix} for alias, entry in backends.items()}
    variants: dict[str, Callable[[], AbstractContextManager[object]]] = {
        "no capture": nullcontext,
        "kit.profile(cache=False)": lambda: kit.profile(cache=False),
        "kit.profile()": kit.profile,
    }
    with override_settings(CACHES={"default": settings["locmem"], **settings}):
        for alias, calls in (("locmem", args.calls), ("redis", args.redis_calls)):
            cache = caches[alias]
            cache.set_many({f"user_{i}": {"id": i, "name": f"user {i}"} for i in range(KEYS)}, 600)
            bursts = {
                "get, hit": lambda c=cache, n=calls: [c.get(f"user_{i % KEYS}") for i in range(n)],
                "get, miss": lambda c=cache, n=calls: [c.get(f"absent_{i}") for i in range(n)],
                "set": lambda c=cache, n=calls: [
                    c.set(f"user_{i % KEYS}", i, 600) for i in range(n)
                ],
            }
            for label, burst in bursts.items():
                report(f"{alias}, {label}", calls, burst, variants, args.rounds)
            cache.delete_many([f"user_{i}" for i in range(KEYS)])
        report_block_cost(variants, args.rounds)


def report_block_cost(
    variants: dict[str, Callable[[], AbstractContextManager[object]]],
    rounds: int,
    blocks: int = 500,
) -> None:
    """What a block that makes no call costs to open and close: hooks on and off included."""
    names = list(variants)[1:]
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            start = process_time()
            for _ in range(blocks):
                with variants[name]():
                    pass
            times[name].append((process_time() - start) / blocks * 1e6)
    print(f"an empty block, {blocks} per burst, {rounds} rounds (CPU us per block)")
    for name in names:
        print(f"{name:<26}{statistics.median(times[name]):>9.1f}")


def report(
    title: str,
    calls: int,
    burst: Callable[[], object],
    variants: dict[str, Callable[[], AbstractContextManager[object]]],
    rounds: int,
) -> None:
    """Time burst under each variant, interleaved; print medians, ratios and µs per call."""
    names = list(variants)
    with variants[names[-1]]():
        burst()  # warm every path once
    cpu: dict[str, list[float]] = {name: [] for name in names}
    wall: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            start, start_cpu = perf_counter(), process_time()
            with variants[name]():
                burst()
            cpu[name].append(process_time() - start_cpu)
            wall[name].append(perf_counter() - start)
    base = names[0]
    print(f"{title}: {calls:,} calls per burst, {rounds} rounds")
    print(f"{'variant':<26}{'cpu ms':>9}{'ratio':>8}{'+us/call':>10}{'wall ms':>9}{'ratio':>8}")
    for name in names:
        # A ratio is the median of each round's own ratio: both runs of a round saw the same
        # machine load.
        cpu_ratio = statistics.median(v / b for v, b in zip(cpu[name], cpu[base], strict=True))
        wall_ratio = statistics.median(v / b for v, b in zip(wall[name], wall[base], strict=True))
        median = statistics.median(cpu[name])
        extra_us = (median - statistics.median(cpu[base])) / calls * 1e6
        print(
            f"{name:<26}{median * 1e3:>9.1f}{cpu_ratio:>8.3f}{extra_us:>10.2f}"
            f"{statistics.median(wall[name]) * 1e3:>9.1f}{wall_ratio:>8.3f}"
        )
    print()


if __name__ == "__main__":
    main()

"""Time the stack walk alone: kit.capture's find_origin, around each call, while work runs."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from time import perf_counter


def walk_cost(work: Callable[[], object], runs: int = 3) -> tuple[float, int, int, int]:
    """(median us per call, calls, shallowest and deepest stack) of find_origin over runs of
    work, each inside kit.profile()."""
    import kit
    from kit.capture import recorder

    found = recorder.find_origin
    spent: list[float] = []
    depths: list[int] = []

    def timed(frame, *args):  # type: ignore[no-untyped-def]
        start = perf_counter()
        try:
            return found(frame, *args)
        finally:
            spent.append(perf_counter() - start)
            depth = 0
            while frame is not None:
                depth, frame = depth + 1, frame.f_back
            depths.append(depth)

    recorder.find_origin = timed  # type: ignore[assignment]
    try:
        for _ in range(runs):
            with kit.profile():
                work()
    finally:
        recorder.find_origin = found
    return statistics.median(spent) * 1e6, len(spent), min(depths), max(depths)

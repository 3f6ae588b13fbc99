"""Peak memory of a block of 1,000,000 queries, with and without kit.profile().

Each variant runs in a fresh process and reports its peak resident set size; the difference is
what the kit keeps (10,000 full records, then per-fingerprint counters). Run from the repo root:

    .venv/bin/python benchmarks/capture_memory.py [--queries 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from contextlib import nullcontext
from time import perf_counter

from _django import setup_sample_project

# Ten query shapes, as an application sends them: different SQL, different params each time.
SHAPES = [f"SELECT %s AS first_{i}, %s AS second_{i}" for i in range(10)]


def run(queries: int, with_kit: bool) -> dict[str, float]:
    """Send the queries on a raw Django cursor; return peak RSS and the kit's counts."""
    setup_sample_project()
    from django.db import connection

    import kit

    context = kit.profile() if with_kit else nullcontext()
    start = perf_counter()
    with context as p, connection.cursor() as cursor:
        for i in range(queries):
            cursor.execute(SHAPES[i % 10], [i, str(i)])
    seconds = perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"peak_mb": peak_mb, "seconds": seconds}
    if p is not None:
        result |= {
            "counted": p.query_count,
            "kept": len(p.queries),
            "fingerprints": len(p.overflow),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1_000_000)
    parser.add_argument("--child", choices=["plain", "kit"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.queries, args.child == "kit")))
        return
    results = {}
    for variant in ("plain", "kit"):
        out = subprocess.run(
            [sys.executable, __file__, "--queries", str(args.queries), "--child", variant],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results[variant] = json.loads(out.strip().splitlines()[-1])
    plain, with_kit = results["plain"], results["kit"]
    print(f"{args.queries:,} queries on a raw cursor, ten SQL shapes")
    print(f"  without the kit: peak RSS {plain['peak_mb']:,.1f} MB, {plain['seconds']:.1f} s")
    print(
        f"  with kit.profile(): peak RSS {with_kit['peak_mb']:,.1f} MB, "
        f"{with_kit['seconds']:.1f} s; counted {with_kit['counted']:,}, "
        f"kept {with_kit['kept']:,} full records, {with_kit['fingerprints']} fingerprint counters"
    )
    print(
        f"  the kit's memory: {with_kit['peak_mb'] - plain['peak_mb']:,.1f} MB (target < 300 MB)"
    )


if __name__ == "__main__":
    main()
